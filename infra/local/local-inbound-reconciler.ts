import type { ReconcileReport, ReconcileWindow } from '../../shared/messages/reconcile-inbound-mail';
import { type LocalSchedule, type LocalScheduledFunction, startLocalScheduledFunction } from './local-scheduled-function';

/**
 * Plays the scheduled reconciler: once at start, with no grace period, for mail acknowledged
 * before a crash and never filed, then every `intervalSeconds`.
 */
export async function startLocalInboundReconciler(options: LocalSchedule): Promise<LocalScheduledFunction<Partial<ReconcileWindow>, ReconcileReport>> {
  const { handler } = await import('../../functions/inbound/reconcile');
  return startLocalScheduledFunction<Partial<ReconcileWindow>, ReconcileReport>({
    name: 'inbound reconciler',
    handler,
    startEvent: { graceSeconds: 0 },
    describe: (report) =>
      report.found > 0 ? `${report.found} stored mail(s) had not been filed; filed ${report.reconciled.length}, failed ${report.failed.length}` : null,
    ...options,
  });
}
