import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createPowertoolsMetrics } from '../../shared/adapters/powertools-metrics';
import { inboundDeps } from '../../shared/composition/inbound-deps';
import { inboundFunctionConfig } from '../../shared/config/function-configs';
import { logger } from '../../shared/logger';
import { fileInboundMail } from '../../shared/messages/file-inbound-mail';
import { reconcileStoredMail } from '../../shared/messages/reconcile-inbound-mail';
import { storedMailOf } from '../../shared/messages/stored-mail-events';

const deps = inboundDeps(inboundFunctionConfig());
const metrics = createPowertoolsMetrics();

/**
 * S3 `ObjectCreated` events of `inbound/` through the reconcile queue (which holds each back for
 * longer than filing takes): files stored inbound mail that has no filed mark. Publishes
 * `InboundReconciled` (mail found unfiled; an alarm fires on any) and
 * `InboundReconcileFailures`; a record whose mail could not be filed is reported as a batch item
 * failure, so the queue delivers it again and, after its receives, to its dead-letter queue.
 */
async function reconcile(event: SQSEvent): Promise<SQSBatchResponse> {
  const recordOf = new Map<string, string>();
  const stored = event.Records.flatMap((record) => {
    const objects = storedMailOf(parseBody(record.body));
    for (const object of objects) recordOf.set(object.key, record.messageId);
    return objects;
  });
  const report = await reconcileStoredMail({ blobs: deps.blobs, file: (delivery) => fileInboundMail(deps, delivery), inboundDomain: deps.inboundDomain }, stored);
  metrics.count('InboundReconciled', report.reconciled.length);
  metrics.count('InboundReconcileFailures', report.failed.length);
  metrics.publish();
  if (report.found > 0) logger.warn('inbound reconciliation', { ...report });
  const failed = new Set(report.failed.map((failure) => recordOf.get(failure.rawKey)!));
  return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })) };
}

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    logger.error('reconcile queue: a message that is no S3 event notification', { body: body.slice(0, 200) });
    return null;
  }
}

export const handler = middy(reconcile).use(injectLambdaContext(logger, { resetKeys: true }));
