import EmailForwardParser from 'email-forward-parser';
import type { MailAddress } from '../mail/mail-address';
import type { EmbeddedMessage, ParsedInboundMail } from './inbound-mail';
import { findForwardedSender, forwardedBlockAuthors, htmlToPlainText, type ForwardedSender } from './forwarded-block';
import { detectForwardSubject, detectReplySubject } from './forward-subject';

/**
 * Who actually wrote an inbound mail (DESIGN section 4).
 *
 * - A redirected mail keeps its author in From (`by: 'from'`).
 * - A mail forwarded by hand, or by a rule that rewrote From to the company mailbox, carries
 *   the author in the forwarded block of its body (`by: 'forwarded'`) or in an attached
 *   message (`by: 'attachment'`).
 * - A mail whose From was rewritten by a list or group (Google Groups, DMARC rewriting) carries
 *   the author in X-Original-From / Reply-To (`by: 'header'`).
 *
 * The company's own addresses and our own domains are never returned, and when the evidence
 * does not name one author the answer is `null` (unassigned) rather than a guess.
 */

export interface ResolveSenderContext {
  /** The company's own recruiting addresses (the mailbox that forwards to us). */
  companyAddresses: string[];
  /** Domains this product sends from / receives at. */
  ourDomains: string[];
}

export type SenderMatchSource = 'from' | 'forwarded' | 'attachment' | 'header';

export interface ResolvedSender {
  address: string | null;
  name?: string;
  by: SenderMatchSource;
  /** Human-readable trail of what was looked at and why this answer, for the message record. */
  evidence: string[];
}

/** Headers whose value names the author when a list or group rewrote From. */
const ORIGINAL_AUTHOR_HEADERS = ['x-original-from', 'x-original-sender', 'x-forwarded-from'] as const;
/** Headers that only show the mail travelled through a redirect or forward; the author stays in From. */
const REDIRECT_TRACE_HEADERS = [
  'resent-from',
  'resent-sender',
  'x-forwarded-for',
  'x-forwarded-to',
  'x-original-to',
  'x-mailfwdby',
] as const;

const forwardParser = new EmailForwardParser();

export function resolveOriginalSender(mail: ParsedInboundMail, context: ResolveSenderContext): ResolvedSender {
  const guard = new AddressGuard(context);
  const evidence: string[] = [];
  const authors = new Set(mail.fromAll.map((entry) => entry.address.toLowerCase()));
  // A From with several mailboxes names no single author.
  const from = mail.from && authors.size <= 1 ? guard.clean(mail.from.address) : null;
  const fromIsOurs = from !== null && guard.isExcluded(from);
  const fromIsCompany = from !== null && guard.isCompany(from);

  if (mail.from) evidence.push(`from: ${mail.from.address}${fromIsCompany ? ' (company mailbox)' : fromIsOurs ? ' (our domain)' : ''}`);
  else evidence.push('from: missing');
  if (authors.size > 1) evidence.push(`from: ${authors.size} mailboxes, no single author`);
  else if (mail.from && from === null) evidence.push('from: not a valid address');
  for (const name of REDIRECT_TRACE_HEADERS) {
    for (const value of mail.headers[name] ?? []) evidence.push(`${name}: ${value}`);
  }

  if (mail.contentType.value === 'multipart/report') {
    // Bounces, read receipts and abuse reports embed someone else's message: that message's
    // author did not write this one.
    evidence.push(`report: ${mail.contentType.params['report-type'] ?? 'unknown'} (embedded messages ignored)`);
    return fromResult(mail.from, from, fromIsOurs, evidence);
  }

  const forwardSubject = detectForwardSubject(mail.subject);
  if (forwardSubject) evidence.push(`subject: forward prefix "${forwardSubject.prefix}"`);
  // A colleague's mailbox at the company's own domain (not the configured address) that passes
  // a mail on forwards it, with or without "Fwd:" (Outlook's "-----Original Message-----").
  const fromIsColleague = from !== null && !fromIsCompany && !fromIsOurs && guard.isCompanyDomain(from);
  if (fromIsColleague) evidence.push(`from: ${from} is at the company's domain`);
  const looksForwarded = fromIsCompany || fromIsOurs || from === null || forwardSubject !== null || fromIsColleague;

  // 1. Inline forwarded block. The mail's own From is never its forwarded author: a block by the
  // forwarding mailbox itself (a forward of its own forward) sends the search one level deeper.
  const inner = from !== null ? guard.without(from) : guard;
  const inline = findInlineForward(mail, forwardSubject !== null || fromIsCompany || fromIsColleague, inner);
  if (inline) {
    evidence.push(...inline.evidence);
    if (inline.sender && (looksForwarded || inline.strongSeparator)) {
      // Weak evidence (a colleague, no "Fwd:", no forward-only separator) must name one author.
      if (fromIsColleague && forwardSubject === null && !inline.strongSeparator) {
        const authors = forwardedBlockAuthors(mail.text ?? (mail.html ? htmlToPlainText(mail.html) : ''), (a) => inner.accept(a));
        if (authors.length > 1) {
          evidence.push(`not matched: the quoted blocks name ${authors.length} authors (${authors.join(', ')})`);
          return { address: null, by: 'forwarded', evidence };
        }
      }
      return { ...result(inline.sender, 'forwarded'), evidence };
    }
  }

  // 2. Forwarded as an attached message. When From is a person and nothing else says
  // "forward", only a message attached as a file counts (a bare embedded part is an enclosure
  // or digest), and never in a reply.
  const fromIsPerson = from !== null && !fromIsOurs && !fromIsColleague;
  if (!fromIsPerson || !detectReplySubject(mail.subject)) {
    const embedded = fromIsPerson && !forwardSubject
      ? mail.embeddedMessages.filter((message) => message.attachedAsFile)
      : mail.embeddedMessages;
    const attached = senderOfAttachedMessages(embedded, guard);
    if (attached.evidence.length) evidence.push(...attached.evidence);
    if (attached.sender) return { ...result(attached.sender, 'attachment'), evidence };
    if (attached.ambiguous && !fromIsPerson) return { address: null, by: 'attachment', evidence };
  }

  // 3. From, unless it is the company mailbox or one of ours.
  if (from !== null && !fromIsOurs) {
    return { ...result({ address: from, name: mail.from?.name }, 'from'), evidence };
  }

  // 4. Headers a list or group leaves when it rewrites From.
  const byHeader = senderFromHeaders(mail, guard, evidence);
  if (byHeader) return { ...result(byHeader, 'header'), evidence };

  evidence.push('no original sender found');
  return { address: null, by: inline || looksForwarded ? 'forwarded' : 'from', evidence };
}

