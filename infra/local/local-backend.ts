import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { ApiFunction } from '../../functions/routes';
import { InProcessQueue, registerInProcessQueue } from '../../shared/adapters/in-process-queue';
import { LOCAL_SEND_QUEUE } from '../../shared/composition/messages-deps';
import { localLambdaContext } from './lambda-context';
import { ensureTable, startLocalDynamo } from './local-dynamodb';
import { type ApiLambda, startLocalHttpApi } from './local-http-api';
import { startLocalS3 } from './local-s3';
import { LOCAL_SES_CREDENTIALS, LOCAL_SES_REGION, startLocalSes } from './local-ses';

export interface LocalBackendOptions {
  /** HTTP API port; 0 picks a free one (tests). */
  port: number;
  /** Local SES port; 0 picks a free one. */
  sesPort: number;
  /** Folder for all local state. */
  dataDir: string;
  /** Wipe `dataDir` first. */
  fresh?: boolean;
  /** Keep DynamoDB in memory instead of under dataDir (tests). */
  inMemory?: boolean;
  jwtSecret: string;
  inboundDomain: string;
  defaultFromAddress: string;
  /** Base of the send retry backoff, in seconds (30 on AWS; short locally). */
  retryBaseSeconds?: number;
}

export interface LocalBackend {
  apiUrl: string;
  sesStoreUrl: string;
  dataDir: string;
  sendQueue: InProcessQueue;
  /** Lines for the start banner: where each stand-in listens. */
  describe(): string[];
  stop(): Promise<void>;
}

const TABLE_NAME = 'recruiting-mail';
const BUCKET = 'recruiting-mail-local';

/** Sets an environment variable unless the user already did: their value wins. */
const defaultEnv = (name: string, value: string) => {
  if (process.env[name] === undefined || process.env[name] === '') process.env[name] = value;
};

/**
 * The whole backend on this machine: the same Lambda handlers as on AWS, with embedded
 * stand-ins for the AWS services (dynalite for DynamoDB, s3rver for S3, aws-ses-v2-local for
 * SES, an in-process queue for SQS, a local key for KMS). Used by `npm start` and by the
 * end-to-end tests.
 */
export async function startLocalBackend(options: LocalBackendOptions): Promise<LocalBackend> {
  const dataDir = resolve(options.dataDir);
  if (options.fresh) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const stops: (() => Promise<void> | void)[] = [];

  const dynamo = await startLocalDynamo({ path: options.inMemory ? undefined : join(dataDir, 'dynamodb') });
  stops.push(dynamo.stop);
  await ensureTable(dynamo.endpoint, TABLE_NAME);
  const s3 = await startLocalS3({ directory: join(dataDir, 's3'), bucket: BUCKET });
  stops.push(s3.stop);
  const ses = await startLocalSes({ port: options.sesPort });
  stops.push(ses.stop);

  // The handlers read their configuration from the environment, as on Lambda; it is set before
  // they are imported. The AWS SDK takes the local endpoints from AWS_ENDPOINT_URL_*.
  Object.assign(process.env, {
    TABLE_NAME,
    MAIL_BUCKET: BUCKET,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_SES: ses.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    LOCAL_MASTER_KEY_FILE: join(dataDir, 'local-master.key'),
    INBOUND_DOMAIN: options.inboundDomain,
    DEFAULT_FROM_ADDRESS: options.defaultFromAddress,
    AWS_REGION: LOCAL_SES_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_SES_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_SES_CREDENTIALS.secretAccessKey,
  });
  delete process.env.KMS_KEY_ID;
  delete process.env.SEND_QUEUE_URL;
  defaultEnv('DEFAULT_SENDER_DOMAIN', options.defaultFromAddress.split('@')[1]);
  defaultEnv('SMTP_ALLOWED_PRIVATE_CIDRS', '127.0.0.0/8,::1/128');
  defaultEnv('SEND_RETRY_BASE_SECONDS', String(options.retryBaseSeconds ?? 2));
  defaultEnv('POWERTOOLS_SERVICE_NAME', 'recruiting-mail-local');
  defaultEnv('LOG_LEVEL', 'WARN');

  const deadLetters = join(dataDir, 'dead-letters');
  mkdirSync(deadLetters, { recursive: true });
  const sendQueue = new InProcessQueue(LOCAL_SEND_QUEUE, {
    maxReceiveCount: 5,
    visibilityTimeoutMs: 2000,
    onDeadLetter: (body, error) => appendFileSync(join(deadLetters, 'send.jsonl'), `${JSON.stringify({ at: new Date().toISOString(), body, error })}\n`),
  });
  registerInProcessQueue(sendQueue);
  stops.push(() => sendQueue.stop());

  const { handler: sendWorker } = await import('../../functions/messages/send-worker');
  sendQueue.attach((event: SQSEvent) => sendWorker(event, localLambdaContext('local-send-worker', 60_000)) as Promise<SQSBatchResponse>);

  const api = await startLocalHttpApi({ port: options.port, jwtSecret: options.jwtSecret, handlers: await importApiHandlers() });
  stops.push(api.stop);

  return {
    apiUrl: api.url,
    sesStoreUrl: ses.storeUrl,
    dataDir,
    sendQueue,
    describe: () => [
      `  DynamoDB          ${dynamo.endpoint}   (dynalite, table ${TABLE_NAME})`,
      `  S3                ${s3.endpoint}   (s3rver, bucket ${BUCKET}, files under ${join(dataDir, 's3')})`,
      `  SES (default)     ${ses.endpoint}   (aws-ses-v2-local; what it "sent": ${ses.storeUrl})`,
      `  Send queue        in-process (dead letters: ${join(deadLetters, 'send.jsonl')})`,
    ],
    async stop() {
      for (const stop of stops.reverse()) await stop();
    },
  };
}

async function importApiHandlers(): Promise<Record<ApiFunction, ApiLambda>> {
  const [platform, emailSettings, candidates, messages] = await Promise.all([
    import('../../functions/platform/api'),
    import('../../functions/email-settings/api'),
    import('../../functions/candidates/api'),
    import('../../functions/messages/api'),
  ]);
  return {
    platform: platform.handler as unknown as ApiLambda,
    'email-settings': emailSettings.handler as unknown as ApiLambda,
    candidates: candidates.handler as unknown as ApiLambda,
    messages: messages.handler as unknown as ApiLambda,
  };
}
