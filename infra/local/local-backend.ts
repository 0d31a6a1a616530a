import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SESEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createDynamoSettingsStore } from '../../shared/adapters/dynamodb-settings-store';
import { DEFAULT_API_THROTTLE } from '../../shared/http/api-throttle';
import { createS3BlobStore } from '../../shared/adapters/s3-blob-store';
import type { ApiFunction } from '../../functions/routes';
import { InProcessQueue, registerInProcessQueue } from '../../shared/adapters/in-process-queue';
import { SMTP_ALLOWED_PORTS } from '../../shared/smtp-allowed-ports';
import { LOCAL_SEND_QUEUE } from '../../shared/composition/send-queue';
import { intEnv, optionalEnv } from '../../shared/config';
import { DEFAULT_CORS_ALLOWED_ORIGINS, parseCorsOrigins } from '../../shared/http/cors-policy';
import { invokeLocally, prepareLocalInvocations } from './lambda-context';
import { ensureTable, startLocalDynamo } from './local-dynamodb';
import { type ApiLambda, startLocalHttpApi } from './local-http-api';
import { IMAP_ALLOWED_PORTS } from '../../shared/imap-allowed-ports';
import { LOCAL_IMAP_PORTS, startLocalInboundMailboxPoller } from './local-inbound-mailbox-poller';
import { startLocalInboundReconciler } from './local-inbound-reconciler';
import { startLocalInboundSmtp } from './local-inbound-smtp';
import { type LocalCompanySmtp, startCompanyMailboxForwarding, startLocalCompanySmtp } from './local-company-smtp';
import { startLocalOutboundSweeper } from './local-outbound-sweeper';
import { type LocalDataLifecycle, startLocalDataLifecycle } from './local-data-lifecycle';
import { LOCAL_S3_CREDENTIALS, startLocalS3 } from './local-s3';
import { LOCAL_SES_REGION, startLocalSes } from './local-ses';
import { restoreLocalSesStore, saveLocalSesStore } from './local-ses-store-file';
import { SEND_WORKER_TIMEOUT_SECONDS } from '../../shared/messages/send-worker-budget';
import { inboundAddressesOf } from '../../shared/composition/inbound-addresses';
import { secretsConfig } from '../../shared/config/concerns';

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
  /** The SMTP listener that plays SES receiving; 0 (the default) picks a free one. */
  inboundSmtpPort?: number;
  /** The company mail server stand-in; 0 (the default) picks a free one. */
  companySmtpPort?: number;
  /** Start the company mail server stand-in switched off. */
  companySmtpOff?: boolean;
  /** Base of the send retry backoff, in seconds (30 on AWS; short locally). */
  retryBaseSeconds?: number;
}

export interface LocalBackend {
  apiUrl: string;
  sesStoreUrl: string;
  dataDir: string;
  sendQueue: InProcessQueue;
  /** Erasure jobs, their resume sweep and the retention job. */
  dataLifecycle: LocalDataLifecycle;
  /** Asynchronous invocations of the inbound function (SES's Event invocation). */
  inboundInvocations: InProcessQueue;
  /** The SES events of default-provider sends (the EventBridge rule's SQS queue on AWS). */
  deliveryEvents: InProcessQueue;
  inboundSmtpPort: number;
  /** The stand-in for the company's own mail server. */
  companySmtp: LocalCompanySmtp;
  /** Resolves when no delivery or inbound filing is scheduled or running. */
  idle(): Promise<void>;
  /** Lines for the start banner: where each stand-in listens. */
  describe(): string[];
  stop(): Promise<void>;
}

const TABLE_NAME = 'recruiting-mail';
/** The company whose mail server the stand-in plays (the one `npm start` prints a token for). */
export const LOCAL_COMPANY_ID = 'acme';
const BUCKET = 'recruiting-mail-local';

/** Sets an environment variable unless the user already did (even to empty): their value wins. */
const defaultEnv = (name: string, value: string) => {
  if (process.env[name] === undefined) process.env[name] = value;
};

/**
 * The whole backend on this machine: the same Lambda handlers as on AWS, with embedded
 * stand-ins for the AWS services (dynalite for DynamoDB, s3rver for S3, aws-ses-v2-local for
 * SES, an in-process queue for SQS, a local key for KMS). Used by `npm start` and by the
 * end-to-end tests.
 */
export async function startLocalBackend(options: LocalBackendOptions): Promise<LocalBackend> {
  const stops: (() => Promise<void> | void)[] = [];
  try {
    return await startStandIns(options, stops);
  } catch (error) {
    // A stand-in that could not start (a busy port): stop those already running, or they keep
    // the process alive.
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => undefined);
    throw error;
  }
}

