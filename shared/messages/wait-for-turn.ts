/**
 * A message that must wait (its mailbox's next send slot, a free connection, the day's quota)
 * goes back on the queue with a delay instead of holding a worker: `queued`, with
 * `nextAttemptAt` for the message view, the slot it reserved, and its attempt given back (a
 * wait is not a delivery attempt). SQS delays at most 15 minutes; a message that comes back
 * early sees its slot still ahead and waits again.
 */
import type { JobQueue } from '../job-queue';
import type { HeldSlot } from '../outbound/mailbox-limits';
import type { MessagesStore } from './messages-store';
import type { MessageRecord } from './model';
import type { SendJob } from './send-job';

const MAX_QUEUE_DELAY_SECONDS = 900;

export async function waitForTurn(
  deps: { messages: MessagesStore; queue: JobQueue<SendJob>; now: () => Date },
  message: MessageRecord,
  until: Date,
  held: HeldSlot,
): Promise<'paced'> {
  const now = deps.now();
  await deps.messages.update(
    message.id,
    {
      status: 'queued',
      transmitting: false,
      sendingSince: null,
      attempts: message.attempts - 1,
      nextAttemptAt: until.toISOString(),
      rateSlotAt: held.rateSlotAt,
      quotaDay: held.quotaDay,
      updatedAt: now.toISOString(),
    },
    ['sending'],
  );
  const delaySeconds = Math.max(0, (until.getTime() - now.getTime()) / 1000);
  await deps.queue.enqueue({ messageId: message.id }, Math.min(MAX_QUEUE_DELAY_SECONDS, delaySeconds));
  return 'paced';
}

/** A short, jittered wait for a connection slot another worker holds. */
export const connectionWaitUntil = (now: Date): Date => new Date(now.getTime() + 1000 + Math.random() * 2000);
