import { OWN_MAIL_HEADER } from '../mail/own-mail-header';
import type { ParsedInboundMail, ReportPart } from './inbound-mail';

/**
 * What kind of inbound mail this is, before filing: a person's mail (`normal`), an automatic
 * answer (`auto_reply`: out-of-office and the like, filed but marked), a delivery failure
 * (`bounce`: never filed under a candidate; when it names the Message-ID of a mail we sent,
 * that message's status is updated), or our own mail coming back (`loop`: ignored).
 *
 * Order matters: a loop is checked first (our own mail must never be re-filed), then bounces
 * (which also carry Auto-Submitted), then auto-replies.
 */

export type InboundMailKind = 'normal' | 'auto_reply' | 'bounce' | 'loop';

export interface BounceDetails {
  /** Message-ID of the mail that bounced, angle brackets included. */
  originalMessageId?: string;
  /** The recipient that failed. */
  recipient?: string;
  /** Enhanced status code, e.g. `5.1.1`. */
  status?: string;
  /** The remote server's diagnostic, e.g. `smtp; 550 5.1.1 User unknown`. */
  diagnostic?: string;
  /** DSN action: `failed`, `delayed`, `delivered`, `relayed`, `expanded`. */
  action?: string;
}

export interface InboundClassification {
  kind: InboundMailKind;
  bounce?: BounceDetails;
  /** Which cues decided, for the message record and for debugging. */
  reasons: string[];
}

export interface ClassifyContext {
  /** Domains our own Message-IDs are generated on. */
  ourDomains: string[];
  /** Header that every mail we send carries (default `X-Recruiting-Mail-Id`). */
  ownHeader?: string;
}

const DSN_REPORT_TYPES = new Set(['delivery-status', 'global-delivery-status']);
const BOUNCE_SENDER = /^(?:mailer-daemon|mailer_daemon|postmaster|post_master|poostmaster|mail-daemon|mail-delivery-subsystem|maildelivery|mdaemon|bounces?|bounce-notification|nobody-bounce)(?:[+@.-]|$)/i;
const BOUNCE_SUBJECT = new RegExp(
  [
    'undeliver',
    'undelivered',
    'not (?:be )?delivered',
    "couldn'?t be delivered",
    'could not be delivered',
    'delivery (?:status )?notification',
    'delivery (?:has )?fail',
    'delivery failure',
    'delivery problem',
    'delivery report',
    'delivery error',
    'delivery status',
    'returned mail',
    'returned to sender',
    'mail delivery failed',
    'failure notice',
    'mail system error',
    'message delivery has failed',
    'message not delivered',
    'non[- ]?delivery',
    'delayed mail',
    'unzustellbar',
    'nicht zugestellt',
    'zustellung fehlgeschlagen',
    'non remis',
    'échec de (?:la )?remise',
    'no se pudo entregar',
    'no entregado',
    'non recapitabile',
    'niet bezorgd',
    'onbestelbaar',
    'não entregue',
    'kan ikke leveres',
    'kunde inte levereras',
    'недоставлен',
    'не доставлено',
    'teslim edilemedi',
    'メールエラー',
    'エラー通知',
    '配信エラー',
    '退信',
    '退回',
    '投递失败',
    'error sending',
    'could not send',
    'failed to deliver',
  ].join('|'),
  'iu',
);

/** Phrases near the top of a bounce's text (non-standard bounces have no DSN part). */
const BOUNCE_BODY = new RegExp(
  [
    'could not be delivered',
    'couldn.t be delivered',
    'undeliverable',
    'delivery (?:to the following recipients? )?(?:has )?failed',
    'permanent (?:error|failure|fatal errors?)',
    'no such user',
    'user unknown',
    'unknown user',
    'invalid (?:user|recipient|mailbox)(?: address)?',
    'mailbox (?:is )?(?:full|unavailable|not found)',
    'recipient address rejected',
    'address rejected',
    '\\b55[0-4][ -]',
    '\\b5\\.[0-7]\\.\\d{1,3}\\b',
  ].join('|'),
  'i',
);

