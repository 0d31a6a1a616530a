/**
 * Builds the raw MIME message of a candidate mail, safe by construction: every header field
 * is checked before nodemailer sees it (one VALIDATION_FAILED listing every offending field),
 * attachments carry their bytes inline (nodemailer's file and URL access are off, and no
 * `path`/`href` can reach it), and every message gets a Message-ID of ours.
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import { AppError, type FieldIssue } from '../errors';
import { checkDomain, checkSingleAddress } from './address';
import { hasUnsafeHeaderCharacters, UNSAFE_HEADER_MESSAGE } from './header-text';
import {
  MAX_ATTACHMENTS,
  MAX_ATTACHMENTS_TOTAL_BYTES,
  MAX_CUSTOM_HEADER_LENGTH,
  MAX_DISPLAY_NAME_LENGTH,
  MAX_FILENAME_LENGTH,
  MAX_RECIPIENTS,
  MAX_REFERENCES,
  MAX_SUBJECT_LENGTH,
} from './limits';
import type { MailAddress } from '../mail/mail-address';
import { checkMessageId, newMessageId } from '../mail/message-id';

export interface MailAttachment {
  filename: string;
  /** `type/subtype`, without parameters. */
  contentType: string;
  /** The decoded bytes. Nothing else (no path, no URL) can supply an attachment. */
  content: Buffer;
}

export interface CandidateMailInput {
  from: MailAddress;
  replyTo?: MailAddress[];
  to: string[];
  cc?: string[];
  subject: string;
  text?: string;
  html?: string;
  /** The message this one answers, `<id@host>` (brackets optional). */
  inReplyTo?: string;
  references?: string[];
  attachments?: MailAttachment[];
  /** Right-hand side of the Message-IDs we generate, a host name we own. */
  messageIdDomain: string;
  /** Pass the stored id on a retry so the same message is rebuilt with the same Message-ID. */
  messageId?: string;
  /** Our own `X-` headers only, e.g. `X-Recruiting-Mail-Id`. */
  headers?: Record<string, string>;
}

export interface BuiltCandidateMail {
  raw: Buffer;
  /** SMTP envelope: the From address and every To/Cc recipient once. */
  envelope: { from: string; to: string[] };
  /** Our Message-ID, `<id@messageIdDomain>`. */
  messageIdHeader: string;
}

const INPUT_FIELDS = new Set([
  'from',
  'replyTo',
  'to',
  'cc',
  'subject',
  'text',
  'html',
  'inReplyTo',
  'references',
  'attachments',
  'messageIdDomain',
  'messageId',
  'headers',
]);
const ATTACHMENT_FIELDS = new Set(['filename', 'contentType', 'content']);
const CONTENT_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;
const CUSTOM_HEADER_NAME = /^X-[A-Za-z0-9][A-Za-z0-9-]{0,70}$/;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);

/** Collects issues while normalising; every check reports at the field's dotted path. */
class IssueList {
  readonly issues: FieldIssue[] = [];

  add(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  address(value: unknown, path: string): string | undefined {
    const checked = checkSingleAddress(value);
    if (checked.ok) return checked.value;
    this.add(path, checked.message);
    return undefined;
  }

  messageId(value: unknown, path: string): string | undefined {
    const checked = checkMessageId(value);
    if (checked.ok) return checked.value;
    this.add(path, checked.message);
    return undefined;
  }

  headerText(value: unknown, path: string, maxLength: number, { required }: { required: boolean }): string | undefined {
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'string') {
      this.add(path, value === undefined ? 'is required' : 'must be a string');
      return undefined;
    }
    if (hasUnsafeHeaderCharacters(value)) {
      this.add(path, UNSAFE_HEADER_MESSAGE);
      return undefined;
    }
    const trimmed = value.trim();
    if (required && trimmed === '') {
      this.add(path, 'must not be empty');
      return undefined;
    }
    if (trimmed.length > maxLength) {
      this.add(path, `must be at most ${maxLength} characters`);
      return undefined;
    }
    return trimmed;
  }

  mailbox(value: unknown, path: string): MailAddress | undefined {
    if (!isRecord(value)) {
      this.add(path, 'must be an object with address and optional name');
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (key !== 'address' && key !== 'name') this.add(`${path}.${key}`, 'is not an accepted field');
    }
    const address = this.address(value.address, `${path}.address`);
    const name = this.headerText(value.name, `${path}.name`, MAX_DISPLAY_NAME_LENGTH, { required: false });
    if (address === undefined) return undefined;
    return name ? { address, name } : { address };
  }

