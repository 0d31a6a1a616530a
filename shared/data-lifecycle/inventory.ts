/**
 * Everything the backend stores, one line per kind of item or object, each with whose it is
 * and what erasure does to it (after Mastodon's DeleteAccountService: the list is explicit).
 * `{name}` stands for a variable part of a key. The inventory test (test/data-lifecycle/
 * inventory.test.ts) runs the main flows against dynalite and s3rver and fails on any stored
 * key no line here matches: whoever stores a new kind of thing adds its line, and says here how
 * it is erased.
 *
 * Owners: `candidate` (personal data of one candidate: erased by anonymize, and by offboarding),
 * `company` (the company's configuration and bookkeeping: erased by offboarding), `platform`
 * (no company's: kept).
 */
import { MAIL_PREFIXES } from '../mail-bucket-layout';

export type DataOwner = 'candidate' | 'company' | 'platform';

export interface InventoryEntry {
  /** `pk | sk` of a table item, or an object key of the mail bucket, with `{name}` placeholders. */
  key: string;
  owner: DataOwner;
  /** What anonymize / offboarding / retention do to it. */
  erasure: string;
}

const item = (pk: string, sk: string, owner: DataOwner, erasure: string): InventoryEntry => ({ key: `${pk} | ${sk}`, owner, erasure });
const object = (key: string, owner: DataOwner, erasure: string): InventoryEntry => ({ key, owner, erasure });
const P = MAIL_PREFIXES;

/** Items of the single table (`pk | sk`). */
export const TABLE_INVENTORY: readonly InventoryEntry[] = [
  item('COMPANY#{company}', 'CANDIDATE#{candidate}', 'candidate', 'anonymize: replaced by a tombstone (candidate id, erasure id, time); offboarding: deleted'),
  item('COMPANY#{company}', 'ADDRESS#{address}#{candidate}', 'candidate', 'anonymize: each address–candidate pair deleted first (unlist)'),
  item('COMPANY#{company}', 'LEARNED#{address}', 'candidate', 'anonymize: deleted while it names the candidate'),
  item('MESSAGE#{message}', 'MESSAGE', 'candidate', 'anonymize: deleted with its objects (queued mail cancelled first); unassigned: retention after unassignedDays, or anonymize with includeUnassigned'),
  item('COMPANY#{company}', 'MESSAGE-ID#{header}', 'candidate', 'deleted with the outbound message it names (ours and the default provider’s Message-ID)'),
  item('COMPANY#{company}', 'INBOUND-MESSAGE-ID#{scope}#{header}', 'candidate', 'deleted with the inbound message it names'),
  item('COMPANY#{company}', 'IDEMPOTENCY#{key}', 'candidate', 'deleted with the message it names (holds a body hash only); TTL 24 h'),
  item('UNSETTLED-OUTBOUND#{shard}', '{createdAt}#{message}', 'candidate', 'deleted with the message; settled mail removes it anyway'),
  item('COMPANY#{company}', 'SETTINGS#{scope}', 'company', 'offboarding: deleted (encrypted password and OAuth tokens with it)'),
  item('INBOUND#{localPart}', 'INBOUND', 'company', 'offboarding: retired, kept for good (reserved, owned by no one)'),
  item('OAUTH_STATE#{state}', 'STATE', 'company', 'TTL (minutes); not reachable by company, left to expire'),
  item('RATE#{bucket}', 'WINDOW#{start}', 'company', 'TTL (two windows, minutes); counters only'),
  item('COMPANY#{company}', 'ERASURE#{erasure}', 'company', 'the tombstone of an erasure: ids, counts, times (addresses only while running); offboarding deletes all but its own'),
  item('COMPANY#{company}', 'EXPORT#{export}', 'company', 'an export’s record: ids, status, the zip’s key; TTL (a day past its zip); anonymize deletes the candidate’s, offboarding all'),
  item('COMPANY#{company}', 'DATA-RETENTION', 'company', 'offboarding: deleted (the policy only)'),
  item('OFFBOARDED#{company}', 'OFFBOARDED', 'platform', 'kept for good: the company id and its offboarding’s erasure id'),
  item('COMPANY#{company}', 'SCOPE-COUNT', 'company', 'offboarding: deleted (a count of sub-company scopes)'),
  item('COMPANY#{company}', 'SUPPRESSION#{address}', 'candidate', 'anonymize: deleted for each of the candidate’s addresses; offboarding: deleted'),
  item('COMPANY#{company}', 'DEFAULT-PROVIDER#DAY#{day}', 'company', 'counts only; TTL after the guard’s window; offboarding: deleted'),
  item('COMPANY#{company}', 'DEFAULT-PROVIDER#FACT#{fact}', 'company', 'an event counted once (hashed address only); TTL; offboarding: deleted'),
  item('COMPANY#{company}', 'DEFAULT-PROVIDER#STATE', 'company', 'the guard’s pause state (rates, times); offboarding: deleted'),
  item('COMPANY#{company}', 'IMAP-MAILBOX#{scope}', 'company', 'the mailbox poller’s UID cursor and lease; offboarding: deleted'),
  item('IMAP-MAILBOXES', '{mailbox}', 'company', 'the poll dispatcher’s index; removed by the next poll once the settings are gone (offboarding), or on switching to forward'),
  item('MAILBOX#{mailbox}', 'RATE', 'company', 'the sending mailbox’s rate window (counts and slot times, keyed by server and login); TTL after its last use'),
  item('MAILBOX#{mailbox}', 'LEASE#{slot}', 'company', 'a connection lease; TTL (minutes)'),
  item('SEND-PACE#{second}', 'SEND-PACE', 'platform', 'the default provider’s pace, one second; TTL (a minute)'),
];