const AUTO_REPLY_SUBJECT_PREFIX = new RegExp(
  '^\\s*(?:' +
    [
      'automatic reply',
      'auto(?:matic)?[- ]?reply',
      'auto[- ]?response',
      'autoresponse',
      'out of (?:the )?office',
      'ooo',
      'auto',
      'abwesenheitsnotiz',
      'automatische antwort',
      'abwesend',
      'réponse automatique',
      'absence',
      'respuesta automática',
      'fuera de la oficina',
      'risposta automatica',
      'fuori sede',
      'resposta automática',
      'ausente',
      'automatisch antwoord',
      'afwezig',
      'autosvar',
      'automatisk svar',
      'fravær',
      'frånvaro',
      'automaattinen vastaus',
      'poissa',
      'automatyczna odpowiedź',
      'automatická odpověď',
      'automatická odpoveď',
      'automatikus válasz',
      'автоматический ответ',
      'автоответ',
      'автоматична відповідь',
      'otomatik yanıt',
      'otomatik cevap',
      '自动回复',
      '自動回覆',
      '自動応答',
      '自動返信',
      '자동 회신',
    ].join('|') +
    ')\\s*[:：]',
  'iu',
);
const AUTO_REPLY_SUBJECT_ANYWHERE = new RegExp(
  [
    'out of (?:the )?office',
    'automatic reply',
    'auto[- ]?reply',
    'autoreply',
    'auto[- ]?response',
    'away from (?:my|the) (?:desk|office)',
    'on (?:annual )?(?:leave|vacation|holiday)',
    'abwesenheit',
    'abwesend',
    'automatische antwort',
    'réponse automatique',
    'absent',
    'respuesta automática',
    'risposta automatica',
    'resposta automática',
    'automatisch antwoord',
    'autosvar',
    'automatisk svar',
    'automaattinen vastaus',
    'automatyczna odpowiedź',
    'автоответ',
    'автоматический ответ',
    'otomatik yanıt',
    '自动回复',
    '自動回覆',
    '自動応答',
    '不在',
  ].join('|'),
  'iu',
);

export function classifyInboundMail(mail: ParsedInboundMail, context: ClassifyContext): InboundClassification {
  const loop = loopReasons(mail, context);
  if (loop.length) return { kind: 'loop', reasons: loop };

  const bounce = bounceReasons(mail);
  if (bounce.length) return { kind: 'bounce', bounce: extractBounceDetails(mail), reasons: bounce };

  const autoReply = autoReplyReasons(mail);
  if (autoReply.length) return { kind: 'auto_reply', reasons: autoReply };

  return { kind: 'normal', reasons: [] };
}

/* ------------------------------------------------------------------------------------------ */

function header(mail: ParsedInboundMail, name: string): string[] {
  return mail.headers[name.toLowerCase()] ?? [];
}

function loopReasons(mail: ParsedInboundMail, context: ClassifyContext): string[] {
  const reasons: string[] = [];
  const own = (context.ownHeader ?? OWN_MAIL_HEADER).toLowerCase();
  if (header(mail, own).length) reasons.push(`carries our ${context.ownHeader ?? OWN_MAIL_HEADER} header`);
  const domain = mail.messageId ? /@([^>@\s]+)>?$/.exec(mail.messageId)?.[1]?.toLowerCase() : undefined;
  if (domain) {
    const ours = context.ourDomains.map((d) => d.toLowerCase().replace(/^@/, '')).filter(Boolean);
    if (ours.some((d) => domain === d || domain.endsWith(`.${d}`))) {
      reasons.push(`Message-ID ${mail.messageId} is on our domain`);
    }
  }
  return reasons;
}

