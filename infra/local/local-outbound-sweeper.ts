import type { Context } from 'aws-lambda';
import type { SweepLimits, SweepReport } from '../../shared/messages/sweep-unsettled-messages';
import { localLambdaContext } from './lambda-context';

export interface LocalOutboundSweeper {
  run(limits?: Partial<SweepLimits>): Promise<SweepReport>;
  stop(): Promise<void>;
}

/**
 * Plays the scheduled sweeper (EventBridge → function on AWS). At start nothing is in flight
 * and the in-process queue is empty, so every unsettled message is settled or put back on the
 * queue at once: the queue's work survives a crash through the table under the data folder.
 * Then every `intervalSeconds`, with the normal lease.
 */
export async function startLocalOutboundSweeper(options: { intervalSeconds: number; log: (line: string) => void }): Promise<LocalOutboundSweeper> {
  const { handler } = await import('../../functions/messages/sweep');
  const invoke = (limits: Partial<SweepLimits>) =>
    (handler as unknown as (event: Partial<SweepLimits>, context: Context) => Promise<SweepReport>)(limits, localLambdaContext('local-outbound-sweeper', 300_000));
  let running: Promise<unknown> = Promise.resolve();
  const run = (limits: Partial<SweepLimits> = {}) => {
    const next = running.then(() => invoke(limits));
    running = next.catch(() => undefined);
    return next.then((report) => {
      if (report.settled.length > 0) options.log(`outbound sweeper: ${report.settled.map((settled) => `${settled.messageId} ${settled.outcome}`).join(', ')}`);
      return report;
    });
  };
  await run({ leaseSeconds: 0, queuedStaleSeconds: 0, batch: 10_000 }).catch((error: Error) => options.log(`outbound sweeper at start: ${error.message}`));
  const timer = setInterval(() => void run().catch((error: Error) => options.log(`outbound sweeper: ${error.message}`)), options.intervalSeconds * 1000);
  timer.unref();
  return {
    run,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
