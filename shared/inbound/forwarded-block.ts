import type EmailForwardParser from 'email-forward-parser';
import type { MailAddress } from '../mail/mail-address';

/**
 * Finds the author of a mail forwarded inline: the `From:` of the forwarded header block that
 * Gmail, Outlook, Apple Mail, Thunderbird, Yahoo and others write into the body.
 *
 * email-forward-parser (crisp-oss) does the bulk of it. Around it: bodies are bounded before
 * its regular expressions see them (they backtrack on long lines), a sender that is ours sends
 * the search one level deeper (a forward of a forward), and a scanner of our own handles the
 * header blocks it does not know (Outlook's "-----Original Message-----", localised labels it
 * lacks, blocks whose From line carries only a name and the address on the next line).
 */

export interface ForwardedSender {
  sender?: MailAddress;
  /** Which rule found the block. */
  method: string;
  /** The body has a separator that only forwards use, not a reply's "On … wrote:". */
  strongSeparator: boolean;
  /** Addresses found in forwarded blocks but refused (the company's or ours). */
  rejected: string[];
}

export interface FindForwardedSenderOptions {
  /** The subject or the From already say "forward": the From-line split may be used. */
  forwardExpected: boolean;
  forwardParser: EmailForwardParser;
  /** Returns the cleaned address if it may be the answer, else null. */
  accept: (address: string | null | undefined) => string | null;
}

const MAX_BODY_CHARS = 64_000;
const MAX_LINE_CHARS = 1_000;
const MAX_NESTING = 4;

/** Lines that only a forward writes (never a reply quote). */
const STRONG_SEPARATORS: RegExp[] = [
  // "Original Message" separators are left out on purpose: Outlook and others use them for replies too.
  /^[>\s]*-{2,}\s*(?:forwarded message|forwarded e-?mail)\s*-{2,}/im,
  /^[>\s]*-{2,}\s*(?:weitergeleitete nachricht|message transféré|mensaje reenviado|mensagem encaminhada|mensagem reencaminhada)\s*-{2,}/im,
  /^[>\s]*-{2,}\s*(?:messaggio inoltrato|doorgestuurd bericht|videresendt (?:melding|meddelelse)|vidarebefordrat meddelande)\s*-{2,}/im,
  /^[>\s]*-{2,}\s*(?:edelleenlähetetty viesti|välitetty viesti[^-\n]*|přeposlaná zpráva|preposlaná správa[^-\n]*|przekazana wiadomość|treść przekazanej wiadomości|wiadomość przesłana dalej)\s*-{2,}/im,
  /^[>\s]*-{2,}\s*(?:továbbított üzenet|mesaj redirecționat|пересылаемое сообщение|перенаправленное сообщение|перенаправлене повідомлення|переслане повідомлення|iletilmiş mesaj|i̇letilmiş mesaj|iletilen i̇leti|proslijeđena poruka|メッセージを転送|转发的邮件)\s*-{2,}/imu,
  /^[>\s]*(?:begin forwarded message|anfang der weitergeleiteten nachricht|début du message (?:réexpédié|transféré)|inicio del mensaje reenviado|inizio messaggio inoltrato|begin doorgestuurd bericht|início da mensagem (?:reencaminhada|encaminhada)|start på videresendt besked|videresendt melding|vidarebefordrat mejl|välitetty viesti alkaa|začátek přeposílané zprávy|začiatok preposlanej správy|początek przekazywanej wiadomości|továbbított levél kezdete|începe mesajul redirecționat|начало переадресованного сообщения|початок листа, що пересилається|i̇leti başlangıcı|ileti başlangıcı|započni proslijeđenu poruku)\s*:/imu,
  /^\s?forwarded message:/im,
];

export function hasStrongForwardSeparator(text: string): boolean {
  return STRONG_SEPARATORS.some((pattern) => pattern.test(text));
}

