import type { BlobStore } from '../blob-store';
import { decryptSaved, getScopeSettings } from '../email-settings/email-settings-service';
import { companyDisplayName, companySettingsBehind, smtpOwner } from '../email-settings/company-fallback';
import type { InboundAddresses } from '../email-settings/inbound-address';
import type { ScopeSettings } from '../email-settings/model';
import type { SettingsStore } from '../email-settings/settings-store';
import type { JobQueue } from '../job-queue';
import { logger } from '../logger';
import { storedAddress } from '../mail/mail-address';
import { buildCandidateMail, type CandidateMailInput } from '../outbound/build-candidate-mail';
import { circuitDecision, closeCircuitAfterSuccess, currentCircuit, openedCircuit, type CircuitPolicy } from '../outbound/circuit-breaker';
import { type DefaultProvider, isDefaultProviderError } from '../outbound/default-provider';
import { forDefaultProvider } from '../outbound/default-sender';
import type { SecretCipher } from '../secrets/secret-cipher';
import type { DefaultProviderGate } from '../sender-reputation/default-provider-gate';
import { sentMailTags } from '../sender-reputation/message-tags';
import { isSmtpSendError, type SmtpMessage, type SmtpSendResult } from '../smtp/smtp-port';
import type { SmtpResultCode, SmtpServerSettings } from '../smtp/types';
import { isSmtpResultCode } from '../error-catalogue';
import type { MessagesStore } from './messages-store';
import { storedMailInput } from './stored-mail-input';
import type { MessageRecord } from './model';
import { INTERRUPTED_TRANSMISSION, leaseExpired } from './sending-lease';
import { interruptedAttempt, reasonOf, WORKER_STOPPED } from './interrupted-attempts';
import { fullJitterDelaySeconds } from '../outbound/backoff';
import type { SendPace } from '../outbound/send-pace';
import type { SendJob } from './send-job';
import { mailboxKey, takeSendingSlot, type MailboxLimitsDeps } from '../outbound/mailbox-limits';
import { fallsBack, quotaUsedUp, retriesSameServer, turnsSettingsFailing } from '../outbound/smtp-failure-policy';
import { MailboxBusyError } from '../smtp/connection-leases';
import { connectionWaitUntil, waitForTurn } from './wait-for-turn';

export interface DeliverMailDeps {
  messages: MessagesStore;
  settings: SettingsStore;
  cipher: SecretCipher;
  blobs: BlobStore;
  sendSmtp: (settings: SmtpServerSettings, message: SmtpMessage) => Promise<SmtpSendResult>;
  defaultProvider: DefaultProvider;
  /** Suppressed recipients and a paused company fail before any call to the default provider. */
  defaultProviderGate: DefaultProviderGate;
  queue: JobQueue<SendJob>;
  inboundDomain: string;
  inboundAddresses: InboundAddresses;
  defaultFromAddress: string;
  messageIdDomain: string;
  retry: {
    /** Attempts through the company's server while it answers 4xx, before falling back. */
    maxSmtpAttempts: number;
    /** Attempts through the default provider while it is unavailable. */
    maxDefaultAttempts: number;
    /** Attempts that end without any server's answer (interrupted-attempts.ts), before the message fails. */
    maxInterruptedAttempts: number;
    baseDelaySeconds: number;
  };
  /** How long a worker may hold a message before another may look at it again. */
  leaseSeconds: number;
  /** The mailboxes' limits shared by every worker (capability 11); without it, none are held. */
  mailboxLimits?: MailboxLimitsDeps;
  /**
   * The circuit breaker of company servers (circuit-breaker.ts), and how long a message may wait
   * for a server whose circuit is open when it may not fall back.
   */
  circuit: CircuitPolicy & { maxWaitSeconds: number };
  /** The account-wide pace of the default provider (its send rate), shared by every worker. */
  defaultProviderPace: SendPace;
  now: () => Date;
}

/** `paced`: back on the queue until its mailbox may send it (not an attempt). */
export type DeliveryOutcome = 'sent' | 'failed' | 'retrying' | 'paced' | 'skipped';

/** 4xx answers: the same server may take the message later, so it is retried before any fallback. */
const RETRY_SAME_SERVER = new Set<SmtpResultCode>(['RATE_LIMITED', 'TEMPORARY_FAILURE']);

/** Without fallback, a mailbox over its provider's quota is tried again this much later. */
const QUOTA_RETRY_MS = 3600 * 1000;

