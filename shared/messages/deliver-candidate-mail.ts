import type { BlobStore } from '../blob-store';
import { decryptSaved, getScopeSettings } from '../email-settings/email-settings-service';
import { companyDisplayName, companySettingsBehind, smtpOwner } from '../email-settings/company-fallback';
import type { ScopeSettings } from '../email-settings/model';
import type { SettingsStore } from '../email-settings/settings-store';
import type { JobQueue } from '../job-queue';
import { logger } from '../logger';
import { storedAddress } from '../mail/mail-address';
import { buildCandidateMail, type CandidateMailInput } from '../outbound/build-candidate-mail';
import { type DefaultProvider, isDefaultProviderError } from '../outbound/default-provider';
import { forDefaultProvider } from '../outbound/default-sender';
import type { SecretCipher } from '../secrets/secret-cipher';
import { isSmtpSendError, type SmtpMessage, type SmtpSendResult } from '../smtp/smtp-port';
import type { SmtpResultCode, SmtpServerSettings } from '../smtp/types';
import type { MessagesStore } from './messages-store';
import { storedMailInput } from './stored-mail-input';
import type { MessageRecord } from './model';
import { INTERRUPTED_TRANSMISSION, leaseExpired } from './sending-lease';
import type { SendJob } from './send-job';

export interface DeliverMailDeps {
  messages: MessagesStore;
  settings: SettingsStore;
  cipher: SecretCipher;
  blobs: BlobStore;
  sendSmtp: (settings: SmtpServerSettings, message: SmtpMessage) => Promise<SmtpSendResult>;
  defaultProvider: DefaultProvider;
  queue: JobQueue<SendJob>;
  inboundDomain: string;
  defaultFromAddress: string;
  messageIdDomain: string;
  retry: {
    /** Attempts through the company's server while it answers 4xx, before falling back. */
    maxSmtpAttempts: number;
    /** Attempts through the default provider while it is unavailable. */
    maxDefaultAttempts: number;
    baseDelaySeconds: number;
  };
  /** How long a worker may hold a message before another may look at it again. */
  leaseSeconds: number;
  now: () => Date;
}

export type DeliveryOutcome = 'sent' | 'failed' | 'retrying' | 'skipped';

/** 4xx answers: the same server may take the message later, so it is retried before any fallback. */
const RETRY_SAME_SERVER = new Set<SmtpResultCode>(['RATE_LIMITED', 'TEMPORARY_FAILURE']);

/** A rejected recipient is the candidate's address, not the company's server: no fallback. */
const NO_FALLBACK = new Set<SmtpResultCode>(['RECIPIENT_REJECTED']);

export class WorkerBusyError extends Error {
  constructor(messageId: string) {
    super(`Message ${messageId} is held by another worker`);
    this.name = 'WorkerBusyError';
  }
}

/**
 * Delivers one queued candidate mail: through the scope's server, else the company's, else the
 * default provider; falls back to the default provider on configuration-type failures before
 * the server accepted the data; retries 4xx with backoff; and never sends a message twice:
 * once a server accepted it, or may have (the attempt died while transmitting), no route
 * sends it again.
 */
