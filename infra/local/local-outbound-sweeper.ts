import type { SweepLimits, SweepReport } from '../../shared/messages/sweep-unsettled-messages';
import { type LocalSchedule, type LocalScheduledFunction, startLocalScheduledFunction } from './local-scheduled-function';

/**
 * Plays the scheduled sweeper. At start nothing is in flight and the in-process queue is empty,
 * so every unsettled message is settled or put back on the queue at once: the queue's work
 * survives a crash through the table under the data folder. Then every `intervalSeconds`, with
 * the normal lease.
 */
export async function startLocalOutboundSweeper(options: LocalSchedule): Promise<LocalScheduledFunction<Partial<SweepLimits>, SweepReport>> {
  const { handler } = await import('../../functions/messages/sweep');
  return startLocalScheduledFunction<Partial<SweepLimits>, SweepReport>({
    name: 'outbound sweeper',
    handler,
    startEvent: { leaseSeconds: 0, queuedStaleSeconds: 0, batch: 10_000 },
    describe: (report) =>
      report.settled.length > 0 ? report.settled.map((settled) => `${settled.messageId} ${settled.outcome}`).join(', ') : null,
    ...options,
  });
}
