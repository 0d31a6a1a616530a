import { createDynamoCandidatesStore } from '../adapters/dynamodb-candidates-store';
import { createDynamoMessagesStore } from '../adapters/dynamodb-messages-store';
import { createDynamoSettingsStore } from '../adapters/dynamodb-settings-store';
import { createS3BlobStore } from '../adapters/s3-blob-store';
import { requireEnv } from '../config';
import type { FileInboundDeps } from '../messages/file-inbound-mail';
import { messageIdDomainFromEnv } from './messages-deps';

export function inboundDepsFromEnv(): FileInboundDeps {
  const inboundDomain = requireEnv('INBOUND_DOMAIN').toLowerCase();
  return {
    settings: createDynamoSettingsStore(),
    candidates: createDynamoCandidatesStore(),
    messages: createDynamoMessagesStore(),
    blobs: createS3BlobStore(),
    inboundDomain,
    ourDomains: [...new Set([inboundDomain, messageIdDomainFromEnv()])],
    now: () => new Date(),
  };
}