function bounceReasons(mail: ParsedInboundMail): string[] {
  const reasons: string[] = [];
  const reportType = mail.contentType.params['report-type']?.toLowerCase();
  const hasDsnPart = mail.reportParts.some((part) => /delivery-status$/.test(part.contentType));
  if (mail.contentType.value === 'multipart/report' && reportType && DSN_REPORT_TYPES.has(reportType)) {
    reasons.push(`multipart/report; report-type=${reportType}`);
  } else if (mail.contentType.value === 'message/delivery-status' || hasDsnPart) {
    reasons.push('has a message/delivery-status part');
  }
  if (reasons.length) return reasons;

  if (header(mail, 'x-failed-recipients').length) reasons.push('X-Failed-Recipients header');
  const fromLocal = mail.from?.address ?? '';
  const senderIsDaemon = BOUNCE_SENDER.test(fromLocal) || (!mail.from && /mailer-daemon|postmaster/i.test(header(mail, 'from')[0] ?? ''));
  const returnPath = header(mail, 'return-path')[0];
  const nullReturnPath = returnPath !== undefined && returnPath.replace(/[<>\s]/g, '') === '';
  const subjectSaysBounce = BOUNCE_SUBJECT.test(mail.subject);
  const returnsOriginal =
    mail.embeddedMessages.length > 0 || mail.reportParts.some((part) => /headers$/.test(part.contentType));
  const bodySaysBounce = BOUNCE_BODY.test((mail.text ?? '').slice(0, 3000));
  const machineCue = senderIsDaemon
    ? `sender ${fromLocal || header(mail, 'from')[0]}`
    : nullReturnPath
      ? 'null Return-Path'
      : autoSubmitted(mail) !== null
        ? 'Auto-Submitted'
        : returnsOriginal
          ? 'returns the original message'
          : bodySaysBounce
            ? 'bounce wording in the text'
            : null;
  if (machineCue && subjectSaysBounce) {
    reasons.push(`${machineCue} and subject "${mail.subject}"`);
  } else if (senderIsDaemon && bodySaysBounce) {
    reasons.push(`sender ${fromLocal} and bounce wording in the text`);
  } else if (senderIsDaemon && mail.embeddedMessages.length > 0) {
    reasons.push(`sender ${fromLocal} returns an embedded message`);
  } else if (senderIsDaemon && /rfc822-headers$/.test(mail.reportParts[0]?.contentType ?? '')) {
    reasons.push(`sender ${fromLocal} returns the original headers`);
  }
  return reasons;
}

function autoSubmitted(mail: ParsedInboundMail): string | null {
  const value = header(mail, 'auto-submitted')[0]?.trim().toLowerCase();
  if (!value || value === 'no') return null;
  return value;
}

function autoReplyReasons(mail: ParsedInboundMail): string[] {
  const reasons: string[] = [];
  const submitted = autoSubmitted(mail);
  // "auto-forwarded" is a server-side forward of a person's mail, not an automatic answer.
  if (submitted && !submitted.startsWith('auto-forwarded')) reasons.push(`Auto-Submitted: ${submitted}`);
  for (const name of ['x-autoreply', 'x-autorespond', 'x-autoresponder', 'x-autoreply-from', 'x-mail-autoreply']) {
    const value = header(mail, name)[0];
    if (value !== undefined && !/^\s*(?:no|false|0)\s*$/i.test(value)) reasons.push(`${name}: ${value}`);
  }
  const precedence = header(mail, 'precedence')[0]?.trim().toLowerCase();
  const subjectPrefix = AUTO_REPLY_SUBJECT_PREFIX.test(mail.subject);
  const subjectAnywhere = subjectPrefix || AUTO_REPLY_SUBJECT_ANYWHERE.test(mail.subject);
  if (precedence === 'auto_reply') reasons.push('Precedence: auto_reply');
  else if (precedence && ['bulk', 'junk', 'list'].includes(precedence) && subjectAnywhere) {
    reasons.push(`Precedence: ${precedence} and subject "${mail.subject}"`);
  }
  const suppress = header(mail, 'x-auto-response-suppress')[0];
  if (suppress && subjectAnywhere) reasons.push(`X-Auto-Response-Suppress: ${suppress} and subject "${mail.subject}"`);
  if (subjectPrefix) reasons.push(`subject "${mail.subject}"`);
  return reasons;
}