function result(sender: MailAddress, by: SenderMatchSource): Omit<ResolvedSender, 'evidence'> {
  return { address: sender.address, ...(sender.name ? { name: sender.name } : {}), by };
}

function fromResult(
  raw: MailAddress | undefined,
  from: string | null,
  fromIsOurs: boolean,
  evidence: string[],
): ResolvedSender {
  if (from === null || fromIsOurs) return { address: null, by: 'from', evidence };
  return { ...result({ address: from, name: raw?.name }, 'from'), evidence };
}

interface InlineForward {
  /** Absent when a forwarded block was found but it names no usable author. */
  sender?: MailAddress;
  /** The block starts with a separator only forwards use (not a reply's "On … wrote:"). */
  strongSeparator: boolean;
  evidence: string[];
}

function findInlineForward(mail: ParsedInboundMail, forwardExpected: boolean, guard: AddressGuard): InlineForward | null {
  const bodies: Array<{ label: string; text: string }> = [];
  if (mail.text) bodies.push({ label: 'text', text: mail.text });
  if (mail.html) bodies.push({ label: 'html', text: htmlToPlainText(mail.html) });
  let withoutSender: InlineForward | null = null;
  for (const body of bodies) {
    const found = findForwardedSender(body.text, { forwardExpected, forwardParser, accept: (a) => guard.accept(a) });
    if (!found) continue;
    const evidence = describe(body.label, found);
    if (found.sender) {
      return { sender: found.sender, strongSeparator: found.strongSeparator, evidence };
    }
    withoutSender ??= { strongSeparator: found.strongSeparator, evidence };
  }
  return withoutSender;
}

function describe(label: string, found: ForwardedSender): string[] {
  const lines = [`forwarded block in ${label}: ${found.method}`];
  if (found.sender) lines.push(`forwarded from: ${found.sender.address}`);
  for (const rejected of found.rejected) lines.push(`forwarded from (ignored, ours): ${rejected}`);
  return lines;
}

function senderOfAttachedMessages(
  messages: EmbeddedMessage[],
  guard: AddressGuard,
): { sender?: MailAddress; ambiguous: boolean; evidence: string[] } {
  const evidence: string[] = [];
  const senders = new Map<string, MailAddress>();
  for (const message of messages) {
    const candidate = authorOfEmbedded(message, guard, 0);
    if (candidate) {
      evidence.push(`attached message from: ${candidate.address}`);
      if (!senders.has(candidate.address)) senders.set(candidate.address, candidate);
    } else if (message.from) {
      evidence.push(`attached message from (ignored): ${message.from.address}`);
    }
  }
  if (senders.size === 1) return { sender: [...senders.values()][0], ambiguous: false, evidence };
  if (senders.size > 1) {
    evidence.push('attached messages from several senders');
    return { ambiguous: true, evidence };
  }
  return { ambiguous: false, evidence };
}

