import type { InboundPollState, MailboxCursor } from './model';

export interface MailboxRef {
  companyId: string;
  scope: string;
}

/**
 * Persistence of the mailboxes read over IMAP: the list the dispatcher fans out (an index with
 * one entry per IMAP scope, so listing never scans the table), each mailbox's read position
 * under a lease (one poller per mailbox at a time), and the poller's finding for the settings
 * view.
 */
export interface InboundMailboxStore {
  /** Every scope whose inbound mode is `imap` (and, briefly, some that just left it). */
  listMailboxes(): AsyncIterable<MailboxRef>;
  register(mailbox: MailboxRef): Promise<void>;
  unregister(mailbox: MailboxRef): Promise<void>;
  /**
   * Takes the mailbox's lease until `now + seconds` if nobody holds it (or theirs expired);
   * answers the read position, or `busy` when another poller holds it.
   */
  acquireLease(mailbox: MailboxRef, owner: string, now: Date, seconds: number): Promise<{ cursor: MailboxCursor | null } | 'busy'>;
  /** Stores the read position while `owner` still holds the lease; false when it was lost. */
  saveCursor(mailbox: MailboxRef, owner: string, cursor: MailboxCursor): Promise<boolean>;
  releaseLease(mailbox: MailboxRef, owner: string): Promise<void>;
  /** The poller's finding, kept on the scope's settings if its IMAP revision is still `state.revision`. */
  recordPoll(mailbox: MailboxRef, state: InboundPollState): Promise<void>;
}
