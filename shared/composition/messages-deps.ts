import { createDynamoCandidatesStore } from '../adapters/dynamodb-candidates-store';
import { createDynamoMessagesStore } from '../adapters/dynamodb-messages-store';
import { createS3UploadStore } from '../adapters/s3-attachment-uploads';
import { createS3BlobStore } from '../adapters/s3-blob-store';
import type { MessagesFunctionConfig } from '../config/function-configs';
import { messageIdDomainOf } from './message-id-domain';
import { sendQueueOf } from './send-queue';

/** The messages API's use cases wired from its configuration. */
export function queueMailDeps(config: MessagesFunctionConfig) {
  const table = config.storage.tableName;
  return {
    candidates: createDynamoCandidatesStore(undefined, table),
    messages: createDynamoMessagesStore(undefined, table),
    blobs: createS3BlobStore(config.storage.mailBucket),
    uploads: createS3UploadStore(config.storage.mailBucket),
    queue: sendQueueOf(config.send),
    messageIdDomain: messageIdDomainOf(config.mail),
    now: () => new Date(),
  };
}