async function startStandIns(options: LocalBackendOptions, stops: (() => Promise<void> | void)[]): Promise<LocalBackend> {
  // Before the first AWS SDK request (ensureTable): each function's invocations keep their own context.
  await prepareLocalInvocations();
  const dataDir = resolve(options.dataDir);
  if (options.fresh) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });

  const dynamo = await startLocalDynamo({ path: options.inMemory ? undefined : join(dataDir, 'dynamodb') });
  stops.push(dynamo.stop);
  await ensureTable(dynamo.endpoint, TABLE_NAME);
  const corsAllowedOrigins = localCorsOrigins();
  const s3 = await startLocalS3({ directory: join(dataDir, 's3'), bucket: BUCKET, corsAllowedOrigins });
  stops.push(s3.stop);
  const ses = await startLocalSes({ port: options.sesPort });
  stops.push(ses.stop);
  // What the default provider "sent" survives a restart, like the rest of the local state.
  const sesStoreFile = join(dataDir, 'ses', 'store.json');
  restoreLocalSesStore(sesStoreFile);
  stops.push(() => saveLocalSesStore(sesStoreFile));
  const companySmtp = await startLocalCompanySmtp({ port: options.companySmtpPort ?? 0, directory: join(dataDir, 'company-smtp'), off: options.companySmtpOff });
  stops.push(companySmtp.stop);

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
    // s3rver knows only its own key; dynalite and the local SES accept any.
    AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
  });
  delete process.env.KMS_KEY_ID;
  delete process.env.SEND_QUEUE_URL;
  defaultEnv('DEFAULT_SENDER_DOMAIN', options.defaultFromAddress.split('@')[1]);
  defaultEnv('SMTP_ALLOWED_PRIVATE_CIDRS', '127.0.0.0/8,::1/128');
  // The usual submission ports, and the company mail server stand-in's (unprivileged) one.
  defaultEnv('SMTP_ALLOWED_PORTS', [...SMTP_ALLOWED_PORTS, companySmtp.port].join(','));
  // The usual IMAP ports, and those of the local mailbox of `npm run imap:local`.
  defaultEnv('IMAP_ALLOWED_PORTS', [...IMAP_ALLOWED_PORTS, ...LOCAL_IMAP_PORTS].join(','));
  // Local mail servers usually have self-signed certificates; only inside the ranges above.
  defaultEnv('SMTP_TLS_ACCEPT_UNTRUSTED_IN_ALLOWED_CIDRS', 'true');
  defaultEnv('SEND_RETRY_BASE_SECONDS', String(options.retryBaseSeconds ?? 2));
  // The local SES has no GetSendQuota: SES's starting rate for an account out of the sandbox.
  defaultEnv('SES_MAX_SEND_RATE', '14');
  defaultEnv('POWERTOOLS_SERVICE_NAME', 'recruiting-mail-local');
  defaultEnv('LOG_LEVEL', 'WARN');
  defaultEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  defaultEnv('INBOUND_RECONCILE_GRACE_SECONDS', '60');
  // The local SES publishes the events of sends through a configuration set (its mailbox simulator).
  defaultEnv('DEFAULT_PROVIDER_CONFIGURATION_SET', 'recruiting-mail-local');

  const deadLetters = join(dataDir, 'dead-letters');
  mkdirSync(deadLetters, { recursive: true });
  const sendQueue = new InProcessQueue(LOCAL_SEND_QUEUE, {
    maxReceiveCount: 5,
    visibilityTimeoutMs: 2000,
    onDeadLetter: (body, error) => appendFileSync(join(deadLetters, 'send.jsonl'), `${JSON.stringify({ at: new Date().toISOString(), body, error })}\n`),
  });
  registerInProcessQueue(sendQueue);
  stops.push(() => sendQueue.stop());

  sendQueue.attachPollers(await sendWorkerInstances(intEnv('SEND_WORKER_INSTANCES', 3)), SEND_BATCH_SIZE);

  // Messages a crash left queued or sending: settled or back on the queue now, then on a timer.
  const sweeper = await startLocalOutboundSweeper({
    intervalSeconds: intEnv('SEND_SWEEP_INTERVAL_SECONDS', 60),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  stops.push(sweeper.stop);

  // Erasures (and their resume sweep at start: what a crash interrupted finishes now).
  const dataLifecycle = await startLocalDataLifecycle({
    deadLetters,
    intervalSeconds: intEnv('ERASURE_SWEEP_INTERVAL_SECONDS', 300),
    retentionIntervalSeconds: intEnv('RETENTION_INTERVAL_SECONDS', 3600),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  stops.push(dataLifecycle.stop);

  // Lambda's asynchronous invocation: two retries, then the on-failure destination.
  const inboundInvocations = new InProcessQueue('inbound', {
    maxReceiveCount: 3,
    visibilityTimeoutMs: 2000,
    onDeadLetter: (body, error) => appendFileSync(join(deadLetters, 'inbound.jsonl'), `${JSON.stringify({ at: new Date().toISOString(), body, error })}\n`),
  });
  stops.push(() => inboundInvocations.stop());
  const { handler: inboundHandler } = await import('../../functions/inbound/receive');
  const invokeInbound = (event: SESEvent) => invokeLocally('local-inbound', inboundHandler, event, 60_000);
  inboundInvocations.attach(async (event: SQSEvent) => {
    for (const record of event.Records) await invokeInbound(JSON.parse(record.body) as SESEvent);
  });

  // SES event publishing: the stand-in's events of each send reach the same handler as on AWS,
  // through a queue like the deployed one (retries, then the dead letters).
  const deliveryEvents = new InProcessQueue('delivery-events', {
    maxReceiveCount: 3,
    visibilityTimeoutMs: 1000,
    onDeadLetter: (body, error) => appendFileSync(join(deadLetters, 'delivery-events.jsonl'), `${JSON.stringify({ at: new Date().toISOString(), body, error })}\n`),
  });
  stops.push(() => deliveryEvents.stop());
  const { handler: deliveryEventsHandler } = await import('../../functions/sender-reputation/delivery-events');
  deliveryEvents.attach((event: SQSEvent) => invokeLocally('local-delivery-events', deliveryEventsHandler, event, 60_000) as Promise<SQSBatchResponse>);
  // SES publishes within seconds of a send, not before the send call returned.
  ses.onEvents((event) => deliveryEvents.send(event, 1));

  const settingsStore = createDynamoSettingsStore();
  const inboundSmtp = await startLocalInboundSmtp({
    port: options.inboundSmtpPort ?? 0,
    inboundDomain: options.inboundDomain,
    settings: settingsStore,
    inboundAddresses: inboundAddressesOf(secretsConfig(), options.inboundDomain),
    blobs: createS3BlobStore(),
    invoke: (event) => inboundInvocations.send(JSON.stringify(event)),
  });
  stops.push(inboundSmtp.stop);

  const forwarding = startCompanyMailboxForwarding({
    mailbox: companySmtp.login.username,
    defaultProviderMails: (since) => ses.emails(since),
    // The stand-in is ACME's server: its mailbox forwards to the ACME scope that names it.
    inboundAddressFor: async (mailbox) =>
      (await settingsStore.list(LOCAL_COMPANY_ID)).find((scope) => scope.address?.toLowerCase() === mailbox)?.inboundAddress ?? null,
    inboundSmtpPort: inboundSmtp.port,
  });
  stops.push(forwarding.stop);

  // Stored but never filed (a crash after the 250): filed now; every mail stored from now on is
  // checked once its grace period has passed (S3's event, as on AWS).
  const reconciler = await startLocalInboundReconciler({ s3, deadLetterFile: join(deadLetters, 'inbound-reconcile.jsonl') });
  stops.push(reconciler.stop);

  // Company mailboxes read over IMAP (capability 12): polled at start, then on a timer.
  delete process.env.INBOUND_IMAP_POLL_QUEUE_URL;
  const mailboxPoller = await startLocalInboundMailboxPoller({
    intervalSeconds: intEnv('INBOUND_IMAP_POLL_SECONDS', 60),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  stops.push(mailboxPoller.stop);

  const api = await startLocalHttpApi({
    port: options.port,
    jwtSecret: options.jwtSecret,
    handlers: await importApiHandlers(),
    functions: {
      inbound: (payload) => invokeInbound(payload as SESEvent),
      'inbound-reconciler': () => reconciler.scan(),
      'outbound-sweeper': (payload) => sweeper.run((payload ?? {}) as object),
      'inbound-mailbox-poller': () => mailboxPoller.run({}),
    },
    localControls: companySmtpControls(companySmtp),
    corsAllowedOrigins,
    throttle: { rateLimit: intEnv('API_THROTTLE_RATE_LIMIT', DEFAULT_API_THROTTLE.rateLimit), burstLimit: intEnv('API_THROTTLE_BURST_LIMIT', DEFAULT_API_THROTTLE.burstLimit) },
  });
  stops.push(api.stop);

  return {
    apiUrl: api.url,
    sesStoreUrl: ses.storeUrl,
    dataDir,
    sendQueue,
    dataLifecycle,
    inboundInvocations,
    deliveryEvents,
    inboundSmtpPort: inboundSmtp.port,
    companySmtp,
    idle: async () => {
      // Filing can queue nothing, delivery nothing inbound, a send queues its SES events, an erasure cancels sends: three rounds settle all.
      for (let round = 0; round < 3; round++) await Promise.all([sendQueue.idle(), inboundInvocations.idle(), deliveryEvents.idle(), dataLifecycle.queue.idle()]);
    },
    describe: () => [
      `  DynamoDB          ${dynamo.endpoint}   (dynalite, table ${TABLE_NAME})`,
      `  S3                ${s3.endpoint}   (s3rver, bucket ${BUCKET}, files under ${join(dataDir, 's3')})`,
      `  SES (default)     ${ses.endpoint}   (aws-ses-v2-local; what it "sent": ${ses.storeUrl})`,
      `  Send queue        in-process (dead letters: ${join(deadLetters, 'send.jsonl')})`,
      `  SES events        in-process, with SES's mailbox simulator (bounce@simulator.amazonses.com…; dead letters: ${join(deadLetters, 'delivery-events.jsonl')})`,
      `  Erasure jobs      in-process (dead letters: ${join(deadLetters, 'data-lifecycle.jsonl')})`,
      `  Inbound (SES)     smtp://127.0.0.1:${inboundSmtp.port}   (mail to *@${options.inboundDomain}; failed filings: ${join(deadLetters, 'inbound.jsonl')})`,
      `  Company SMTP      smtp://127.0.0.1:${companySmtp.port}   (stand-in for ACME's own server: STARTTLS, self-signed; login ${companySmtp.login.username} / ${companySmtp.login.password})`,
      `                    received mail: ${companySmtp.receivedDir}; ${companySmtp.running() ? 'on' : 'OFF'} (switch: curl -X POST ${api.url}/local/company-smtp/off | /on)`,
    ],
    async stop() {
      for (const stop of stops.reverse()) await stop();
    },
  };
}

/** Records per send-worker invocation, as the SQS event source's batch size on AWS. */
const SEND_BATCH_SIZE = 5;

type SendWorkerModule = typeof import('../../functions/messages/send-worker');

/**
 * The send worker as `count` separate instances, as Lambda runs containers side by side: each
 * is its own copy of the handler module (imported under its own URL), so each has its own
 * connection pool and caches, and only what they share through the table (the mailboxes'
 * limits) holds them together.
 */
async function sendWorkerInstances(count: number): Promise<((event: SQSEvent) => Promise<SQSBatchResponse>)[]> {
  const instances: ((event: SQSEvent) => Promise<SQSBatchResponse>)[] = [];
  for (let instance = 1; instance <= Math.max(1, count); instance++) {
    const url = `${new URL('../../functions/messages/send-worker.ts', import.meta.url).href}?instance=${instance}`;
    const { handler } = (await import(url)) as SendWorkerModule;
    instances.push((event) => invokeLocally('local-send-worker', handler, event, SEND_WORKER_TIMEOUT_SECONDS * 1000) as Promise<SQSBatchResponse>);
  }
  return instances;
}

/** CORS_ALLOWED_ORIGINS (comma-separated), as the CDK context `corsAllowedOrigins` on AWS. */
function localCorsOrigins(): string[] {
  const { origins, problems } = parseCorsOrigins(optionalEnv('CORS_ALLOWED_ORIGINS', DEFAULT_CORS_ALLOWED_ORIGINS.join(',')));
  if (problems.length > 0) throw new Error(`CORS_ALLOWED_ORIGINS: ${problems.join('; ')}`);
  return origins;
}

/** `POST /local/company-smtp/off` and `/on`: switch the stand-in to see the fallback; `GET` shows it. */
function companySmtpControls(companySmtp: LocalCompanySmtp): Record<string, () => Promise<unknown>> {
  const state = () => ({ running: companySmtp.running(), port: companySmtp.port, receivedDir: companySmtp.receivedDir });
  return {
    'GET /local/company-smtp': async () => state(),
    'POST /local/company-smtp/off': async () => (await companySmtp.switchOff(), state()),
    'POST /local/company-smtp/on': async () => (await companySmtp.switchOn(), state()),
  };
}

async function importApiHandlers(): Promise<Record<ApiFunction, ApiLambda>> {
  const [platform, emailSettings, candidates, messages, senderReputation, dataLifecycle] = await Promise.all([
    import('../../functions/platform/api'),
    import('../../functions/email-settings/api'),
    import('../../functions/candidates/api'),
    import('../../functions/messages/api'),
    import('../../functions/sender-reputation/api'),
    import('../../functions/data-lifecycle/api'),
  ]);
  return {
    platform: platform.handler as unknown as ApiLambda,
    'email-settings': emailSettings.handler as unknown as ApiLambda,
    candidates: candidates.handler as unknown as ApiLambda,
    messages: messages.handler as unknown as ApiLambda,
    'sender-reputation': senderReputation.handler as unknown as ApiLambda,
    'data-lifecycle': dataLifecycle.handler as unknown as ApiLambda,
  };
}
