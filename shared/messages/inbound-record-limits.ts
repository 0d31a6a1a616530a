/**
 * An inbound message item that fits DynamoDB's 400 KB, whatever the mail: a mail may carry
 * thousands of recipients, hundreds of References, endless header values and parts. What the
 * item keeps is capped here; what is cut is named on the message (`omissions`), and all of it
 * stays in the raw mail. The bodies go to the bucket when the item would not hold them.
 */
import type { BlobStore } from '../blob-store';
import type { ParsedInboundMail } from '../inbound/parse-inbound-mail';
import type { StoredMailAddress } from '../mail/mail-address';
import { bodyKey } from '../mail-bucket-layout';
import { bodyFields, INLINE_BODY_LIMIT } from './message-body';
import { newMessageRecord, type MessageRecord, type StoredAttachment } from './model';

/** What an inbound item may use in all, below the 400 KB limit with room for the keys and later updates. */
export const INBOUND_ITEM_BUDGET = 350 * 1024;
export const INBOUND_RECORD_CAPS = {
  /** Per address list (To, Cc, Reply-To). */
  addresses: 50,
  /** The last References are kept: the nearest messages of the thread. */
  references: 20,
  evidence: 30,
  /** Parser defects named on the message. */
  defects: 10,
  subjectLength: 2000,
  /** A Message-ID, a display name, an evidence line. */
  valueLength: 998,
  contentIdLength: 256,
} as const;

type NewRecordFields = Parameters<typeof newMessageRecord>[0];

/** The message record, capped to the item budget; large bodies stored in the bucket. */
export async function inboundRecordWithinItemLimit(
  blobs: BlobStore,
  mail: Pick<ParsedInboundMail, 'omittedParts' | 'defects'>,
  fields: NewRecordFields,
  body: { text: string | null; html: string | null },
): Promise<MessageRecord> {
  const omissions = [...(fields.omissions ?? [])];
  if (mail.omittedParts > 0) omissions.push(`${mail.omittedParts} attachments past the first ${fields.attachments?.length ?? 0} are only in the raw mail`);
  // What the parser could not read (a field dropped, a part it gave up on) is only in the raw mail too.
  omissions.push(...mail.defects.slice(0, INBOUND_RECORD_CAPS.defects).map((defect) => `not parsed: ${defect}`.slice(0, INBOUND_RECORD_CAPS.valueLength)));
  const capped = newMessageRecord({
    ...fields,
    ...capInboundFields(fields, omissions),
    omissions,
    text: null,
    html: null,
    bodyKey: null,
  });
  const room = INBOUND_ITEM_BUDGET - itemSize(capped);
  const bodies = await bodyFields(blobs, bodyKey(capped.companyId, capped.id), body.text, body.html, Math.max(0, Math.min(INLINE_BODY_LIMIT, room)));
  return { ...capped, ...bodies };
}

/** The capped address lists, threading ids, subject, attachments and evidence; what was cut noted in `omissions`. */
export function capInboundFields(fields: Partial<MessageRecord>, omissions: string[]): Partial<MessageRecord> {
  const caps = INBOUND_RECORD_CAPS;
  const list = <T>(name: string, values: T[] | undefined, cap: number, keep: 'first' | 'last' = 'first'): T[] => {
    const all = values ?? [];
    if (all.length <= cap) return all;
    omissions.push(`${name}: ${all.length} entries, the ${keep} ${cap} kept`);
    return keep === 'first' ? all.slice(0, cap) : all.slice(-cap);
  };
  const text = (name: string, value: string, max: number): string => {
    if (value.length <= max) return value;
    omissions.push(`${name}: ${value.length} characters, the first ${max} kept`);
    return value.slice(0, max);
  };
  const optional = (name: string, value: string | null | undefined): string | null => (value == null ? null : text(name, value, caps.valueLength));
  const address = (value: StoredMailAddress): StoredMailAddress => ({
    address: value.address.slice(0, caps.valueLength),
    name: value.name === null ? null : value.name.slice(0, caps.valueLength),
  });
  return {
    from: fields.from ? address(fields.from) : null,
    originalSender: fields.originalSender ? address(fields.originalSender) : null,
    to: list('to', fields.to, caps.addresses).map(address),
    cc: list('cc', fields.cc, caps.addresses).map(address),
    replyTo: list('reply-to', fields.replyTo, caps.addresses).map(address),
    subject: text('subject', fields.subject ?? '', caps.subjectLength),
    messageIdHeader: optional('message-id', fields.messageIdHeader),
    inReplyTo: optional('in-reply-to', fields.inReplyTo),
    references: list('references', fields.references, caps.references, 'last').map((id) => id.slice(0, caps.valueLength)),
    attachments: (fields.attachments ?? []).map(capAttachment),
    evidence: list('evidence', fields.evidence, caps.evidence).map((line) => line.slice(0, caps.valueLength)),
  };
}

function capAttachment(attachment: StoredAttachment): StoredAttachment {
  return { ...attachment, contentId: attachment.contentId?.slice(0, INBOUND_RECORD_CAPS.contentIdLength) ?? null };
}

/** An upper bound of the item's size: DynamoDB counts names and UTF-8 values, JSON adds quotes and punctuation. */
export const itemSize = (record: MessageRecord): number => Buffer.byteLength(JSON.stringify(record)) + 512;
