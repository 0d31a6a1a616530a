import type { Context } from 'aws-lambda';
import { invokeLocally } from './lambda-context';

export interface LocalScheduledFunction<E, R> {
  /** One run now, after any run in progress (runs never overlap, as one scheduled invocation at a time). */
  run(event?: E): Promise<R>;
  stop(): Promise<void>;
}

/** How often a local scheduled function runs, and where its report lines go. */
export interface LocalSchedule {
  intervalSeconds: number;
  log: (line: string) => void;
}

/**
 * Plays an EventBridge schedule → function on AWS: the function runs once at start with
 * `startEvent` (nothing is in flight then, so what a crash left is repaired at once), then every
 * `intervalSeconds` with the default event. `describe` turns a report into a log line, or null.
 */
export async function startLocalScheduledFunction<E extends object, R>(
  options: LocalSchedule & { name: string; handler: unknown; startEvent: E; describe: (report: R) => string | null },
): Promise<LocalScheduledFunction<E, R>> {
  const invoke = (event: E) =>
    invokeLocally(`local-${options.name.replace(/ /g, '-')}`, options.handler as (event: E, context: Context) => Promise<R>, event, 300_000);
  let running: Promise<unknown> = Promise.resolve();
  const run = (event = {} as E) => {
    const next = running.then(() => invoke(event));
    running = next.catch(() => undefined);
    return next.then((report) => {
      const line = options.describe(report);
      if (line) options.log(`${options.name}: ${line}`);
      return report;
    });
  };
  await run(options.startEvent).catch((error: Error) => options.log(`${options.name} at start: ${error.message}`));
  const timer = setInterval(() => void run().catch((error: Error) => options.log(`${options.name}: ${error.message}`)), options.intervalSeconds * 1000);
  timer.unref();
  return {
    run,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