/** The server's EHLO SIZE, stored on the settings when it differs from what they remember. */
async function rememberSizeLimit(deps: DeliverMailDeps, owner: ScopeSettings, sizeLimit: number | null | undefined): Promise<void> {
  if (sizeLimit === undefined || !owner.smtp || (owner.smtp.sizeLimit ?? null) === sizeLimit) return;
  await deps.settings.rememberSizeLimit(owner.companyId, owner.scope, owner.smtp.revision, sizeLimit).catch((error: unknown) => {
    logger.warn('could not remember the server size limit', { error: error as Error });
  });
}

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
  // The worker that held it stopped before the attempt ended: that attempt counts against the cap.
  const stopped = message.status === 'sending' ? interruptedAttempt(message, WORKER_STOPPED, deps.retry.maxInterruptedAttempts) : null;
  if (stopped?.exhausted) {
    const failed = await deps.messages.update(
      message.id,
      { ...stopped.changes, status: 'failed', transmitting: false, sendingSince: null, updatedAt: now.toISOString() },
      ['sending'],
      message.attempts,
    );
    return failed ? 'failed' : 'skipped';
  }

  // Compare-and-set on what this worker saw: of two workers taking the same message, one wins.
  const claimed = await deps.messages.update(
    message.id,
    { ...stopped?.changes, status: 'sending', sendingSince: now.toISOString(), transmitting: false, attempts: message.attempts + 1, updatedAt: now.toISOString() },
    [message.status],
    message.attempts,
  );
  if (!claimed) return 'skipped';
  try {
    return await deliverClaimed(deps, message, claimed, now);
  } catch (error) {
    return settleInterruptedAttempt(deps, claimed, error);
  }
}

