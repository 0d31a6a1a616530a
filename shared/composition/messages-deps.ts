import { createDynamoCandidatesStore } from '../adapters/dynamodb-candidates-store';
import { createDynamoMessagesStore } from '../adapters/dynamodb-messages-store';
import { createDynamoSettingsStore } from '../adapters/dynamodb-settings-store';
import type { BlobStore } from '../blob-store';
import type { MessagesFunctionConfig } from '../config/function-configs';
import type { JobQueue } from '../job-queue';
import type { UploadStore } from '../messages/attachment-uploads';
import type { SendJob } from '../messages/send-job';
import { messageIdDomainOf } from './message-id-domain';
import { loadedOnFirstCall } from '../on-first-use';

/**
 * The messages API's use cases wired from its configuration. S3 (bodies, attachments, upload
 * URLs) and the send queue are loaded with the first call that needs them: reading a
 * conversation needs neither.
 */
export function queueMailDeps(config: MessagesFunctionConfig) {
  const table = config.storage.tableName;
  const bucket = config.storage.mailBucket;
  return {
    candidates: createDynamoCandidatesStore(undefined, table),
    messages: createDynamoMessagesStore(undefined, table),
    /** Read only, for the size warning of a send's answer. */
    settings: createDynamoSettingsStore(undefined, table),
    blobs: loadedOnFirstCall<BlobStore>(async () => (await import('../adapters/s3-blob-store')).createS3BlobStore(bucket)),
    uploads: loadedOnFirstCall<UploadStore>(async () => (await import('../adapters/s3-attachment-uploads')).createS3UploadStore(bucket)),
    queue: loadedOnFirstCall<JobQueue<SendJob>>(async () => (await import('./send-queue')).sendQueueOf(config.send)),
    messageIdDomain: messageIdDomainOf(config.mail),
    now: () => new Date(),
  };
}
