import { createDynamoCandidatesStore } from '../adapters/dynamodb-candidates-store';
import { createDynamoMessagesStore } from '../adapters/dynamodb-messages-store';
import { createDynamoSettingsStore } from '../adapters/dynamodb-settings-store';
import { createS3BlobStore } from '../adapters/s3-blob-store';
import type { InboundFunctionConfig } from '../config/function-configs';
import type { FileInboundDeps } from '../messages/file-inbound-mail';
import { inboundAddressesOf } from './inbound-addresses';
import { messageIdDomainOf } from './message-id-domain';

export function inboundDeps(config: InboundFunctionConfig): FileInboundDeps {
  const inboundDomain = config.mail.inboundDomain.toLowerCase();
  const table = config.storage.tableName;
  return {
    settings: createDynamoSettingsStore(undefined, table),
    candidates: createDynamoCandidatesStore(undefined, table),
    messages: createDynamoMessagesStore(undefined, table),
    blobs: createS3BlobStore(config.storage.mailBucket),
    inboundDomain,
    inboundAddresses: inboundAddressesOf(config.secrets, inboundDomain),
    ourDomains: [...new Set([inboundDomain, messageIdDomainOf(config.mail)])],
    now: () => new Date(),
  };
}
