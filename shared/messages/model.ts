import type { MessageErrorCode, SmtpResultCode } from '../error-catalogue';
import type { StoredMailAddress } from '../mail/mail-address';
import type { MessageDelivery } from '../sender-reputation/message-delivery';

export interface StoredAttachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  /** Object key in the mail bucket. */
  key: string;
  contentId: string | null;
  inline: boolean;
}

export const MATCH_KINDS = ['from', 'forwarded', 'attachment', 'header', 'thread', 'learned', 'manual'] as const;
export type MatchKind = (typeof MATCH_KINDS)[number];

export const OUTBOUND_STATUSES = ['queued', 'sending', 'sent', 'failed'] as const;
export const INBOUND_STATUSES = ['received', 'quarantined', 'ignored'] as const;
export type MessageStatus = (typeof OUTBOUND_STATUSES)[number] | (typeof INBOUND_STATUSES)[number];

export interface Verdicts {
  spam: string | null;
  virus: string | null;
  spf: string | null;
  dkim: string | null;
  dmarc: string | null;
  /**
   * Ours, beside SES's: why the mail could not be parsed or filed (null or absent when it was).
   * Such a mail is unassigned with its raw mail kept, and filed in place when delivered again.
   */
  parseError?: string | null;
}

/** One item per message, inbound or outbound; filing is a key (`candidateId`) an update can change. */
export interface MessageRecord {
  id: string;
  companyId: string;
  scope: string;
  direction: 'inbound' | 'outbound';
  candidateId: string | null;
  from: StoredMailAddress | null;
  to: StoredMailAddress[];
  cc: StoredMailAddress[];
  replyTo: StoredMailAddress[];
  subject: string;
  /** The Message-ID header: ours for outbound mail, the sender's for inbound. */
  messageIdHeader: string | null;
  /** The Message-ID the default provider gave the mail (SES rewrites it). */
  providerMessageIdHeader: string | null;
  inReplyTo: string | null;
  references: string[];
  text: string | null;
  html: string | null;
  /** Bodies too large for the item live in the bucket under this key. */
  bodyKey: string | null;
  attachments: StoredAttachment[];
  status: MessageStatus;
  createdAt: string;
  updatedAt: string;

  // Outbound delivery.
  provider: 'smtp' | 'default' | null;
  fallbackReason: SmtpResultCode | null;
  /** Every delivery attempt, through any route. */
  attempts: number;
  /** The attempts through the default provider, which has retries of its own. */
  defaultProviderAttempts: number;
  smtpResponse: string | null;
  error: { code: MessageErrorCode; message: string; hint?: string } | null;
  sentAt: string | null;
  /** Set while a worker holds the message; a stale lease means the attempt died mid-way. */
  sendingSince: string | null;
  /** Set just before the message is handed to a server: a died attempt may have delivered it. */
  transmitting: boolean;
  idempotencyKey: string | null;
  bounce: { recipient: string | null; status: string | null; diagnostic: string | null; at: string } | null;
  /** What the default provider's delivery events said (shared/sender-reputation); absent until one came. */
  delivery?: MessageDelivery | null;

  // Inbound filing.
  receivedAt: string | null;
  match: { by: MatchKind; address: string | null } | null;
  verdicts: Verdicts | null;
  flags: { spam: boolean; autoReply: boolean; bounce: boolean; remoteImages: number } | null;
  originalSender: StoredMailAddress | null;
  rawKey: string | null;
  evidence: string[];
  /** What of the mail is only in the raw mail (parts past the cap, long address lists cut), one line each. */
  omissions: string[];
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function newMessageRecord(base: Pick<MessageRecord, 'id' | 'companyId' | 'scope' | 'direction' | 'status' | 'createdAt'> & Partial<MessageRecord>): MessageRecord {
  return {
    candidateId: null,
    from: null,
    to: [],
    cc: [],
    replyTo: [],
    subject: '',
    messageIdHeader: null,
    providerMessageIdHeader: null,
    inReplyTo: null,
    references: [],
    text: null,
    html: null,
    bodyKey: null,
    attachments: [],
    updatedAt: base.createdAt,
    provider: null,
    fallbackReason: null,
    attempts: 0,
    defaultProviderAttempts: 0,
    smtpResponse: null,
    error: null,
    sentAt: null,
    sendingSince: null,
    transmitting: false,
    idempotencyKey: null,
    bounce: null,
    receivedAt: null,
    match: null,
    verdicts: null,
    flags: null,
    originalSender: null,
    rawKey: null,
    evidence: [],
    omissions: [],
    ...base,
  };
}
