import { TABLE_LAYOUT } from '../table-layout';
import type { MessageRecord, MessageStatus, Page } from './model';

/** What a list holds of each message: the fields the index projects (the list view's). */
export type MessageSummary = Pick<MessageRecord, (typeof TABLE_LAYOUT.gsi1.projected)[number]>;

export interface IdempotencyClaim {
  claimed: boolean;
  /** When not claimed: what the first request stored. */
  bodyHash: string;
  messageId: string;
}

export interface MessagesStore {
  /** Stores a new message; false if the id exists (a redelivery). */
  create(message: MessageRecord): Promise<boolean>;
  get(id: string): Promise<MessageRecord | null>;
  /**
   * Applies changes if the message's status is one of `onlyIfStatus` and its `attempts` is still
   * `onlyIfAttempts` (each when given); returns the updated record, or null when a condition did
   * not hold. A claim increments `attempts`, so `onlyIfAttempts` lets exactly one of two workers
   * that saw the same state win it.
   */
  update(id: string, changes: Partial<MessageRecord>, onlyIfStatus?: MessageStatus[], onlyIfAttempts?: number): Promise<MessageRecord | null>;
  /** Newest first. */
  listByCandidate(companyId: string, candidateId: string, page: { cursor?: string; limit: number }): Promise<Page<MessageSummary>>;
  listUnassigned(companyId: string, page: { cursor?: string; limit: number }): Promise<Page<MessageSummary>>;
  /** First writer of a key wins for 24 h. */
  claimIdempotencyKey(companyId: string, key: string, bodyHash: string, messageId: string, ttlSeconds: number): Promise<IdempotencyClaim>;
  /** Remembers that a Message-ID header belongs to a message, for threading and bounces. */
  indexMessageIdHeader(companyId: string, header: string, messageId: string): Promise<void>;
  findByMessageIdHeader(companyId: string, header: string): Promise<string | null>;
  /**
   * The first inbound message stored for a Message-ID at a scope: `messageId` if this call
   * claimed it, else the id that did (the same mail forwarded or delivered twice).
   */
  claimInboundMessageId(companyId: string, scope: string, header: string, messageId: string): Promise<string>;
  /**
   * Outbound messages not yet `sent` or `failed` (queued, sending), oldest first, at most
   * `limit`: the work list of the sweeper that settles what a crash left behind.
   */
  listUnsettledOutbound(limit: number): Promise<MessageRecord[]>;
}

/** Whether an outbound message still has work to do (`cancelled` has none: it is never sent). */
export const isUnsettledOutbound = (message: Pick<MessageRecord, 'direction' | 'status'>): boolean =>
  message.direction === 'outbound' && message.status !== 'sent' && message.status !== 'failed' && message.status !== 'cancelled';