  list<T>(value: unknown, path: string, max: number, each: (item: unknown, itemPath: string) => T | undefined): T[] {
    if (!Array.isArray(value)) {
      this.add(path, 'must be a list');
      return [];
    }
    if (value.length > max) {
      this.add(path, `must have at most ${max} entries`);
      return [];
    }
    const items: T[] = [];
    value.forEach((item, index) => {
      const checked = each(item, `${path}.${index}`);
      if (checked !== undefined) items.push(checked);
    });
    return items;
  }
}

function checkAttachment(issues: IssueList, value: unknown, path: string): MailAttachment | undefined {
  if (!isRecord(value)) {
    issues.add(path, 'must be an object with filename, contentType and content');
    return undefined;
  }
  let ok = true;
  for (const key of Object.keys(value)) {
    if (!ATTACHMENT_FIELDS.has(key)) {
      // `path`, `href`, `raw`, `cid`… would make nodemailer read files or URLs or splice MIME.
      issues.add(`${path}.${key}`, 'is not accepted: an attachment carries its content inline');
      ok = false;
    }
  }
  const filename = issues.headerText(value.filename, `${path}.filename`, MAX_FILENAME_LENGTH, { required: true });
  if (filename !== undefined) {
    if (/[/\\]/.test(filename)) {
      issues.add(`${path}.filename`, 'must not contain path separators');
      ok = false;
    } else if (/^\.+$/.test(filename)) {
      issues.add(`${path}.filename`, 'must be a file name');
      ok = false;
    }
  }
  const contentType = value.contentType;
  if (typeof contentType !== 'string' || !CONTENT_TYPE.test(contentType)) {
    issues.add(`${path}.contentType`, 'must be a media type such as application/pdf, without parameters');
    ok = false;
  } else if (/^multipart\//i.test(contentType)) {
    issues.add(`${path}.contentType`, 'multipart types are not accepted for attachments');
    ok = false;
  }
  if (!Buffer.isBuffer(value.content)) {
    issues.add(`${path}.content`, 'must be the decoded bytes (a Buffer)');
    ok = false;
  }
  if (!ok || filename === undefined) return undefined;
  return { filename, contentType: (contentType as string).toLowerCase(), content: value.content as Buffer };
}

/**
 * Checks and normalises a candidate mail (addresses bare and lower-case-domained, message ids
 * bracketed, subject and names trimmed). Throws `VALIDATION_FAILED` whose details list every issue as
 * `{ path, message }`.
 */
