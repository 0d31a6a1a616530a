import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { dataLifecycleDeps, type DataLifecycleJob } from '../../shared/composition/data-lifecycle-deps';
import { dataLifecycleFunctionConfig } from '../../shared/config/function-configs';
import { runErasureStep } from '../../shared/data-lifecycle/run-erasure';
import { isExportJob } from '../../shared/data-lifecycle/export-model';
import { runExport } from '../../shared/data-lifecycle/run-export';
import { logger } from '../../shared/logger';

const deps = dataLifecycleDeps(dataLifecycleFunctionConfig());

/** An export, or else one step of an erasure. */
const runJob = (job: DataLifecycleJob) => (isExportJob(job) ? runExport(deps, job) : runErasureStep(deps, job));

/**
 * SQS → one export, or one erasure step, per record (each step queues the next). A record whose step throws is
 * a batch item failure: SQS delivers it again, and after maxReceiveCount it goes to the
 * dead-letter queue, from where the resume sweep's schedule picks the erasure up again.
 */
async function runSteps(event: SQSEvent): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      await runJob(JSON.parse(record.body) as DataLifecycleJob);
    } catch (error) {
      logger.error('data-lifecycle job failed; SQS will retry', { sqsMessageId: record.messageId, error: error as Error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

export const handler = middy(runSteps).use(injectLambdaContext(logger, { resetKeys: true }));
