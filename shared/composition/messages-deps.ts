import { createDynamoCandidatesStore } from '../adapters/dynamodb-candidates-store';
import { createDynamoMessagesStore } from '../adapters/dynamodb-messages-store';
import { createDynamoSettingsStore } from '../adapters/dynamodb-settings-store';
import { inProcessJobQueue } from '../adapters/in-process-queue';
import { createS3UploadStore } from '../adapters/s3-attachment-uploads';
import { createS3BlobStore } from '../adapters/s3-blob-store';
import { createSesDefaultProvider } from '../adapters/ses-default-provider';
import { createSqsJobQueue } from '../adapters/sqs-job-queue';
import type { SendConfig } from '../config/concerns';
import type { MessagesFunctionConfig, SendWorkerFunctionConfig } from '../config/function-configs';
import type { JobQueue } from '../job-queue';
import type { DeliverMailDeps } from '../messages/deliver-candidate-mail';
import type { SendJob } from '../messages/send-job';
import { parseSingleAddress } from '../outbound/address';
import { sendViaSmtp } from '../smtp/send-via-smtp';
import { SmtpConnectionPool } from '../smtp/smtp-connection-pool';
import { sendWithOAuth } from '../oauth/send-with-oauth';
import { messageIdDomainOf } from './message-id-domain';
import { oauthDeps } from './oauth-deps';
import { secretCipherOf } from './secret-cipher-from-env';
import { smtpOptionsOf } from './smtp-options';

/** The local queue's name, when the local runner delivers in-process instead of SQS. */
export const LOCAL_SEND_QUEUE = 'send';

/** SQS on AWS (`SEND_QUEUE_URL`), the in-process queue in local mode. */
export function sendQueueOf(send: SendConfig): JobQueue<SendJob> {
  return send.queueUrl ? createSqsJobQueue<SendJob>(send.queueUrl) : inProcessJobQueue<SendJob>(LOCAL_SEND_QUEUE);
}

/**
 * The delivery use case wired from the environment, and `endBatch`, which the worker calls
 * after each SQS batch: SMTP connections are reused within a batch only, so a server that
 * changed its mind about our login (a new password, auth turned off) is asked again for the
 * next batch instead of being bypassed by a session that logged in earlier.
 */
export function deliverMailDeps(config: SendWorkerFunctionConfig): DeliverMailDeps & { endBatch(): Promise<void> } {
  const smtp = smtpOptionsOf(config.smtp);
  const cipher = secretCipherOf(config.secrets);
  const table = config.storage.tableName;
  const { oauthTokens } = oauthDeps({ ...config, tableName: table }, cipher);
  let pool = new SmtpConnectionPool({});
  return {
    async endBatch() {
      const finished = pool;
      pool = new SmtpConnectionPool({});
      await finished.close();
    },
    messages: createDynamoMessagesStore(undefined, table),
    settings: createDynamoSettingsStore(undefined, table),
    cipher,
    blobs: createS3BlobStore(config.storage.mailBucket),
    // OAuth2 settings get their access token here (cached across warm invocations).
    sendSmtp: sendWithOAuth(oauthTokens, (settings, message) => sendViaSmtp(settings, message, { ...smtp, pool })),
    // The queue retries with backoff; SDK retries could resend a message SES already took.
    defaultProvider: createSesDefaultProvider({ maxAttempts: 1 }),
    queue: sendQueueOf(config.send),
    inboundDomain: config.mail.inboundDomain,
    defaultFromAddress: parseSingleAddress(config.mail.defaultFromAddress, 'DEFAULT_FROM_ADDRESS'),
    messageIdDomain: messageIdDomainOf(config.mail),
    retry: {
      maxSmtpAttempts: config.send.maxSmtpAttempts,
      maxDefaultAttempts: config.send.maxDefaultAttempts,
      baseDelaySeconds: config.send.baseDelaySeconds,
    },
    leaseSeconds: config.send.leaseSeconds,
    now: () => new Date(),
  };
}

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