/** The author of an attached message; when that message is itself the company's forward, look inside it. */
function authorOfEmbedded(message: EmbeddedMessage, guard: AddressGuard, depth: number): MailAddress | undefined {
  const address = message.from ? guard.clean(message.from.address) : null;
  if (address && !guard.isExcluded(address)) return { address, ...(message.from?.name ? { name: message.from.name } : {}) };
  if (depth > 2) return undefined;
  for (const inner of message.embeddedMessages) {
    const found = authorOfEmbedded(inner, guard, depth + 1);
    if (found) return found;
  }
  const body = message.text ?? (message.html ? htmlToPlainText(message.html) : '');
  const inline = findForwardedSender(body, { forwardExpected: true, forwardParser, accept: (a) => guard.accept(a) });
  return inline?.sender;
}

function senderFromHeaders(mail: ParsedInboundMail, guard: AddressGuard, evidence: string[]): MailAddress | null {
  for (const name of ORIGINAL_AUTHOR_HEADERS) {
    for (const value of mail.headers[name] ?? []) {
      const address = guard.accept(extractAddress(value));
      evidence.push(`${name}: ${value}${address ? '' : ' (ignored)'}`);
      if (address) return { address };
    }
  }
  const replyTo = mail.replyTo.map((entry) => ({ ...entry, address: guard.accept(entry.address) }));
  const usable = replyTo.filter((entry): entry is MailAddress => entry.address !== null);
  for (const entry of mail.replyTo) evidence.push(`reply-to: ${entry.address}`);
  if (usable.length === 1) return usable[0];
  return null;
}

function extractAddress(value: string): string {
  const bracketed = /<([^<>\s]+@[^<>\s]+)>/.exec(value);
  if (bracketed) return bracketed[1];
  const bare = /[^\s<>"',;:()[\]]+@[^\s<>"',;:()[\]]+/.exec(value);
  return bare ? bare[0] : '';
}

const ADDRESS_PATTERN = /^[^\s@<>()[\]\\,;:"]+@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+[\p{L}]{2,63}$/u;

/** Normalises addresses and keeps the company's and our own out of every answer. */
export class AddressGuard {
  private readonly company: Set<string>;
  private readonly domains: string[];

  private readonly companyDomains: Set<string>;

  constructor(context: ResolveSenderContext) {
    this.company = new Set(context.companyAddresses.map((a) => a.trim().toLowerCase()));
    this.domains = context.ourDomains.map((d) => d.trim().toLowerCase().replace(/^@/, '')).filter(Boolean);
    this.companyDomains = new Set(
      [...this.company].map((address) => address.slice(address.lastIndexOf('@') + 1)).filter((domain) => domain && !MAILBOX_PROVIDER_DOMAINS.has(domain)),
    );
  }

  /** The same guard, also refusing one more address (the mail's own From, in its forwarded blocks). */
  without(address: string): AddressGuard {
    const narrowed = Object.create(this) as AddressGuard;
    narrowed.accept = (raw) => {
      const accepted = this.accept(raw);
      return accepted === address ? null : accepted;
    };
    return narrowed;
  }

  /** An address at the company's own domain (never a public mailbox provider's). */
  isCompanyDomain(address: string): boolean {
    return this.companyDomains.has(address.slice(address.lastIndexOf('@') + 1));
  }

  /** Lowercased address if it is syntactically usable, else null. */
  clean(raw: string | null | undefined): string | null {
    if (!raw) return null;
    const address = raw
      .trim()
      .replace(/^mailto:/i, '')
      .replace(/^[<'"]+|[>'".]+$/g, '')
      .toLowerCase();
    return ADDRESS_PATTERN.test(address) ? address : null;
  }

  isCompany(address: string): boolean {
    return this.company.has(address);
  }

  isExcluded(address: string): boolean {
    if (this.company.has(address)) return true;
    const domain = address.slice(address.lastIndexOf('@') + 1);
    return this.domains.some((d) => domain === d || domain.endsWith(`.${d}`));
  }

  /** Clean address that may be returned as a sender, else null. */
  accept(raw: string | null | undefined): string | null {
    const address = this.clean(raw);
    return address && !this.isExcluded(address) ? address : null;
  }
}

/** Public mailbox providers: a company address there says nothing about its colleagues. */
const MAILBOX_PROVIDER_DOMAINS = new Set([
  'gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'yahoo.com', 'ymail.com', 'icloud.com',
  'me.com', 'mac.com', 'aol.com', 'gmx.de', 'gmx.net', 'gmx.com', 'web.de', 't-online.de', 'proton.me', 'protonmail.com',
  'mail.com', 'yandex.ru', 'mail.ru', 'zoho.com', 'fastmail.com', 'orange.fr', 'free.fr', 'libero.it', 'qq.com', '163.com',
]);