/* ------------------------------------------------------------------------------------------ */
/* Bounce details                                                                              */
/* ------------------------------------------------------------------------------------------ */

function extractBounceDetails(mail: ParsedInboundMail): BounceDetails {
  const details: BounceDetails = {};
  const dsn = mail.reportParts.find((part) => /delivery-status$/.test(part.contentType));
  if (dsn) Object.assign(details, parseDeliveryStatus(dsn));

  const originalMessageId =
    mail.embeddedMessages.find((message) => message.messageId)?.messageId ??
    messageIdFromHeaderParts(mail.reportParts) ??
    messageIdFromText(mail.text);
  if (originalMessageId) details.originalMessageId = originalMessageId;

  if (!details.recipient) {
    const failed = header(mail, 'x-failed-recipients')[0]?.split(',')[0]?.trim();
    const fromText = recipientFromText(mail.text);
    const recipient = failed || fromText;
    if (recipient) details.recipient = recipient.toLowerCase();
  }
  if (!details.status && mail.text) {
    const status = /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(mail.text)?.[1];
    if (status) details.status = status;
  }
  return details;
}

/** RFC 3464: per-message fields, a blank line, then one block of fields per recipient. */
function parseDeliveryStatus(part: ReportPart): BounceDetails {
  const unfolded = part.content.replace(/\r\n?/g, '\n').replace(/\n[ \t]+/g, ' ');
  const blocks = unfolded.split(/\n\s*\n/).map(parseFields).filter((fields) => fields.size > 0);
  const recipients = blocks.filter((fields) => fields.has('final-recipient') || fields.has('original-recipient'));
  const chosen =
    recipients.find((fields) => fields.get('action')?.toLowerCase() === 'failed') ??
    recipients[0] ??
    blocks.find((fields) => fields.has('status'));
  if (!chosen) return {};
  const details: BounceDetails = {};
  const recipient = stripAddressType(chosen.get('final-recipient') ?? chosen.get('original-recipient'));
  if (recipient) details.recipient = recipient.toLowerCase();
  const status = /\d\.\d{1,3}\.\d{1,3}/.exec(chosen.get('status') ?? '')?.[0];
  if (status) details.status = status;
  const diagnostic = chosen.get('diagnostic-code')?.trim();
  if (diagnostic) details.diagnostic = diagnostic.slice(0, 1000);
  const action = chosen.get('action')?.trim().toLowerCase();
  if (action) details.action = action;
  return details;
}

function parseFields(block: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of block.split('\n')) {
    const match = /^([A-Za-z][A-Za-z0-9-]*)\s*:\s*(.*)$/.exec(line.trim());
    if (match && !fields.has(match[1].toLowerCase())) fields.set(match[1].toLowerCase(), match[2].trim());
  }
  return fields;
}

function stripAddressType(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const address = value.replace(/^[a-z0-9-]+\s*;\s*/i, '').replace(/^<|>$/g, '').trim();
  return address.includes('@') ? address : undefined;
}

function messageIdFromHeaderParts(parts: ReportPart[]): string | undefined {
  for (const part of parts) {
    if (!/(rfc822|global)-headers$/.test(part.contentType)) continue;
    const id = messageIdFromText(part.content);
    if (id) return id;
  }
  return undefined;
}

function messageIdFromText(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const match = /^[ \t>]*Message-Id:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]+>)/im.exec(text);
  return match?.[1];
}

function recipientFromText(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const postfix = /^<([^<>\s]+@[^<>\s]+)>:/m.exec(text);
  if (postfix) return postfix[1];
  const labelled = /(?:original-recipient|final-recipient|failed recipient|recipient address|to)\s*:\s*(?:rfc822;\s*)?<?([^<>\s;,]+@[^<>\s;,]+?)>?(?:[\s;,]|$)/im.exec(text);
  return labelled?.[1];
}
