import type { Context } from 'aws-lambda';
import type { ReconcileReport, ReconcileWindow } from '../../shared/messages/reconcile-inbound-mail';
import { localLambdaContext } from './lambda-context';

export interface LocalInboundReconciler {
  /** One reconciliation now (the start's runs with no grace: nothing is in flight yet). */
  run(window?: Partial<ReconcileWindow>): Promise<ReconcileReport>;
  stop(): Promise<void>;
}

/**
 * Plays the scheduled reconciler (EventBridge → function on AWS): once at start, with no grace
 * period, for mail acknowledged before a crash and never filed, then every `intervalSeconds`.
 */
export async function startLocalInboundReconciler(options: { intervalSeconds: number; log: (line: string) => void }): Promise<LocalInboundReconciler> {
  const { handler } = await import('../../functions/inbound/reconcile');
  const invoke = (window: Partial<ReconcileWindow>) =>
    (handler as unknown as (event: Partial<ReconcileWindow>, context: Context) => Promise<ReconcileReport>)(window, localLambdaContext('local-inbound-reconciler', 300_000));
  let running: Promise<unknown> = Promise.resolve();
  const run = (window: Partial<ReconcileWindow> = {}) => {
    const next = running.then(() => invoke(window));
    running = next.catch(() => undefined);
    return next.then((report) => {
      if (report.found > 0) options.log(`inbound reconciler: ${report.found} stored mail(s) had not been filed; filed ${report.reconciled.length}, failed ${report.failed.length}`);
      return report;
    });
  };
  await run({ graceSeconds: 0 }).catch((error: Error) => options.log(`inbound reconciler at start: ${error.message}`));
  const timer = setInterval(() => void run().catch((error: Error) => options.log(`inbound reconciler: ${error.message}`)), options.intervalSeconds * 1000);
  timer.unref();
  return {
    run,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
