/**
 * The connection semaphore of a sending mailbox, shared by every worker (capability 11): a
 * worker holds one lease per open connection to the mailbox's server. A lease expires by
 * itself, so one a crashed worker held frees its slot without anyone cleaning up.
 */
export interface ConnectionLease {
  mailbox: string;
  slot: number;
  /** Epoch milliseconds after which another worker may take the slot. */
  expiresAtMs: number;
}

export interface ConnectionLeases {
  /** One of the mailbox's `max` slots, or null when every one is held by a live lease. */
  acquire(mailbox: string, max: number): Promise<ConnectionLease | null>;
  /** Frees the slot, if this lease still holds it. */
  release(lease: ConnectionLease): Promise<void>;
}

/** Every connection slot of the mailbox is held by some worker: the message waits its turn. */
export class MailboxBusyError extends Error {
  constructor(readonly maxConnections: number) {
    super(`All ${maxConnections} connections of the sending mailbox are in use`);
    this.name = 'MailboxBusyError';
  }
}
