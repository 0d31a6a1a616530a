/**
 * Outbound work that survives crashes: finds messages left `queued` or `sending` (the local
 * queue died with the process; a worker died between the server's answer and the record's
 * update; an enqueue failed after the message was stored) and settles them without ever
 * sending one twice:
 * - `sending` past its lease, not yet handed to a server (`transmitting` false): the server
 *   never got the data, so it goes back to `queued` and onto the queue; that attempt counts as
 *   interrupted (interrupted-attempts.ts), and at the cap the message ends `failed` instead, so
 *   that a message that stops its worker every time does not loop through the dead-letter
 *   queue and back here forever;
 * - `sending` past its lease while it was being transmitted: it may have been delivered, so it
 *   ends `failed` with `DELIVERY_UNCERTAIN`, never sent again;
 * - `queued` without progress for longer than any retry delay: enqueued again (the worker's
 *   compare-and-set claim makes a second job for the same message harmless).
 */
import type { JobQueue } from '../job-queue';
import { logger } from '../logger';
import type { MessagesStore } from './messages-store';
import type { MessageRecord } from './model';
import { interruptedAttempt, WORKER_STOPPED } from './interrupted-attempts';
import { INTERRUPTED_TRANSMISSION, leaseExpired } from './sending-lease';
import type { SendJob } from './send-job';

export interface SweepDeps {
  messages: MessagesStore;
  queue: JobQueue<SendJob>;
  now: () => Date;
}

export interface SweepLimits {
  /** How long a worker may hold a message (`SEND_LEASE_SECONDS`). */
  leaseSeconds: number;
  /** A queued message untouched this long has lost its job (above the longest retry delay). */
  queuedStaleSeconds: number;
  /** Messages looked at per run. */
  batch: number;
  /** Interrupted attempts before a message fails (`SEND_MAX_INTERRUPTED_ATTEMPTS`). */
  maxInterruptedAttempts: number;
}

export type SweepOutcome = 'requeued' | 'uncertain' | 'enqueued' | 'gave-up';

export interface SweepReport {
  examined: number;
  settled: Array<{ messageId: string; outcome: SweepOutcome }>;
}

export async function sweepUnsettledMessages(deps: SweepDeps, limits: SweepLimits): Promise<SweepReport> {
  const now = deps.now();
  const report: SweepReport = { examined: 0, settled: [] };
  for (const message of await deps.messages.listUnsettledOutbound(limits.batch)) {
    report.examined++;
    const outcome = await settle(deps, limits, message, now);
    if (outcome) {
      report.settled.push({ messageId: message.id, outcome });
      logger.warn('settled an unsettled outbound message', { messageId: message.id, status: message.status, outcome });
    }
  }
  return report;
}

async function settle(deps: SweepDeps, limits: SweepLimits, message: MessageRecord, now: Date): Promise<SweepOutcome | null> {
  const age = (at: string | null) => now.getTime() - Date.parse(at ?? '1970-01-01T00:00:00Z');
  const at = now.toISOString();
  if (message.status === 'sending') {
    if (!leaseExpired(message, now, limits.leaseSeconds)) return null;
    // Conditional on what was seen: a worker that finished meanwhile wins.
    if (message.transmitting) {
      const failed = await deps.messages.update(
        message.id,
        { status: 'failed', transmitting: false, sendingSince: null, updatedAt: at, error: INTERRUPTED_TRANSMISSION },
        ['sending'],
        message.attempts,
      );
      return failed ? 'uncertain' : null;
    }
    const stopped = interruptedAttempt(message, WORKER_STOPPED, limits.maxInterruptedAttempts);
    if (stopped.exhausted) {
      const failed = await deps.messages.update(message.id, { ...stopped.changes, status: 'failed', sendingSince: null, updatedAt: at }, ['sending'], message.attempts);
      return failed ? 'gave-up' : null;
    }
    const requeued = await deps.messages.update(message.id, { ...stopped.changes, status: 'queued', sendingSince: null, updatedAt: at }, ['sending'], message.attempts);
    if (!requeued) return null;
    await deps.queue.enqueue({ messageId: message.id });
    return 'requeued';
  }
  if (message.status === 'queued' && age(message.updatedAt) >= limits.queuedStaleSeconds * 1000) {
    // Touch it first, so that the next run does not enqueue it again while the job waits.
    const touched = await deps.messages.update(message.id, { updatedAt: at }, ['queued'], message.attempts);
    if (!touched) return null;
    await deps.queue.enqueue({ messageId: message.id });
    return 'enqueued';
  }
  return null;
}
