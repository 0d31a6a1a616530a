import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createPowertoolsMetrics } from '../../shared/adapters/powertools-metrics';
import { deliverMailDeps } from '../../shared/composition/deliver-mail-deps';
import { sendWorkerFunctionConfig } from '../../shared/config/function-configs';
import { logger } from '../../shared/logger';
import { deliverCandidateMail } from '../../shared/messages/deliver-candidate-mail';
import { countDelivery } from '../../shared/messages/operation-metrics';
import { deliverSendBatch } from '../../shared/messages/deliver-send-batch';
import type { SendJob } from '../../shared/messages/send-job';
import { SEND_RECORD_BUDGET_MS } from '../../shared/messages/send-worker-budget';

const deps = deliverMailDeps(sendWorkerFunctionConfig());
const metrics = createPowertoolsMetrics();

/**
 * SQS → one delivery per record. A record whose delivery throws is reported as a batch item
 * failure, so SQS retries it alone and, after maxReceiveCount, moves it to the dead-letter queue.
 */
async function deliverRecord(record: SQSRecord): Promise<boolean> {
  try {
    const job = JSON.parse(record.body) as SendJob;
    const outcome = await deliverCandidateMail(deps, job.messageId);
    logger.info('delivery', { messageId: job.messageId, outcome, receiveCount: record.attributes.ApproximateReceiveCount });
    // Counting must never make SQS deliver a finished message again.
    if (outcome !== 'skipped') countDelivery(metrics, outcome, await deps.messages.get(job.messageId).catch(() => null));
    return true;
  } catch (error) {
    logger.error('delivery failed; SQS will retry', { sqsMessageId: record.messageId, error: error as Error });
    return false;
  }
}

/** The records one after another, each only while the invocation has a delivery's time left. */
async function deliverBatch(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const records = new Map(event.Records.map((record) => [record.messageId, record]));
  const failed = await deliverSendBatch(
    event.Records.map((record) => ({ id: record.messageId, body: record.body })),
    {
      deliverRecord: (record) => deliverRecord(records.get(record.id)!),
      requeue: (record) => deps.queue.enqueue(JSON.parse(record.body) as SendJob),
      remainingMs: () => context.getRemainingTimeInMillis(),
      recordBudgetMs: SEND_RECORD_BUDGET_MS,
    },
  );
  await deps.endBatch();
  metrics.publish();
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
}

export const handler = middy(deliverBatch).use(injectLambdaContext(logger, { resetKeys: true }));
