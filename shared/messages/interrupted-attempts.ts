/**
 * Attempts that end without any server's answer: an exception of ours (a body that cannot be
 * read, a settings record that cannot be decrypted, a bug) or a worker that stopped mid-way
 * (timeout, crash). Each is counted on the message (`interruptedAttempts`); below the cap the
 * message goes back to the queue with backoff, at the cap it ends `failed` with `DELIVERY_ERROR`
 * and its reason, visible, and re-sendable by hand (`POST /v1/messages/{messageId}/retry`).
 * Without the cap such a message went to the dead-letter queue after five receives and the
 * sweeper put it back as `queued`, forever.
 */
import type { MessageRecord } from './model';

/** What a worker that stopped mid-way leaves as the reason (the sweeper or the next claim finds it). */
export const WORKER_STOPPED = 'The delivery attempt stopped before it ended (the worker timed out or crashed)';

/** The longest reason kept: exceptions can carry long texts. */
const MAX_REASON_LENGTH = 300;

export interface InterruptedAttempt {
  /** The cap is reached: the message ends `failed`. */
  exhausted: boolean;
  /** What to write on the message (the count and the reason; with `exhausted`, the final error). */
  changes: Pick<MessageRecord, 'interruptedAttempts' | 'error'>;
}

/** One more interrupted attempt of `message`, for `reason`, against a cap of `maxAttempts`. */
export function interruptedAttempt(message: Pick<MessageRecord, 'interruptedAttempts'>, reason: string, maxAttempts: number): InterruptedAttempt {
  const count = (message.interruptedAttempts ?? 0) + 1;
  const exhausted = count >= maxAttempts;
  const text = reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH)}…` : reason;
  const message_ = exhausted
    ? `Delivery stopped ${count} times without an answer from a mail server; it is not tried again until resent by hand. Last: ${text}`
    : `Delivery attempt ${count} of ${maxAttempts} stopped without an answer from a mail server; tried again later. ${text}`;
  return { exhausted, changes: { interruptedAttempts: count, error: { code: 'DELIVERY_ERROR', message: message_ } } };
}

/** The reason an exception gives, without its stack. */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
