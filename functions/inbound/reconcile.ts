import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { createPowertoolsMetrics } from '../../shared/adapters/powertools-metrics';
import { createS3ObjectLister } from '../../shared/adapters/s3-object-lister';
import { inboundDeps } from '../../shared/composition/inbound-deps';
import { inboundFunctionConfig } from '../../shared/config/function-configs';
import { logger } from '../../shared/logger';
import { fileInboundMail } from '../../shared/messages/file-inbound-mail';
import { reconcileInboundMail, type ReconcileReport, type ReconcileWindow } from '../../shared/messages/reconcile-inbound-mail';

const config = inboundFunctionConfig();
const deps = inboundDeps(config);
const metrics = createPowertoolsMetrics();

/**
 * Scheduled (EventBridge on AWS, a timer locally): files stored inbound mail that has no filed
 * mark. Publishes `InboundReconciled` (mail found unfiled; an alarm fires on any) and
 * `InboundReconcileFailures`. The event may override the window (`{ graceSeconds,
 * windowSeconds }`), as the local backend does at start.
 */
async function reconcile(event: Partial<ReconcileWindow> | null): Promise<ReconcileReport> {
  const window: ReconcileWindow = {
    graceSeconds: event?.graceSeconds ?? config.reconcile.graceSeconds,
    windowSeconds: event?.windowSeconds ?? config.reconcile.windowSeconds,
  };
  const report = await reconcileInboundMail(
    { blobs: deps.blobs, objects: createS3ObjectLister(config.storage.mailBucket), file: (delivery) => fileInboundMail(deps, delivery), inboundDomain: deps.inboundDomain, now: deps.now },
    window,
  );
  metrics.count('InboundReconciled', report.reconciled.length);
  metrics.count('InboundReconcileFailures', report.failed.length);
  metrics.publish();
  if (report.found > 0) logger.warn('inbound reconciliation', { ...report });
  return report;
}

export const handler = middy(reconcile).use(injectLambdaContext(logger, { resetKeys: true }));