/** Objects of the mail bucket. */
export const BUCKET_INVENTORY: readonly InventoryEntry[] = [
  object(`${P.inboundImap}{raw}`, 'candidate', 'mail read from a company mailbox: deleted with the message; expires after rawMailRetentionDays (lifecycle rule)'),
  object(`${P.inbound}{raw}`, 'candidate', 'deleted with the message; expires after rawMailRetentionDays (lifecycle rule)'),
  object(`${P.inboundFiled}{raw}`, 'candidate', 'deleted with the message (a mark: outcomes only)'),
  object(`${P.inboundEnvelopes}{raw}.json`, 'candidate', 'deleted with the message (local mode only)'),
  object(`${P.attachments}{delivery}/{index}`, 'candidate', 'deleted with the inbound message'),
  object(`${P.bodies}{company}/{message}.json`, 'candidate', 'deleted with the message; offboarding empties the prefix'),
  object(`${P.outbound}{company}/{message}/{index}`, 'candidate', 'deleted with the outbound message; offboarding empties the prefix'),
  object(`${P.uploads}{company}/{attachment}`, 'candidate', 'expires after a day (lifecycle rule); offboarding empties the prefix'),
  object(`${P.uploads}{company}/{attachment}.json`, 'company', 'expires after a day (lifecycle rule); offboarding empties the prefix'),
  object(`${P.exports}{company}/{candidate}/{export}.zip`, 'candidate', 'expires after a day (lifecycle rule); anonymize deletes the candidate’s (finish step); offboarding empties the prefix'),
];

const patternOf = (template: string) =>
  new RegExp(`^${template.split(/\{[A-Za-z]+\}/).map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`, 's');

const compiled = (entries: readonly InventoryEntry[]) => entries.map((entry) => ({ entry, pattern: patternOf(entry.key) }));
const tablePatterns = compiled(TABLE_INVENTORY);
const bucketPatterns = compiled(BUCKET_INVENTORY);

/** The inventory line of a table item, or null when none names it. */
export const tableEntryOf = (pk: string, sk: string): InventoryEntry | null => tablePatterns.find(({ pattern }) => pattern.test(`${pk} | ${sk}`))?.entry ?? null;

/** The inventory line of an object key, or null when none names it. */
export const bucketEntryOf = (key: string): InventoryEntry | null => bucketPatterns.find(({ pattern }) => pattern.test(key))?.entry ?? null;
