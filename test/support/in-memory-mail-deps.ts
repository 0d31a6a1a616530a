import type { EmailSettingsDeps } from '../../shared/email-settings/email-settings-service';
import type { DeliverMailDeps } from '../../shared/messages/deliver-candidate-mail';
import { newMessageId } from '../../shared/mail/message-id';
import { type MessageRecord, newMessageRecord } from '../../shared/messages/model';
import type { SendJob } from '../../shared/messages/send-job';
import { type SendPace, UNPACED } from '../../shared/outbound/send-pace';
import { FakeSecretCipher } from './fake-secret-cipher';
import { MemoryBlobStore } from './memory-blob-store';
import { MemoryMessagesStore } from './memory-messages-store';
import { MemoryRateLimiter } from './memory-rate-limiter';
import { MemorySettingsStore } from './memory-settings-store';
import { RecordingDefaultProvider } from './recording-default-provider';
import { RecordingJobQueue } from './recording-job-queue';
import { RecordingMetrics } from './recording-metrics';
import { MemorySenderReputationStore } from './memory-sender-reputation-store';
import { defaultProviderGate } from '../../shared/sender-reputation/default-provider-gate';
import type { GuardThresholds } from '../../shared/sender-reputation/reputation-guard';
import { DEFAULT_PROVIDER_GUARD } from '../../shared/config/default-provider-guard';
import { RecordingSmtpSender, RecordingSmtpTester } from './recording-smtp';
import { testInboundAddresses } from './inbound-addresses';

/** The default provider's sender and the Message-ID domain of inMemoryDeliverDeps. */
export const DEFAULT_FROM = 'no-reply@mail.recruiting.example';
export const MESSAGE_ID_DOMAIN = 'mail.recruiting.example';

/**
 * The settings use case on in-memory stand-ins: every SMTP test passes (RecordingSmtpTester) and
 * the rate limits are far above what a test reaches.
 */
export function inMemorySettingsDeps(options: { inboundDomain: string; now: () => Date }) {
  const settings = new MemorySettingsStore();
  const settingsDeps = {
    store: settings,
    cipher: new FakeSecretCipher(),
    testSmtp: new RecordingSmtpTester().test,
    rateLimiter: new MemoryRateLimiter(options.now),
    inboundDomain: options.inboundDomain,
    inboundAddresses: testInboundAddresses(options.inboundDomain),
    maxScopesPerCompany: 100,
    testsPerMinute: 1000,
    destinationsPerMinute: 1000,
    now: options.now,
  } satisfies EmailSettingsDeps;
  return { settings, settingsDeps };
}

/**
 * The delivery use case on in-memory stand-ins, reading the settings (and their cipher) a test
 * saved with inMemorySettingsDeps: what it sends is recorded by the SMTP sender, the default
 * provider and the queue it returns.
 */
export function inMemoryDeliverDeps(options: {
  settingsDeps: ReturnType<typeof inMemorySettingsDeps>['settingsDeps'];
  retry?: Partial<DeliverMailDeps['retry']>;
  thresholds?: Partial<GuardThresholds>;
  circuit?: Partial<DeliverMailDeps['circuit']>;
  defaultProviderPace?: SendPace;
}) {
  const { settingsDeps } = options;
  const messages = new MemoryMessagesStore();
  const blobs = new MemoryBlobStore();
  const smtp = new RecordingSmtpSender();
  const provider = new RecordingDefaultProvider();
  const queue = new RecordingJobQueue<SendJob>();
  const reputation = new MemorySenderReputationStore();
  const metrics = new RecordingMetrics();
  const deps: DeliverMailDeps = {
    messages,
    settings: settingsDeps.store,
    cipher: settingsDeps.cipher,
    blobs,
    sendSmtp: smtp.send,
    defaultProvider: provider,
    defaultProviderGate: defaultProviderGate({ reputation, suppressions: reputation, thresholds: { ...DEFAULT_PROVIDER_GUARD, ...options.thresholds }, metrics, now: settingsDeps.now }),
    queue,
    inboundDomain: settingsDeps.inboundDomain,
    inboundAddresses: settingsDeps.inboundAddresses,
    defaultFromAddress: DEFAULT_FROM,
    messageIdDomain: MESSAGE_ID_DOMAIN,
    retry: { maxSmtpAttempts: 3, maxDefaultAttempts: 3, maxInterruptedAttempts: 3, baseDelaySeconds: 30, ...options.retry },
    leaseSeconds: 120,
    circuit: { cooldownSeconds: 60, maxCooldownSeconds: 900, maxWaitSeconds: 24 * 3600, ...options.circuit },
    defaultProviderPace: options.defaultProviderPace ?? UNPACED,
    now: settingsDeps.now,
  };
  return { deps, messages, blobs, smtp, provider, queue, reputation, metrics };
}

/** An outbound message as the messages API queues it (to a candidate, with our Message-ID); `fields` override. */
export function queuedOutboundMessage(fields: Pick<MessageRecord, 'id' | 'companyId' | 'createdAt'> & Partial<MessageRecord>): MessageRecord {
  return newMessageRecord({
    scope: 'main',
    direction: 'outbound',
    status: 'queued',
    candidateId: 'cand-1',
    to: [{ address: 'jane@candidate.example', name: null }],
    subject: 'Your interview',
    text: 'Hello',
    messageIdHeader: newMessageId(MESSAGE_ID_DOMAIN),
    ...fields,
  });
}