/** The claimed message through its route: the company's server, or the default provider. */
async function deliverClaimed(deps: DeliverMailDeps, message: MessageRecord, claimed: MessageRecord, now: Date): Promise<DeliveryOutcome> {
  const scopeSettings = await getScopeSettings({ store: deps.settings, inboundAddresses: deps.inboundAddresses, now: deps.now }, message.companyId, message.scope);
  const main = await companySettingsBehind(deps.settings, message.companyId, message.scope, scopeSettings);
  const owner = claimed.fallbackReason ? null : smtpOwner(scopeSettings, main);
  const mail = await commonMailInput(deps, claimed);

  if (!owner) return sendThroughDefault(deps, claimed, mail, scopeSettings, main, claimed.fallbackReason);

  const circuit = await circuitDecision(deps.settings, owner, now, deps.circuit);
  if (circuit.kind === 'stay-away') {
    const reason = isSmtpResultCode(owner.failure?.code ?? '') ? (owner.failure!.code as SmtpResultCode) : 'UNKNOWN';
    if (owner.fallbackToDefault) return sendThroughDefault(deps, claimed, mail, scopeSettings, main, reason);
    return waitForOpenCircuit(deps, claimed, owner, circuit.retryAt);
  }

  const smtp = await decryptSaved(deps, owner);
  const mailbox = mailboxKey(smtp);
  // The day's quota is used up (ours, or the server said so): fall back, or wait for it.
  const overQuota = async (until: Date, quotaDay: string | null): Promise<DeliveryOutcome> => {
    if (!owner.fallbackToDefault) return waitForTurn(deps, claimed, until, { rateSlotAt: null, quotaDay });
    await deps.messages.update(claimed.id, { transmitting: false, fallbackReason: 'SENDER_QUOTA_EXCEEDED' });
    return sendThroughDefault(deps, claimed, mail, scopeSettings, main, 'SENDER_QUOTA_EXCEEDED');
  };
  const slot = deps.mailboxLimits
    ? await takeSendingSlot(deps.mailboxLimits, { ...claimed, rateSlotAt: claimed.rateSlotAt ?? null, quotaDay: claimed.quotaDay ?? null, recipients: claimed.to.length + claimed.cc.length }, mailbox, smtp.limits!, now)
    : ({ kind: 'go', quotaDay: null } as const);
  if (slot.kind === 'wait') return waitForTurn(deps, claimed, slot.until, slot.held);
  if (slot.kind === 'day-used-up') return overQuota(slot.resetsAt, claimed.quotaDay ?? null);
  const built = await buildCandidateMail({ ...mail, from: { address: smtp.fromAddress, name: smtp.fromName } });
  await deps.messages.update(claimed.id, { provider: 'smtp', from: storedAddress({ address: smtp.fromAddress, name: smtp.fromName }), rateSlotAt: null, quotaDay: slot.quotaDay });
  // Marked only once the server asked for the data (not while waiting for a connection): a
  // crash before that leaves a message the sweeper may put back on the queue.
  const beforeData = async () => {
    await deps.messages.update(claimed.id, { transmitting: true });
  };
  try {
    const result = await deps.sendSmtp(smtp, { ...built, beforeData });
    await finish(deps, claimed.id, 'sent', { provider: 'smtp', smtpResponse: result.response, sentAt: deps.now().toISOString() });
    await rememberSizeLimit(deps, owner, result.sizeLimit);
    await closeCircuitAfterSuccess(deps.settings, owner);
    return 'sent';
  } catch (error) {
    // Every connection slot of the mailbox is held by other workers: wait a moment on the queue.
    if (error instanceof MailboxBusyError) return waitForTurn(deps, claimed, connectionWaitUntil(deps.now()), { rateSlotAt: null, quotaDay: slot.quotaDay });
    if (!isSmtpSendError(error)) throw error;
    await rememberSizeLimit(deps, owner, error.sizeLimit);
    const reason = { code: error.code, message: error.message };
    if (error.dataSent) {
      await finish(deps, claimed.id, 'failed', {
        smtpResponse: error.smtpResponse,
        error: { code: 'DELIVERY_UNCERTAIN', message: `The server did not confirm the message after receiving it (${error.message}); it may have been delivered, so it is not sent again.` },
      });
      return 'failed';
    }
    const smtpAttempts = claimed.attempts - claimed.defaultProviderAttempts;
    if (retriesSameServer(error.code, smtpAttempts, deps.retry.maxSmtpAttempts, deps.now().getTime() - Date.parse(claimed.createdAt))) {
      return retryLater(deps, claimed, smtpAttempts, { smtpResponse: error.smtpResponse, error: reason });
    }
    // What the server says about one recipient (550 5.1.1, or a 451 that outlasted the retries)
    // is about the candidate's address, not the company's configuration: no fallback.
    if (!fallsBack(error.code) || (error.stage === 'rcpt' && RETRY_SAME_SERVER.has(error.code))) {
      await finish(deps, claimed.id, 'failed', { smtpResponse: error.smtpResponse, error: reason });
      return 'failed';
    }
    // A configuration-type failure, or a server that kept answering 4xx: the admin must act.
    // One message's problem (its size, its content, an unexplained refusal) or a limit never.
    if (turnsSettingsFailing(error.code)) {
      const failedAt = deps.now();
      const failure = { at: failedAt.toISOString(), code: error.code, message: error.message, smtpResponse: error.smtpResponse };
      const revision = owner.smtp!.revision;
      await deps.settings.markFailing(owner.companyId, owner.scope, revision, failure, openedCircuit(currentCircuit(owner), revision, failedAt, deps.circuit));
    }
    if (quotaUsedUp(error.code)) {
      // The server counts differently than we do: no more slots for this mailbox today.
      if (deps.mailboxLimits && smtp.limits?.perDay != null) await deps.mailboxLimits.windows.spendDay(mailbox, deps.now().getTime(), smtp.limits.perDay);
      await deps.messages.update(claimed.id, { smtpResponse: error.smtpResponse });
      return overQuota(new Date(deps.now().getTime() + QUOTA_RETRY_MS), slot.quotaDay);
    }
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
  const refusal = await deps.defaultProviderGate.refusal(message.companyId, built.envelope.to);
  if (refusal) {
    await finish(deps, message.id, 'failed', { provider: 'default', fallbackReason, from, error: refusal });
    return 'failed';
  }
  // Before `transmitting`: a message waiting for its turn has not been handed to anyone.
  const slot = await deps.defaultProviderPace.take(built.envelope.to.length);
  if (!slot.granted) return retryThrottled(deps, message, slot.retryAfterSeconds, { provider: 'default', fallbackReason, from });
  const defaultProviderAttempts = message.defaultProviderAttempts + 1;
  await deps.messages.update(message.id, { transmitting: true, provider: 'default', fallbackReason, from, defaultProviderAttempts });
  try {
    const result = await deps.defaultProvider.send({ ...built, tags: sentMailTags({ companyId: message.companyId, kind: 'candidate-mail', messageId: message.id }) });
    await finish(deps, message.id, 'sent', { provider: 'default', providerMessageIdHeader: result.messageIdHeader, sentAt: deps.now().toISOString() });
    await deps.messages.indexMessageIdHeader(message.companyId, result.messageIdHeader, message.id);
    return 'sent';
  } catch (error) {
    if (!isDefaultProviderError(error)) throw error;
    const reason = { code: error.code, message: error.message };
    if (error.throttled) return retryThrottled(deps, message, 0, { error: reason });
    if (error.temporary && defaultProviderAttempts < deps.retry.maxDefaultAttempts) {
      // Full jitter: the messages of one failure wave do not all come back at the same moment.
      return retryLater(deps, message, defaultProviderAttempts, { error: reason }, fullJitterDelaySeconds(deps.retry.baseDelaySeconds, defaultProviderAttempts));
    }
    await finish(deps, message.id, 'failed', { error: reason });
    return 'failed';
  }
}

async function commonMailInput(deps: DeliverMailDeps, message: MessageRecord): Promise<CandidateMailInput & { messageId: string }> {
  return { ...(await storedMailInput(deps.blobs, message)), from: { address: deps.defaultFromAddress }, messageIdDomain: deps.messageIdDomain };
}

/**
 * The company's server is failing and this message may not fall back: it waits for the probe
 * (not counted as an attempt), up to `circuit.maxWaitSeconds` after it was queued; then it fails
 * with the server's failure.
 */
async function waitForOpenCircuit(deps: DeliverMailDeps, message: MessageRecord, owner: ScopeSettings, retryAt: Date): Promise<DeliveryOutcome> {
  const now = deps.now();
  const failure = owner.failure ?? { code: 'UNKNOWN' as const, message: 'The company server is failing.' };
  const waitedSeconds = (now.getTime() - Date.parse(message.createdAt)) / 1000;
  if (waitedSeconds >= deps.circuit.maxWaitSeconds) {
    await finish(deps, message.id, 'failed', {
      error: { code: failure.code, message: `The company's mail server kept failing for ${Math.round(waitedSeconds / 60)} min while this message waited (fallback to the default provider is off): ${failure.message}` },
    });
    return 'failed';
  }
  // Spread over a quarter of the wait, so that the waiting messages do not all come back at once.
  const waitSeconds = Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 1000));
  const delay = Math.min(900, waitSeconds + Math.floor(Math.random() * Math.ceil(waitSeconds / 4)));
  const waiting = { code: failure.code, message: `Waiting for the company's mail server, which is failing: ${failure.message}` };
  await deps.messages.update(
    message.id,
    { status: 'queued', attempts: message.attempts - 1, transmitting: false, sendingSince: null, error: waiting, updatedAt: now.toISOString() },
    ['sending'],
  );
  await deps.queue.enqueue({ messageId: message.id }, delay);
  return 'retrying';
}

