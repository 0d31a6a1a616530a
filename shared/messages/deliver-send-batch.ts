/**
 * One invocation of the send worker over a batch of queued messages, one after another, within
 * the invocation's time: a record is started only while the time left can hold a worst-case
 * delivery (send-worker-budget.ts), so that two slow servers in a batch never time the whole
 * invocation out. The records not started go back to the queue at once, as new jobs: a batch
 * item failure would make them wait out the visibility timeout and count a receive towards the
 * dead-letter queue for a message that was never tried.
 */
import { logger } from '../logger';

export interface BatchRecord {
  /** The queue's id of the record (SQS `messageId`). */
  id: string;
  /** The job, as enqueued. */
  body: string;
}

export interface SendBatchDeps {
  /** Delivers one record; false when it failed and the queue must retry it. */
  deliverRecord(record: BatchRecord): Promise<boolean>;
  /** Puts a record not started back on the queue, to be taken at once by another invocation. */
  requeue(record: BatchRecord): Promise<void>;
  /** The invocation's time left (Lambda's `getRemainingTimeInMillis`). */
  remainingMs(): number;
  /** What one record may take at worst. */
  recordBudgetMs: number;
}

/** The ids of the records the queue must deliver again (SQS batch item failures). */
export async function deliverSendBatch(records: readonly BatchRecord[], deps: SendBatchDeps): Promise<string[]> {
  const failures: string[] = [];
  for (const [index, record] of records.entries()) {
    // The first record always runs: the worker's timeout holds one worst-case delivery.
    if (index > 0 && deps.remainingMs() < deps.recordBudgetMs) {
      const left = records.slice(index);
      logger.info('not enough time left for another delivery; the rest of the batch goes back to the queue', { deferred: left.length, remainingMs: deps.remainingMs() });
      for (const later of left) {
        await deps.requeue(later).catch((error: unknown) => {
          logger.error('could not put a record back on the queue; SQS will retry it', { sqsMessageId: later.id, error: error as Error });
          failures.push(later.id);
        });
      }
      break;
    }
    if (!(await deps.deliverRecord(record))) failures.push(record.id);
  }
  return failures;
}
