import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { createPowertoolsMetrics } from '../../shared/adapters/powertools-metrics';
import { createS3ObjectLister } from '../../shared/adapters/s3-object-lister';
import { inboundDepsFromEnv } from '../../shared/composition/inbound-deps';
import { intEnv } from '../../shared/config';
import { logger } from '../../shared/logger';
import { fileInboundMail } from '../../shared/messages/file-inbound-mail';
import { reconcileInboundMail, type ReconcileReport, type ReconcileWindow } from '../../shared/messages/reconcile-inbound-mail';

const deps = inboundDepsFromEnv();
const metrics = createPowertoolsMetrics();

/**
 * Scheduled (EventBridge on AWS, a timer locally): files stored inbound mail that has no filed
 * mark. Publishes `InboundReconciled` (mail found unfiled; an alarm fires on any) and
 * `InboundReconcileFailures`. The event may override the window (`{ graceSeconds,
 * windowSeconds }`), as the local backend does at start.
 */
async function reconcile(event: Partial<ReconcileWindow> | null): Promise<ReconcileReport> {
  const window: ReconcileWindow = {
    graceSeconds: event?.graceSeconds ?? intEnv('INBOUND_RECONCILE_GRACE_SECONDS', 900),
    windowSeconds: event?.windowSeconds ?? intEnv('INBOUND_RECONCILE_WINDOW_SECONDS', 3 * 24 * 3600),
  };
  const report = await reconcileInboundMail(
    { blobs: deps.blobs, objects: createS3ObjectLister(), file: (delivery) => fileInboundMail(deps, delivery), inboundDomain: deps.inboundDomain, now: deps.now },
    window,
  );
  metrics.count('InboundReconciled', report.reconciled.length);
  metrics.count('InboundReconcileFailures', report.failed.length);
  metrics.publish();
  if (report.found > 0) logger.warn('inbound reconciliation', { ...report });
  return report;
}

export const handler = middy(reconcile).use(injectLambdaContext(logger, { resetKeys: true }));
