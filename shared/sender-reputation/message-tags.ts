/**
 * The SES message tags on every default-provider send: they tell the delivery-event function
 * which company (and which message) an event is about. SES allows only ASCII letters, digits,
 * `_` and `-` in tag values (at most 256), and a company id may hold `.`, `:` and `@`: it is
 * written base64url (whose alphabet is exactly letters, digits, `-`, `_`), 128 characters at
 * most becoming 172. Message ids are ours (`msg_…`) and already fit; scopes are encoded too.
 */
import type { DefaultProviderTag } from '../outbound/default-provider';

/** What a mail sent through the default provider is: it decides what its events update. */
export const SENT_MAIL_KINDS = ['candidate-mail', 'redirect-test'] as const;
export type SentMailKind = (typeof SENT_MAIL_KINDS)[number];

export const TAG_NAMES = { company: 'company', kind: 'kind', message: 'message', scope: 'scope' } as const;

export interface SentMailTags {
  companyId: string;
  kind: SentMailKind;
  /** Candidate mail: our message id. */
  messageId?: string;
  /** Redirect test: the scope whose forwarding it checks. */
  scope?: string;
}

const TAG_VALUE = /^[A-Za-z0-9_-]{1,256}$/;
const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

function decode(value: string): string | null {
  if (!TAG_VALUE.test(value)) return null;
  const text = Buffer.from(value, 'base64url').toString('utf8');
  // base64url decoding is lenient: only a value that encodes back to itself is ours.
  return encode(text) === value && text !== '' ? text : null;
}

export function sentMailTags(tags: SentMailTags): DefaultProviderTag[] {
  const list: DefaultProviderTag[] = [
    { name: TAG_NAMES.company, value: encode(tags.companyId) },
    { name: TAG_NAMES.kind, value: tags.kind },
  ];
  if (tags.messageId !== undefined) {
    if (!TAG_VALUE.test(tags.messageId)) throw new Error(`Message id ${tags.messageId} cannot be an SES tag value`);
    list.push({ name: TAG_NAMES.message, value: tags.messageId });
  }
  if (tags.scope !== undefined) list.push({ name: TAG_NAMES.scope, value: encode(tags.scope) });
  return list;
}

/**
 * Our tags back from an event's `mail.tags` (SES lists each tag's values, and adds its own
 * `ses:*` tags); null when the mail is not one of ours (no company or kind) or a value was
 * tampered with.
 */
export function readSentMailTags(tags: Record<string, string[]> | undefined): SentMailTags | null {
  const first = (name: string) => tags?.[name]?.[0];
  const company = first(TAG_NAMES.company);
  const kind = first(TAG_NAMES.kind);
  const companyId = company === undefined ? null : decode(company);
  if (companyId === null || !SENT_MAIL_KINDS.includes(kind as SentMailKind)) return null;
  const result: SentMailTags = { companyId, kind: kind as SentMailKind };
  const messageId = first(TAG_NAMES.message);
  if (messageId !== undefined && TAG_VALUE.test(messageId)) result.messageId = messageId;
  const scope = first(TAG_NAMES.scope);
  const decodedScope = scope === undefined ? null : decode(scope);
  if (decodedScope !== null) result.scope = decodedScope;
  if (result.kind === 'candidate-mail' && result.messageId === undefined) return null;
  return result;
}
