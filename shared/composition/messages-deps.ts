import { createDynamoCandidatesStore } from '../adapters/dynamodb-candidates-store';
import { createDynamoMessagesStore } from '../adapters/dynamodb-messages-store';
import { createDynamoSettingsStore } from '../adapters/dynamodb-settings-store';
import { inProcessJobQueue } from '../adapters/in-process-queue';
import { createS3UploadStore } from '../adapters/s3-attachment-uploads';
import { createS3BlobStore } from '../adapters/s3-blob-store';
import { createSesDefaultProvider } from '../adapters/ses-default-provider';
import { createSqsJobQueue } from '../adapters/sqs-job-queue';
import { intEnv, requireEnv } from '../config';
import type { JobQueue } from '../job-queue';
import type { DeliverMailDeps } from '../messages/deliver-candidate-mail';
import type { SendJob } from '../messages/send-job';
import { parseSingleAddress } from '../outbound/address';
import { sendViaSmtp } from '../smtp/send-via-smtp';
import { SmtpConnectionPool } from '../smtp/smtp-connection-pool';
import { sendWithOAuth } from '../oauth/send-with-oauth';
import { messageIdDomainFromEnv } from './message-id-domain';
import { oauthDepsFromEnv } from './oauth-deps';
import { secretCipherFromEnv } from './secret-cipher-from-env';
import { smtpOptionsFromEnv } from './smtp-options';

/** The local queue's name, when the local runner delivers in-process instead of SQS. */
export const LOCAL_SEND_QUEUE = 'send';

/** SQS on AWS (`SEND_QUEUE_URL`), the in-process queue in local mode. */
export function sendQueueFromEnv(): JobQueue<SendJob> {
  const url = process.env.SEND_QUEUE_URL;
  return url ? createSqsJobQueue<SendJob>(url) : inProcessJobQueue<SendJob>(LOCAL_SEND_QUEUE);
}

export { messageIdDomainFromEnv };

/**
 * The delivery use case wired from the environment, and `endBatch`, which the worker calls
 * after each SQS batch: SMTP connections are reused within a batch only, so a server that
 * changed its mind about our login (a new password, auth turned off) is asked again for the
 * next batch instead of being bypassed by a session that logged in earlier.
 */
export function deliverMailDepsFromEnv(): DeliverMailDeps & { endBatch(): Promise<void> } {
  const smtp = smtpOptionsFromEnv();
  const cipher = secretCipherFromEnv();
  const { oauthTokens } = oauthDepsFromEnv(cipher);
  let pool = new SmtpConnectionPool({});
  return {
    async endBatch() {
      const finished = pool;
      pool = new SmtpConnectionPool({});
      await finished.close();
    },
    messages: createDynamoMessagesStore(),
    settings: createDynamoSettingsStore(),
    cipher,
    blobs: createS3BlobStore(),
    // OAuth2 settings get their access token here (cached across warm invocations).
    sendSmtp: sendWithOAuth(oauthTokens, (settings, message) => sendViaSmtp(settings, message, { ...smtp, pool })),
    // The queue retries with backoff; SDK retries could resend a message SES already took.
    defaultProvider: createSesDefaultProvider({ maxAttempts: 1 }),
    queue: sendQueueFromEnv(),
    inboundDomain: requireEnv('INBOUND_DOMAIN'),
    defaultFromAddress: parseSingleAddress(requireEnv('DEFAULT_FROM_ADDRESS'), 'DEFAULT_FROM_ADDRESS'),
    messageIdDomain: messageIdDomainFromEnv(),
    retry: {
      maxSmtpAttempts: intEnv('SEND_MAX_SMTP_ATTEMPTS', 3),
      maxDefaultAttempts: intEnv('SEND_MAX_DEFAULT_ATTEMPTS', 5),
      baseDelaySeconds: intEnv('SEND_RETRY_BASE_SECONDS', 30),
    },
    leaseSeconds: intEnv('SEND_LEASE_SECONDS', 120),
    now: () => new Date(),
  };
}

export function queueMailDepsFromEnv() {
  return {
    candidates: createDynamoCandidatesStore(),
    messages: createDynamoMessagesStore(),
    blobs: createS3BlobStore(),
    uploads: createS3UploadStore(),
    queue: sendQueueFromEnv(),
    messageIdDomain: messageIdDomainFromEnv(),
    now: () => new Date(),
  };
}
