/**
 * The fields of one message (addresses, threading ids, subject, date, headers, bodies) from what
 * mailparser emitted for its header section and text. Bounded: at most MAX_HEADER_VALUES header
 * values of MAX_HEADER_VALUE_LENGTH characters each are kept. What mailparser emitted is read as
 * of unknown type: a value not of the shape expected counts as absent.
 */
import type { AddressObject, EmailAddress, HeaderValue, Headers, MessageText, StructuredHeader } from 'mailparser';
import type { MailAddress } from '../mail/mail-address';
import { messageIdsIn, normalizeMessageId } from '../mail/message-id';
import type { HeaderMap, MessageCore } from './inbound-mail';

const MAX_HEADER_VALUES = 500;
const MAX_HEADER_VALUE_LENGTH = 4000;

export function buildCore(
  headers: Headers | undefined,
  lineHeaders: HeaderMap,
  text: MessageText | undefined,
  defects: string[],
): MessageCore {
  const map = headers ?? new Map<string, HeaderValue>();
  if (!headers) defects.push('no header section could be parsed');
  const contentType = asStructured(map.get('content-type')) ?? { value: 'text/plain', params: {} };
  const rawDate = lineHeaders.date?.[0];
  const parsedDate = rawDate !== undefined ? new Date(rawDate) : undefined;
  const validDate = parsedDate && !Number.isNaN(parsedDate.getTime()) ? parsedDate : undefined;
  if (text?.textConversionError) defects.push(`html not converted to text: ${String(text.textConversionError.message)}`);
  const messageId = firstString(map.get('message-id'));
  const inReplyTo = firstString(map.get('in-reply-to'));
  const fromAll = mailboxes(map.get('from'));
  const from = fromAll[0];
  if (headers && map.size === 0 && Object.keys(lineHeaders).length === 0) defects.push('no header fields: not a mail, or its header section is unreadable');
  else if (!map.has('from')) defects.push('no From header');
  else if (!from) defects.push('the From header names no mailbox');
  if (rawDate !== undefined && !validDate) defects.push('the Date header is not a date');
  const sender = firstMailbox(map.get('sender'));
  return {
    ...(messageId ? { messageId: normalizeMessageId(messageId) } : {}),
    ...(inReplyTo ? { inReplyTo: normalizeMessageId(inReplyTo.split(/\s+/)[0] ?? inReplyTo) } : {}),
    references: parseReferences(map.get('references')),
    subject: firstString(map.get('subject')) ?? '',
    ...(validDate ? { date: validDate } : {}),
    ...(from ? { from } : {}),
    fromAll,
    ...(sender ? { sender } : {}),
    replyTo: mailboxes(map.get('reply-to')),
    to: mailboxes(map.get('to')),
    cc: mailboxes(map.get('cc')),
    headers: { ...toHeaderMap(map), ...lineHeaders, ...(rawDate !== undefined ? { date: [rawDate] } : {}) },
    contentType: { value: contentType.value.toLowerCase(), params: contentType.params },
    ...(typeof text?.text === 'string' && text.text ? { text: text.text } : {}),
    ...(typeof text?.html === 'string' && text.html ? { html: text.html } : {}),
    defects,
  };
}

function parseReferences(value: HeaderValue | undefined): string[] {
  return messageIdsIn(([] as unknown[]).concat(value ?? []).filter((v): v is string => typeof v === 'string'));
}

function firstString(value: HeaderValue | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

function asStructured(value: HeaderValue | undefined): StructuredHeader | undefined {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  if (!first || typeof first !== 'object' || !('value' in first) || !('params' in first)) return undefined;
  const { value: main, params } = first as { value: unknown; params: unknown };
  if (typeof main !== 'string') return undefined;
  const strings = params && typeof params === 'object' ? Object.entries(params).filter((entry): entry is [string, string] => typeof entry[1] === 'string') : [];
  return { value: main, params: Object.fromEntries(strings) };
}

function isAddressObject(value: unknown): value is AddressObject {
  return Boolean(value) && typeof value === 'object' && Array.isArray((value as AddressObject).value);
}

function flattenAddresses(list: EmailAddress[], depth = 0): EmailAddress[] {
  return list.flatMap((entry) => {
    if (!entry || typeof entry !== 'object') return [];
    if (Array.isArray(entry.group)) return depth < 4 ? flattenAddresses(entry.group, depth + 1) : [];
    return [entry];
  });
}

function mailboxes(value: HeaderValue | undefined): MailAddress[] {
  const objects = ([] as unknown[]).concat(value ?? []).filter(isAddressObject);
  return objects.flatMap((object) =>
    flattenAddresses(object.value)
      .filter((entry) => typeof entry.address === 'string' && entry.address.includes('@'))
      .map((entry) => ({
        address: (entry.address as string).trim(),
        ...(typeof entry.name === 'string' && entry.name.trim() ? { name: entry.name.trim() } : {}),
      })),
  );
}

function firstMailbox(value: HeaderValue | undefined): MailAddress | undefined {
  return mailboxes(value)[0];
}

function headerValueToStrings(value: HeaderValue): string[] {
  if (Array.isArray(value)) return (value as HeaderValue[]).flatMap(headerValueToStrings);
  if (typeof value === 'string') return [value];
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? [] : [value.toISOString()];
  if (isAddressObject(value)) return typeof value.text === 'string' ? [value.text] : [];
  const structured = asStructured(value);
  if (structured) {
    const params = Object.entries(structured.params).map(([k, v]) => `; ${k}=${JSON.stringify(v)}`);
    return [structured.value + params.join('')];
  }
  if (value && typeof value === 'object') {
    // mailparser folds List-* headers into one object keyed by the part after "list-".
    return [JSON.stringify(value)];
  }
  return [];
}

function toHeaderMap(map: Headers | Map<string, HeaderValue>): HeaderMap {
  const out: HeaderMap = {};
  let count = 0;
  for (const [key, value] of map) {
    if (count >= MAX_HEADER_VALUES) break;
    if (key === 'list') continue;
    const values = headerValueToStrings(value)
      .map((v) => (v.length > MAX_HEADER_VALUE_LENGTH ? v.slice(0, MAX_HEADER_VALUE_LENGTH) : v))
      .slice(0, MAX_HEADER_VALUES - count);
    count += values.length;
    if (values.length) out[key] = values;
  }
  return out;
}

/**
 * Headers taken from the raw lines: mailparser folds the List-* headers into one object (the
 * raw List-Id / List-Unsubscribe values are what evidence and classification read), and it
 * replaces an unparseable Date with the current time (we would rather have no date).
 */
export function rawLineHeaders(lines: ReadonlyArray<{ key: string; line: string }>): HeaderMap {
  const out: HeaderMap = {};
  for (const entry of lines) {
    const { key, line } = (entry ?? {}) as { key: unknown; line: unknown };
    if (typeof key !== 'string' || typeof line !== 'string') continue;
    if (!key.startsWith('list-') && key !== 'date') continue;
    const value = line
      .slice(line.indexOf(':') + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim()
      .slice(0, MAX_HEADER_VALUE_LENGTH);
    (out[key] ??= []).push(value);
  }
  return out;
}
