import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createPowertoolsMetrics } from '../../shared/adapters/powertools-metrics';
import { deliverMailDeps } from '../../shared/composition/deliver-mail-deps';
import { sendWorkerFunctionConfig } from '../../shared/config/function-configs';
import { logger } from '../../shared/logger';
import { deliverCandidateMail } from '../../shared/messages/deliver-candidate-mail';
import { countDelivery } from '../../shared/messages/operation-metrics';
import type { SendJob } from '../../shared/messages/send-job';

const deps = deliverMailDeps(sendWorkerFunctionConfig());
const metrics = createPowertoolsMetrics();

/**
 * SQS → one delivery per record. A record whose delivery throws is reported as a batch item
 * failure, so SQS retries it alone and, after maxReceiveCount, moves it to the dead-letter queue.
 */
async function deliverBatch(event: SQSEvent): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const job = JSON.parse(record.body) as SendJob;
      const outcome = await deliverCandidateMail(deps, job.messageId);
      logger.info('delivery', { messageId: job.messageId, outcome, receiveCount: record.attributes.ApproximateReceiveCount });
      // Counting must never make SQS deliver a finished message again.
      if (outcome !== 'skipped') countDelivery(metrics, outcome, await deps.messages.get(job.messageId).catch(() => null));
    } catch (error) {
      logger.error('delivery failed; SQS will retry', { sqsMessageId: record.messageId, error: error as Error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  await deps.endBatch();
  metrics.publish();
  return { batchItemFailures };
}

export const handler = middy(deliverBatch).use(injectLambdaContext(logger, { resetKeys: true }));
