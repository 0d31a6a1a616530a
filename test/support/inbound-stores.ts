/**
 * The inbound filing's collaborators on the real local stand-ins: the project's table on
 * dynalite and the mail bucket on s3rver, with the environment the adapters read pointed at
 * them (set before the adapters are imported), and one company scope with an inbound address.
 * The caller stops them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_S3_CREDENTIALS, startLocalS3 } from '../../infra/local/local-s3';
import { saveScopeSettings } from '../../shared/email-settings/email-settings-service';
import type { FileInboundDeps } from '../../shared/messages/file-inbound-mail';
import { inMemorySettingsDeps } from './in-memory-mail-deps';
import { startLocalTable } from './local-table';

const INBOUND_DOMAIN = 'inbound.recruiting.example';

export interface InboundStores {
  deps: FileInboundDeps;
  company: { id: string; scope: string; inboundAddress: string };
  stop(): Promise<void>;
}

export async function startInboundStores(): Promise<InboundStores> {
  const directory = mkdtempSync(join(tmpdir(), 'inbound-stores-'));
  const dynamo = await startLocalTable(`inbound-${process.pid}`);
  const s3 = await startLocalS3({ directory, bucket: 'mail-bucket' });
  // dynalite takes any credentials, s3rver only its own.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    MAIL_BUCKET: 'mail-bucket',
  });
  const [{ createDynamoSettingsStore }, { createDynamoCandidatesStore }, { createDynamoMessagesStore }, { createS3BlobStore, getS3Client }, { getDocumentClient }] = await Promise.all([
    import('../../shared/adapters/dynamodb-settings-store'),
    import('../../shared/adapters/dynamodb-candidates-store'),
    import('../../shared/adapters/dynamodb-messages-store'),
    import('../../shared/adapters/s3-blob-store'),
    import('../../shared/adapters/dynamodb'),
  ]);
  const now = () => new Date();
  const settings = createDynamoSettingsStore();
  const { settingsDeps } = inMemorySettingsDeps({ inboundDomain: INBOUND_DOMAIN, now });
  const saved = await saveScopeSettings({ ...settingsDeps, store: settings }, 'acme', 'main', { address: 'jobs@acme.example', mode: 'default' });
  const deps: FileInboundDeps = {
    settings,
    inboundAddresses: settingsDeps.inboundAddresses,
    candidates: createDynamoCandidatesStore(),
    messages: createDynamoMessagesStore(),
    blobs: createS3BlobStore(),
    inboundDomain: INBOUND_DOMAIN,
    ourDomains: [INBOUND_DOMAIN],
    now,
  };
  return {
    deps,
    company: { id: 'acme', scope: 'main', inboundAddress: saved.settings!.inboundAddress },
    async stop() {
      getS3Client().destroy();
      getDocumentClient().destroy();
      await s3.stop();
      await dynamo.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
