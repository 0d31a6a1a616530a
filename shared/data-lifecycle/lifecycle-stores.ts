import type { MessageRecord } from '../messages/model';

/** The table side of erasing one message: its item and every index entry that names it. */
export interface MessageItemsEraser {
  /**
   * Deletes the message's Message-ID, inbound Message-ID, idempotency and unsettled-outbound
   * entries (only those still naming this message), then the message item itself, last, so a
   * crash before the end leaves the message findable and the work is done again.
   */
  eraseMessageItems(message: MessageRecord): Promise<void>;
}

/** Deletes objects of the mail bucket (a missing one is no error). */
export interface BlobEraser {
  deleteObjects(keys: string[]): Promise<void>;
}