export function validateMailInput(input: unknown): CandidateMailInput {
  const issues = new IssueList();
  if (!isRecord(input)) {
    throw new AppError('VALIDATION_FAILED', 'The mail must be an object', [{ path: '', message: 'must be an object' }]);
  }
  for (const key of Object.keys(input)) {
    if (!INPUT_FIELDS.has(key)) issues.add(key, 'is not an accepted field');
  }

  const from = issues.mailbox(input.from, 'from');
  const replyTo =
    input.replyTo === undefined
      ? undefined
      : issues.list(input.replyTo, 'replyTo', MAX_RECIPIENTS, (item, path) => issues.mailbox(item, path));
  const to = issues.list(input.to, 'to', MAX_RECIPIENTS, (item, path) => issues.address(item, path));
  if (Array.isArray(input.to) && input.to.length === 0) issues.add('to', 'must have at least one recipient');
  const cc = input.cc === undefined ? undefined : issues.list(input.cc, 'cc', MAX_RECIPIENTS, (item, path) => issues.address(item, path));
  if (to.length + (cc?.length ?? 0) > MAX_RECIPIENTS) issues.add('cc', `to and cc together must have at most ${MAX_RECIPIENTS} recipients`);

  const subject = issues.headerText(input.subject, 'subject', MAX_SUBJECT_LENGTH, { required: true });

  let bodyTypesOk = true;
  for (const field of ['text', 'html'] as const) {
    if (input[field] !== undefined && typeof input[field] !== 'string') {
      issues.add(field, 'must be a string');
      bodyTypesOk = false;
    }
  }
  const text = typeof input.text === 'string' ? input.text : undefined;
  const html = typeof input.html === 'string' ? input.html : undefined;
  if (bodyTypesOk && !text?.trim() && !html?.trim()) issues.add('text', 'text or html is required');

  const inReplyTo = input.inReplyTo === undefined ? undefined : issues.messageId(input.inReplyTo, 'inReplyTo');
  const references =
    input.references === undefined
      ? undefined
      : issues.list(input.references, 'references', MAX_REFERENCES, (item, path) => issues.messageId(item, path));

  const attachments =
    input.attachments === undefined
      ? undefined
      : issues.list(input.attachments, 'attachments', MAX_ATTACHMENTS, (item, path) => checkAttachment(issues, item, path));
  if (attachments !== undefined) {
    const total = attachments.reduce((sum, attachment) => sum + attachment.content.length, 0);
    if (total > MAX_ATTACHMENTS_TOTAL_BYTES) {
      issues.add('attachments', `total size ${total} bytes exceeds the limit of ${MAX_ATTACHMENTS_TOTAL_BYTES} bytes (${MAX_ATTACHMENTS_TOTAL_BYTES / 1024 / 1024} MB)`);
    }
  }

  const domain = checkDomain(input.messageIdDomain);
  if (!domain.ok) issues.add('messageIdDomain', domain.message);
  const messageId = input.messageId === undefined ? undefined : issues.messageId(input.messageId, 'messageId');

  let headers: Record<string, string> | undefined;
  if (input.headers !== undefined) {
    if (!isRecord(input.headers)) {
      issues.add('headers', 'must be an object of X- header names to values');
    } else {
      headers = {};
      for (const [name, value] of Object.entries(input.headers)) {
        const path = `headers.${name}`;
        if (!CUSTOM_HEADER_NAME.test(name)) {
          issues.add(path, 'only our own X- headers (letters, digits, dashes) are accepted');
          continue;
        }
        const checked = issues.headerText(value, path, MAX_CUSTOM_HEADER_LENGTH, { required: true });
        if (checked !== undefined) headers[name] = checked;
      }
    }
  }

  if (issues.issues.length > 0) {
    const summary = issues.issues.map((issue) => `${issue.path || '(mail)'}: ${issue.message}`).join('; ');
    throw new AppError('VALIDATION_FAILED', `The mail is not valid: ${summary}`, issues.issues);
  }
  return {
    from: from as MailAddress,
    ...(replyTo && replyTo.length > 0 ? { replyTo } : {}),
    to,
    ...(cc && cc.length > 0 ? { cc } : {}),
    subject: subject as string,
    ...(text !== undefined ? { text } : {}),
    ...(html !== undefined ? { html } : {}),
    ...(inReplyTo !== undefined ? { inReplyTo } : {}),
    ...(references && references.length > 0 ? { references } : {}),
    ...(attachments && attachments.length > 0 ? { attachments } : {}),
    messageIdDomain: (domain as { value: string }).value,
    ...(messageId !== undefined ? { messageId } : {}),
    ...(headers && Object.keys(headers).length > 0 ? { headers } : {}),
  };
}

const uniqueAddresses = (addresses: string[]): string[] => {
  const seen = new Set<string>();
  return addresses.filter((address) => {
    const key = address.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
};

/**
 * Validates `input` (see `validateMailInput`) and renders it to a raw RFC 5322 message with CRLF
 * line ends, dated now, or `date` when a sent message is rebuilt (a candidate export).
 */
export async function buildCandidateMail(input: CandidateMailInput, { date = new Date() }: { date?: Date } = {}): Promise<BuiltCandidateMail> {
  const mail = validateMailInput(input);
  const messageIdHeader = mail.messageId ?? newMessageId(mail.messageIdDomain);
  // Only fields named here reach nodemailer; the attachment objects are rebuilt from the three
  // checked fields, so nothing else a caller put on them can be interpreted.
  const composer = new MailComposer({
    from: { name: mail.from.name ?? '', address: mail.from.address },
    replyTo: mail.replyTo?.map((entry) => ({ name: entry.name ?? '', address: entry.address })),
    to: mail.to,
    cc: mail.cc,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    inReplyTo: mail.inReplyTo,
    references: mail.references,
    messageId: messageIdHeader,
    date,
    headers: mail.headers,
    attachments: mail.attachments?.map((attachment) => ({
      filename: attachment.filename,
      contentType: attachment.contentType,
      content: attachment.content,
      contentDisposition: 'attachment',
    })),
    disableFileAccess: true,
    disableUrlAccess: true,
    newline: 'win',
  });
  const raw = await composer.compile().build();
  return {
    raw,
    envelope: { from: mail.from.address, to: uniqueAddresses([...mail.to, ...(mail.cc ?? [])]) },
    messageIdHeader,
  };
}