export function findForwardedSender(body: string, options: FindForwardedSenderOptions): ForwardedSender | null {
  const text = boundBody(body);
  if (!text.trim()) return null;
  const strongSeparator = hasStrongForwardSeparator(text);
  if (!options.forwardExpected && !strongSeparator) return null;
  const rejected: string[] = [];

  let current = text;
  let foundBlock = false;
  for (let level = 0; level < MAX_NESTING; level += 1) {
    const parsed = safeRead(options.forwardParser, current, options.forwardExpected || level > 0);
    // With a subject hint the parser says "forwarded" even when it found no block: only a
    // parsed original (its body is set) counts.
    if (!parsed?.forwarded || parsed.email.body === undefined) break;
    foundBlock = true;
    const raw = parsed.email.from?.address ?? null;
    const address = options.accept(raw);
    if (address) {
      const name = cleanName(parsed.email.from?.name);
      return { sender: { address, ...(name ? { name } : {}) }, method: 'email-forward-parser', strongSeparator, rejected };
    }
    if (raw) rejected.push(raw.toLowerCase());
    const inner = parsed.email.body;
    if (!inner || inner.length >= current.length) break;
    current = inner;
  }

  const scanned = scanHeaderBlocks(text, options.accept);
  rejected.push(...scanned.rejected.filter((a) => !rejected.includes(a)));
  if (scanned.sender) return { sender: scanned.sender, method: 'header-block scan', strongSeparator, rejected };
  if (foundBlock || scanned.blocks > 0 || strongSeparator) {
    return { method: foundBlock ? 'email-forward-parser (no address)' : 'separator only', strongSeparator, rejected };
  }
  return null;
}

function safeRead(parser: EmailForwardParser, body: string, forwarded: boolean) {
  try {
    // The subject only tells the parser "this is a forward"; ours was checked already.
    return parser.read(body, forwarded ? 'Fwd: forwarded' : undefined);
  } catch {
    return null;
  }
}

function boundBody(body: string): string {
  const head = body.length > MAX_BODY_CHARS ? body.slice(0, MAX_BODY_CHARS) : body;
  return head
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => (line.length > MAX_LINE_CHARS ? line.slice(0, MAX_LINE_CHARS) : line))
    .join('\n');
}

function cleanName(name: string | null | undefined): string | undefined {
  const trimmed = name?.replace(/^["'\s]+|["'\s]+$/g, '').trim();
  return trimmed && !trimmed.includes('@') ? trimmed : undefined;
}

/* ------------------------------------------------------------------------------------------ */
/* Our own scanner of forwarded header blocks                                                  */
/* ------------------------------------------------------------------------------------------ */

const FROM_LABELS = [
  'from', 'von', 'de', 'van', 'od', 'fra', 'från', 'lähettäjä', 'от', 'від', 'від кого', 'feladó', 'da',
  'kimden', 'gönderen', 'mittente', 'nadawca', 'de la', 'expeditorul', 'отправитель', 'šalje', 'saatja',
  'afzender', 'absender', 'remetente', 'expéditeur', 'remitente', 'avsändare', 'afsender', 'avsender',
  'odesílatel', 'odosielateľ', 'pošiljatelj', 'αποστολέας', 'από', '送信者', '差出人', '发件人', '寄件者', '보낸 사람',
  'frá', 'kellelt', 'nuo', 'no', 'od koga',
];
const OTHER_LABELS = [
  // date / sent
  'sent', 'date', 'gesendet', 'datum', 'envoyé', 'date d\'envoi', 'enviado', 'enviado el', 'fecha', 'verzonden', 'inviato',
  'data', 'sendt', 'dato', 'skickat', 'lähetetty', 'päivämäärä', 'odesláno', 'odoslané', 'wysłano', 'elküldve',
  'dátum', 'отправлено', 'дата', 'надіслано', 'gönderildi', 'tarih', 'trimis', 'poslano', 'poslato', '送信日時', '发送时间', '日期',
  // to / cc / subject
  'to', 'an', 'à', 'a', 'para', 'aan', 'til', 'till', 'vastaanottaja', 'komu', 'do', 'címzett', 'кому', 'kime', 'către',
  'cc', 'kopie', 'copie à', 'cc:', 'subject', 'betreff', 'objet', 'asunto', 'onderwerp', 'oggetto', 'assunto', 'emne',
  'ämne', 'aihe', 'předmět', 'predmet', 'temat', 'tárgy', 'тема', 'konu', 'subiect', 'subiectul', '件名', '主题', '主旨',
  'reply-to', 'antwort an', 'répondre à', 'responder a',
];

const escapeLabel = (label: string): string => label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const LABEL_PREFIX = String.raw`^[>\s]*(?:\*\*?|<b>)?\s*`;
const FROM_LINE = new RegExp(
  `${LABEL_PREFIX}(?:${FROM_LABELS.map(escapeLabel).join('|')})\\s?(?:\\*\\*?)?\\s?[:：]\\s*(?:\\*\\*?)?(.*)$`,
  'iu',
);
const OTHER_LINE = new RegExp(
  `${LABEL_PREFIX}(?:${OTHER_LABELS.map(escapeLabel).join('|')})\\s?(?:\\*\\*?)?\\s?[:：]`,
  'iu',
);
const ADDRESS_IN_TEXT = /(?:mailto:)?([^\s<>()[\]"',;:]+@[^\s<>()[\]"',;:]+\.[^\s<>()[\]"',;:]+)/iu;

/**
 * A forwarded header block is a From-like line followed, within a few lines, by another header
 * label (Sent / Date / To / Subject in any of the languages above). The address is the first one
 * on the From line, or on the line after it when the client wrapped it.
 */
function scanHeaderBlocks(
  text: string,
  accept: (address: string | null | undefined) => string | null,
): { sender?: MailAddress; blocks: number; rejected: string[] } {
  const lines = text.split('\n');
  const rejected: string[] = [];
  let blocks = 0;
  for (let i = 0; i < lines.length; i += 1) {
    const match = FROM_LINE.exec(lines[i]);
    if (!match) continue;
    const window = lines.slice(i + 1, i + 7);
    if (!window.some((line) => OTHER_LINE.test(line))) continue;
    blocks += 1;
    let value = match[1] ?? '';
    let address = ADDRESS_IN_TEXT.exec(value)?.[1];
    if (!address) {
      const next = lines[i + 1] ?? '';
      if (!OTHER_LINE.test(next)) {
        value = `${value} ${next}`;
        address = ADDRESS_IN_TEXT.exec(next)?.[1];
      }
    }
    if (!address) continue;
    const accepted = accept(address);
    if (accepted) {
      const name = cleanName(value.replace(/\[mailto:[^\]]*\]|<[^>]*>|\([^)]*@[^)]*\)/g, '').replace(ADDRESS_IN_TEXT, ''));
      return { sender: { address: accepted, ...(name ? { name } : {}) }, blocks, rejected };
    }
    rejected.push(address.toLowerCase());
  }
  return { blocks, rejected };
}

