import { createDynamoMessagesStore } from '../adapters/dynamodb-messages-store';
import { createDynamoSettingsStore } from '../adapters/dynamodb-settings-store';
import { createDynamoMailboxRateWindows } from '../adapters/dynamodb-mailbox-limits';
import { rateWindowOf } from '../outbound/mailbox-limits';
import { createPowertoolsMetrics } from '../adapters/powertools-metrics';
import type { BlobStore } from '../blob-store';
import type { SendWorkerFunctionConfig } from '../config/function-configs';
import type { JobQueue } from '../job-queue';
import type { DeliverMailDeps } from '../messages/deliver-candidate-mail';
import type { SendJob } from '../messages/send-job';
import type { DefaultProvider } from '../outbound/default-provider';
import { parseSingleAddress } from '../outbound/address';
import type { SecretCipher } from '../secrets/secret-cipher';
import type { SendSmtp } from '../smtp/smtp-port';
import { messageIdDomainOf } from './message-id-domain';
import { oauthSettingsOf } from './oauth-client-secrets';
import { loadedOnFirstCall, onFirstUse } from '../on-first-use';
import { assertSecretKeyConfigured } from './secret-key-configured';
import { inboundAddressesOf } from './inbound-addresses';
import { defaultProviderGateOf } from './sender-reputation-deps';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDynamoPaceWindow } from '../adapters/dynamodb-send-pace-window';
import { logger } from '../logger';
import { cachedRate, createSendPace, type SendPace } from '../outbound/send-pace';

/** How far ahead a send may reserve its slot of the default provider's pace and wait for it. */
const PACE_LOOKAHEAD_SECONDS = 5;
/** SES's quota changes rarely (an operator's request); it is read again after this long. */
const SEND_RATE_CACHE_MS = 10 * 60_000;
/** The rate when SES's cannot be read: the sandbox's, the lowest SES has. */
const FALLBACK_SEND_RATE = 1;

/**
 * The default provider's pace: the rate as configured (`SES_MAX_SEND_RATE`), else SES's own
 * `MaxSendRate`, read on the first send through SES and cached; the window in the table.
 */
function defaultProviderPaceOf(config: SendWorkerFunctionConfig): SendPace {
  const configured = config.send.defaultProviderMaxSendRate;
  const read = configured > 0 ? async () => configured : async () => (await import('../adapters/ses-send-quota')).createSesSendRate()();
  const now = () => new Date();
  return createSendPace({
    window: createDynamoPaceWindow(undefined, config.storage.tableName),
    maxSendRate: cachedRate(read, {
      ttlMs: SEND_RATE_CACHE_MS,
      fallback: FALLBACK_SEND_RATE,
      now,
      onError: (error) => logger.error('could not read the SES send rate; pacing at the last known (or the lowest) rate', { error: error as Error }),
    }),
    lookaheadSeconds: PACE_LOOKAHEAD_SECONDS,
    now,
    sleep: (ms) => sleep(ms),
  });
}

/**
 * The delivery use case wired from the send worker's configuration, and `endBatch`, which the
 * worker calls after each SQS batch. A message goes either through the company's server or
 * through SES: each way's code (nodemailer's connection, the pool, OAuth2 and KMS; the SES
 * client) is loaded with the first message that takes it, not at cold start, and so are S3
 * (only large bodies and attachments are there) and the queue (only retries are enqueued). A
 * missing key or a bad OAuth variable still stops the function at start-up.
 */
export function deliverMailDeps(config: SendWorkerFunctionConfig): DeliverMailDeps & { endBatch(): Promise<void> } {
  const table = config.storage.tableName;
  assertSecretKeyConfigured(config.secrets);
  const oauth = oauthSettingsOf(config);
  const smtp = onFirstUse(async () => (await import('./smtp-sending')).smtpSending(config, oauth));
  const cipher = loadedOnFirstCall<SecretCipher>(async () => (await smtp.get()).cipher);
  const sendSmtp: SendSmtp = async (settings, message) => (await smtp.get()).sendSmtp(settings, message);
  const defaultProvider = loadedOnFirstCall<DefaultProvider>(async () =>
    // The queue retries with backoff; SDK retries could resend a message SES already took.
    (await import('../adapters/ses-default-provider')).createSesDefaultProvider({ maxAttempts: 1, configurationSetName: config.defaultProvider.configurationSet }),
  );
  const blobs = loadedOnFirstCall<BlobStore>(async () => (await import('../adapters/s3-blob-store')).createS3BlobStore(config.storage.mailBucket));
  const queue = loadedOnFirstCall<JobQueue<SendJob>>(async () => (await import('./send-queue')).sendQueueOf(config.send));
  return {
    async endBatch() {
      await smtp.loaded()?.endBatch();
    },
    messages: createDynamoMessagesStore(undefined, table),
    settings: createDynamoSettingsStore(undefined, table),
    cipher,
    blobs,
    sendSmtp,
    defaultProvider,
    defaultProviderGate: defaultProviderGateOf(table, config.defaultProvider, createPowertoolsMetrics()),
    queue,
    inboundDomain: config.mail.inboundDomain,
    inboundAddresses: inboundAddressesOf(config.secrets, config.mail.inboundDomain),
    defaultFromAddress: parseSingleAddress(config.mail.defaultFromAddress, 'DEFAULT_FROM_ADDRESS'),
    messageIdDomain: messageIdDomainOf(config.mail),
    retry: {
      maxSmtpAttempts: config.send.maxSmtpAttempts,
      maxDefaultAttempts: config.send.maxDefaultAttempts,
      maxInterruptedAttempts: config.send.maxInterruptedAttempts,
      baseDelaySeconds: config.send.baseDelaySeconds,
    },
    leaseSeconds: config.send.leaseSeconds,
    mailboxLimits: { windows: createDynamoMailboxRateWindows(undefined, table), window: rateWindowOf(config.mailboxLimits.rateWindowSeconds) },
    circuit: {
      cooldownSeconds: config.send.circuitCooldownSeconds,
      maxCooldownSeconds: config.send.circuitMaxCooldownSeconds,
      maxWaitSeconds: config.send.circuitMaxWaitSeconds,
    },
    defaultProviderPace: defaultProviderPaceOf(config),
    now: () => new Date(),
  };
}
