/**
 * `POST /v1/messages/batch` (capability 11): up to 500 messages, each exactly as a single send
 * (queue-candidate-mail.ts) with its own candidate and idempotency key, answered in order with
 * the message or that message's own error. A repeat with the same keys returns the same ids
 * and sends nothing twice, as a repeated single send does.
 *
 * Table requests: the messages are queued a few at a time, so the reads of one round (the
 * candidates, and on a repeat the idempotency keys and first messages) reach DynamoDB as one
 * BatchGetItem (dynamodb.ts `getItem`). The writes stay single conditional writes: the
 * idempotency claim and the message item are "first writer wins", which BatchWriteItem cannot
 * express (it takes no conditions), and losing that would send a repeated batch twice.
 */
import { AppError } from '../errors';
import { logger } from '../logger';
import type { OUTBOUND_STATUSES } from './model';
import { queueCandidateMail, type QueueMailDeps, type SendMessageInput } from './queue-candidate-mail';

export interface BatchMessageInput extends SendMessageInput {
  candidateId: string;
  idempotencyKey: string;
}

export type BatchItemResult = { id: string; status: (typeof OUTBOUND_STATUSES)[number] } | { error: { code: string; message: string; details?: unknown } };

/** Messages queued at once: enough for one BatchGetItem a round, few enough for the SDK's sockets. */
const CONCURRENCY = 25;

/** Each entry is the message to queue, or the error its validation already found. */
export async function queueMailBatch(
  deps: QueueMailDeps,
  companyId: string,
  entries: ({ message: BatchMessageInput } | { error: AppError })[],
): Promise<BatchItemResult[]> {
  const results: BatchItemResult[] = new Array(entries.length);
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const index = next++;
      results[index] = await queueOne(deps, companyId, entries[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, entries.length) }, worker));
  return results;
}

async function queueOne(deps: QueueMailDeps, companyId: string, entry: { message: BatchMessageInput } | { error: AppError }): Promise<BatchItemResult> {
  if ('error' in entry) return errorItem(entry.error);
  const { candidateId, idempotencyKey, ...input } = entry.message;
  try {
    const message = await queueCandidateMail(deps, companyId, candidateId, input, idempotencyKey);
    return { id: message.id, status: message.status as (typeof OUTBOUND_STATUSES)[number] };
  } catch (error) {
    if (error instanceof AppError) return errorItem(error);
    logger.error('a message of a batch could not be queued', { error: error as Error });
    return { error: { code: 'SERVICE_UNAVAILABLE', message: 'This message could not be queued now; send it again with the same idempotencyKey.' } };
  }
}

const errorItem = (error: AppError): BatchItemResult => ({
  error: { code: error.code, message: error.message, ...(error.details !== undefined ? { details: error.details } : {}) },
});
