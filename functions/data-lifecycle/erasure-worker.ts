import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { dataLifecycleDeps } from '../../shared/composition/data-lifecycle-deps';
import { dataLifecycleFunctionConfig } from '../../shared/config/function-configs';
import type { ErasureJob } from '../../shared/data-lifecycle/erasure-model';
import { runErasureStep } from '../../shared/data-lifecycle/run-erasure';
import { logger } from '../../shared/logger';

const deps = dataLifecycleDeps(dataLifecycleFunctionConfig());

/**
 * SQS → one erasure step per record (each step queues the next). A record whose step throws is
 * a batch item failure: SQS delivers it again, and after maxReceiveCount it goes to the
 * dead-letter queue, from where the resume sweep's schedule picks the erasure up again.
 */
async function runSteps(event: SQSEvent): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      await runErasureStep(deps, JSON.parse(record.body) as ErasureJob);
    } catch (error) {
      logger.error('erasure step failed; SQS will retry', { sqsMessageId: record.messageId, error: error as Error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

export const handler = middy(runSteps).use(injectLambdaContext(logger, { resetKeys: true }));
