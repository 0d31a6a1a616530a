/**
 * Where the mail bucket keeps what durable inbound filing needs besides the raw mail: the
 * envelope of a mail the local listener received (SES's event carries it on AWS), and a mark
 * per raw mail once it has been filed (whatever the outcome), so that the reconciler can tell
 * stored-but-never-filed mail from filed mail without reading the table.
 */
import { MAIL_PREFIXES } from '../mail-bucket-layout';
import { INBOUND_RAW_PREFIX } from './ses-receipt';

export const INBOUND_FILED_PREFIX = MAIL_PREFIXES.inboundFiled;
export const INBOUND_ENVELOPE_PREFIX = MAIL_PREFIXES.inboundEnvelopes;

const rawId = (rawKey: string) => (rawKey.startsWith(INBOUND_RAW_PREFIX) ? rawKey.slice(INBOUND_RAW_PREFIX.length) : rawKey);

export const filedMarkKey = (rawKey: string): string => `${INBOUND_FILED_PREFIX}${rawId(rawKey)}`;
export const envelopeKey = (rawKey: string): string => `${INBOUND_ENVELOPE_PREFIX}${rawId(rawKey)}.json`;

/** What the receiving side knew about a mail beyond its bytes. */
export interface StoredEnvelope {
  recipients: string[];
  source: string;
  receivedAt: string;
}
