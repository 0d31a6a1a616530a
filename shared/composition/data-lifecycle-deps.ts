import { inProcessJobQueue } from '../adapters/in-process-queue';
import { createDynamoCandidatesStore } from '../adapters/dynamodb-candidates-store';
import { createDynamoErasureStore } from '../adapters/dynamodb-erasure-store';
import { createDynamoExportStore } from '../adapters/dynamodb-export-store';
import { createDynamoCompanyEraser, createDynamoMessageItemsEraser, createDynamoRetentionStore } from '../adapters/dynamodb-lifecycle-erasers';
import { createDynamoMessagesStore } from '../adapters/dynamodb-messages-store';
import { createDynamoSenderReputationStore } from '../adapters/dynamodb-sender-reputation-store';
import { createS3BlobEraser } from '../adapters/s3-blob-eraser';
import { createS3BlobStore } from '../adapters/s3-blob-store';
import { createSqsJobQueue } from '../adapters/sqs-job-queue';
import type { DataLifecycleConfig } from '../config/concerns';
import type { DataLifecycleFunctionConfig } from '../config/function-configs';
import type { ErasureJob } from '../data-lifecycle/erasure-model';
import type { ExportJob } from '../data-lifecycle/export-model';
import type { JobQueue } from '../job-queue';
import { companyPrefixes } from '../mail-bucket-layout';

/** The local queue's name, when the local runner runs data-lifecycle jobs in-process instead of SQS. */
export const LOCAL_DATA_LIFECYCLE_QUEUE = 'data-lifecycle';

/** The jobs of the data-lifecycle queue: erasure steps and exports. */
export type DataLifecycleJob = ErasureJob | ExportJob;

/** SQS on AWS (`DATA_LIFECYCLE_QUEUE_URL`), the in-process queue in local mode. */
export function dataLifecycleQueueOf<T = DataLifecycleJob>(lifecycle: DataLifecycleConfig): JobQueue<T> {
  return lifecycle.queueUrl ? createSqsJobQueue<T>(lifecycle.queueUrl) : inProcessJobQueue<T>(LOCAL_DATA_LIFECYCLE_QUEUE);
}

/** Everything the data-lifecycle use cases need, wired from the function's configuration. */
export function dataLifecycleDeps(config: DataLifecycleFunctionConfig) {
  const table = config.storage.tableName;
  const blobEraser = createS3BlobEraser(config.storage.mailBucket);
  const erasures = createDynamoErasureStore(undefined, table);
  return {
    erasures,
    offboarding: erasures,
    retention: createDynamoRetentionStore(undefined, table),
    candidates: createDynamoCandidatesStore(undefined, table),
    messages: createDynamoMessagesStore(undefined, table),
    messageItems: createDynamoMessageItemsEraser(undefined, table),
    blobs: blobEraser,
    bucket: createS3BlobStore(config.storage.mailBucket),
    exports: createDynamoExportStore(undefined, table),
    company: createDynamoCompanyEraser((companyId, limit) => blobEraser.deleteUnder(companyPrefixes(companyId), limit), undefined, table),
    suppressions: createDynamoSenderReputationStore(undefined, table),
    queue: dataLifecycleQueueOf(config.lifecycle),
    offboardingSettleSeconds: config.lifecycle.offboardingSettleSeconds,
    now: () => new Date(),
  };
}