/**
 * Every distinct acceptable author of the forwarded header blocks in a body, in order: when the
 * evidence for a forward is weak, more than one means the mail names no single author.
 */
export function forwardedBlockAuthors(body: string, accept: (address: string | null | undefined) => string | null): string[] {
  const authors: string[] = [];
  let rest = boundBody(body);
  for (let guard = 0; guard < 20; guard += 1) {
    const found = scanHeaderBlocks(rest, accept);
    if (!found.sender) break;
    if (!authors.includes(found.sender.address)) authors.push(found.sender.address);
    const at = rest.toLowerCase().indexOf(found.sender.address);
    if (at < 0) break;
    rest = rest.slice(at + found.sender.address.length);
  }
  return authors;
}

/* ------------------------------------------------------------------------------------------ */
/* HTML to plain text, only as far as finding header blocks needs                              */
/* ------------------------------------------------------------------------------------------ */

const ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ensp: ' ', emsp: ' ', thinsp: ' ',
  laquo: '«', raquo: '»', ldquo: '“', rdquo: '”', lsquo: '‘', rsquo: '’', ndash: '–', mdash: '—',
};

export function htmlToPlainText(html: string): string {
  const bounded = html.length > MAX_BODY_CHARS * 4 ? html.slice(0, MAX_BODY_CHARS * 4) : html;
  return bounded
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(head|style|script|title)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<a\b[^>]*href\s*=\s*["']?mailto:([^"'>\s?]+)[^>]*>([\s\S]*?)<\/a\s*>/gi, (_m, address: string, label: string) =>
      label.includes('@') ? label : `${label} <${address}>`,
    )
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/?(p|div|tr|li|h[1-6]|table|blockquote|hr|pre)\b[^>]*>/gi, '\n')
    .replace(/<\/t[dh]\s*>/gi, ' ')
    .replace(/<[^>]+>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, code: string) => {
      if (code[0] === '#') {
        const point = code[1] === 'x' || code[1] === 'X' ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10);
        return Number.isFinite(point) && point > 0 && point < 0x110000 ? String.fromCodePoint(point) : entity;
      }
      return ENTITIES[code.toLowerCase()] ?? entity;
    })
    .replace(/[ \t\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