/**
 * The default provider said "slow down" (SES `Throttling`), or its pace has no slot soon enough:
 * not a failed attempt. Back to the queue after `minDelaySeconds` plus full jitter over the
 * message's attempts, so that the throttled messages spread out instead of coming back together.
 */
async function retryThrottled(deps: DeliverMailDeps, message: MessageRecord, minDelaySeconds: number, changes: Partial<MessageRecord>): Promise<DeliveryOutcome> {
  const delay = Math.min(900, minDelaySeconds + fullJitterDelaySeconds(deps.retry.baseDelaySeconds, message.attempts));
  return retryLater(deps, message, message.attempts, { ...changes, defaultProviderAttempts: message.defaultProviderAttempts }, delay);
}

/**
 * An attempt of ours ended on an exception, not on a server's answer: counted against
 * `maxInterruptedAttempts` (interrupted-attempts.ts), then back to the queue with backoff, or
 * `failed` at the cap. A message that may have reached a server, or that another step already
 * settled, is left as it is and the error goes to the queue, as before.
 */
async function settleInterruptedAttempt(deps: DeliverMailDeps, claimed: MessageRecord, error: unknown): Promise<DeliveryOutcome> {
  const current = await deps.messages.get(claimed.id);
  if (!current || current.status !== 'sending' || current.transmitting) throw error;
  logger.error('a delivery attempt stopped on an error', { messageId: claimed.id, error: error as Error });
  const attempt = interruptedAttempt(current, reasonOf(error), deps.retry.maxInterruptedAttempts);
  if (attempt.exhausted) {
    await finish(deps, claimed.id, 'failed', attempt.changes);
    return 'failed';
  }
  const delay = fullJitterDelaySeconds(deps.retry.baseDelaySeconds, attempt.changes.interruptedAttempts!);
  return retryLater(deps, current, attempt.changes.interruptedAttempts!, attempt.changes, delay);
}

/** Back to the queue with exponential backoff over the tries of the route that failed. */
async function retryLater(
  deps: DeliverMailDeps,
  message: MessageRecord,
  tries: number,
  changes: Partial<MessageRecord>,
  delay = Math.min(900, deps.retry.baseDelaySeconds * 2 ** (tries - 1)),
): Promise<DeliveryOutcome> {
  const nextAttemptAt = new Date(deps.now().getTime() + delay * 1000).toISOString();
  await deps.messages.update(message.id, { ...changes, status: 'queued', transmitting: false, sendingSince: null, nextAttemptAt, updatedAt: deps.now().toISOString() }, ['sending']);
  await deps.queue.enqueue({ messageId: message.id }, delay);
  return 'retrying';
}

async function finish(deps: DeliverMailDeps, id: string, status: 'sent' | 'failed', changes: Partial<MessageRecord>): Promise<void> {
  const cleared = status === 'sent' ? { error: null } : {};
  await deps.messages.update(id, { ...cleared, ...changes, status, transmitting: false, sendingSince: null, updatedAt: deps.now().toISOString() });
}