export async function deliverCandidateMail(deps: DeliverMailDeps, messageId: string): Promise<DeliveryOutcome> {
  const message = await deps.messages.get(messageId);
  // A cancelled message (its candidate was erased) is never sent.
  if (!message || message.direction !== 'outbound' || message.status === 'sent' || message.status === 'failed' || message.status === 'cancelled') return 'skipped';

  const now = deps.now();
  if (message.status === 'sending') {
    if (!leaseExpired(message, now, deps.leaseSeconds)) throw new WorkerBusyError(messageId);
    if (message.transmitting) {
      await finish(deps, message.id, 'failed', { error: INTERRUPTED_TRANSMISSION });
      return 'failed';
    }
  }

  // Compare-and-set on what this worker saw: of two workers taking the same message, one wins.
  const claimed = await deps.messages.update(
    message.id,
    { status: 'sending', sendingSince: now.toISOString(), transmitting: false, attempts: message.attempts + 1, updatedAt: now.toISOString() },
    [message.status],
    message.attempts,
  );
  if (!claimed) return 'skipped';

  const scopeSettings = await getScopeSettings({ store: deps.settings, inboundDomain: deps.inboundDomain, now: deps.now }, message.companyId, message.scope);
  const main = await companySettingsBehind(deps.settings, message.companyId, message.scope, scopeSettings);
  const owner = claimed.fallbackReason ? null : smtpOwner(scopeSettings, main);
  const mail = await commonMailInput(deps, claimed);

  if (!owner) return sendThroughDefault(deps, claimed, mail, scopeSettings, main, claimed.fallbackReason);

  const smtp = await decryptSaved(deps, owner);
  const built = await buildCandidateMail({ ...mail, from: { address: smtp.fromAddress, name: smtp.fromName } });
  await deps.messages.update(claimed.id, { provider: 'smtp', from: storedAddress({ address: smtp.fromAddress, name: smtp.fromName }) });
  // Marked only once the server asked for the data (not while waiting for a connection): a
  // crash before that leaves a message the sweeper may put back on the queue.
  const beforeData = async () => {
    await deps.messages.update(claimed.id, { transmitting: true });
  };
  try {
    const result = await deps.sendSmtp(smtp, { ...built, beforeData });
    await finish(deps, claimed.id, 'sent', { provider: 'smtp', smtpResponse: result.response, sentAt: deps.now().toISOString() });
    return 'sent';
  } catch (error) {
    if (!isSmtpSendError(error)) throw error;
    const reason = { code: error.code, message: error.message };
    if (error.dataSent) {
      await finish(deps, claimed.id, 'failed', {
        smtpResponse: error.smtpResponse,
        error: { code: 'DELIVERY_UNCERTAIN', message: `The server did not confirm the message after receiving it (${error.message}); it may have been delivered, so it is not sent again.` },
      });
      return 'failed';
    }
    const smtpAttempts = claimed.attempts - claimed.defaultProviderAttempts;
    if (RETRY_SAME_SERVER.has(error.code) && smtpAttempts < deps.retry.maxSmtpAttempts) {
      return retryLater(deps, claimed, smtpAttempts, { smtpResponse: error.smtpResponse, error: reason });
    }
    // What the server says about one recipient (550 5.1.1, or a 451 that outlasted the retries)
    // is about the candidate's address, not the company's configuration: no fallback.
    if (NO_FALLBACK.has(error.code) || (error.stage === 'rcpt' && RETRY_SAME_SERVER.has(error.code))) {
      await finish(deps, claimed.id, 'failed', { smtpResponse: error.smtpResponse, error: reason });
      return 'failed';
    }
    // A configuration-type failure, or a server that kept answering 4xx: the admin must act.
    await deps.settings.markFailing(owner.companyId, owner.scope, owner.smtp!.revision, {
      at: deps.now().toISOString(),
      code: error.code,
      message: error.message,
      smtpResponse: error.smtpResponse,
    });
    if (!owner.fallbackToDefault) {
      await finish(deps, claimed.id, 'failed', { smtpResponse: error.smtpResponse, error: reason });
      return 'failed';
    }
    logger.warn('falling back to the default provider', { messageId: claimed.id, code: error.code });
    await deps.messages.update(claimed.id, { transmitting: false, smtpResponse: error.smtpResponse, fallbackReason: error.code });
    return sendThroughDefault(deps, claimed, mail, scopeSettings, main, error.code);
  }
}

async function sendThroughDefault(
  deps: DeliverMailDeps,
  message: MessageRecord,
  mail: CandidateMailInput & { messageId: string },
  scope: ScopeSettings,
  main: ScopeSettings | null,
  fallbackReason: SmtpResultCode | null,
): Promise<DeliveryOutcome> {
  const input = forDefaultProvider(mail, {
    companyDisplayName: companyDisplayName(scope, main, message.companyId),
    fromName: null,
    inboundAddress: scope.inboundAddress,
    defaultFromAddress: deps.defaultFromAddress,
  });
  const built = await buildCandidateMail(input);
  const from = storedAddress(input.from);
  const defaultProviderAttempts = message.defaultProviderAttempts + 1;
  await deps.messages.update(message.id, { transmitting: true, provider: 'default', fallbackReason, from, defaultProviderAttempts });
  try {
    const result = await deps.defaultProvider.send(built);
    await finish(deps, message.id, 'sent', { provider: 'default', providerMessageIdHeader: result.messageIdHeader, sentAt: deps.now().toISOString() });
    await deps.messages.indexMessageIdHeader(message.companyId, result.messageIdHeader, message.id);
    return 'sent';
  } catch (error) {
    if (!isDefaultProviderError(error)) throw error;
    const reason = { code: error.code, message: error.message };
    if (error.temporary && defaultProviderAttempts < deps.retry.maxDefaultAttempts) {
      return retryLater(deps, message, defaultProviderAttempts, { error: reason });
    }
    await finish(deps, message.id, 'failed', { error: reason });
    return 'failed';
  }
}

async function commonMailInput(deps: DeliverMailDeps, message: MessageRecord): Promise<CandidateMailInput & { messageId: string }> {
  return { ...(await storedMailInput(deps.blobs, message)), from: { address: deps.defaultFromAddress }, messageIdDomain: deps.messageIdDomain };
}

/** Back to the queue with exponential backoff over the tries of the route that failed. */
async function retryLater(deps: DeliverMailDeps, message: MessageRecord, tries: number, changes: Partial<MessageRecord>): Promise<DeliveryOutcome> {
  const delay = Math.min(900, deps.retry.baseDelaySeconds * 2 ** (tries - 1));
  await deps.messages.update(message.id, { ...changes, status: 'queued', transmitting: false, sendingSince: null, updatedAt: deps.now().toISOString() }, ['sending']);
  await deps.queue.enqueue({ messageId: message.id }, delay);
  return 'retrying';
}

async function finish(deps: DeliverMailDeps, id: string, status: 'sent' | 'failed', changes: Partial<MessageRecord>): Promise<void> {
  const cleared = status === 'sent' ? { error: null } : {};
  await deps.messages.update(id, { ...cleared, ...changes, status, transmitting: false, sendingSince: null, updatedAt: deps.now().toISOString() });
}
