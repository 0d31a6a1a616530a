import { AppError } from '../errors';
import { logger } from '../logger';
import { buildCandidateMail } from '../outbound/build-candidate-mail';
import { isDefaultProviderError, type DefaultProvider } from '../outbound/default-provider';
import { defaultSenderIdentity } from '../outbound/default-sender';
import type { RateLimiter } from '../rate-limiter';
import type { InboundAddresses } from './inbound-address';
import { sentMailTags } from '../sender-reputation/message-tags';
import { ensureScopeSettings, getScopeSettings } from './email-settings-service';
import { companyDisplayName, companySettingsBehind } from './company-fallback';
import type { ScopeSettings } from './model';
import { newRedirectToken, REDIRECT_TOKEN_HEADER } from './redirect-check';
import type { SettingsStore } from './settings-store';

export interface RedirectTestDeps {
  store: SettingsStore;
  defaultProvider: DefaultProvider;
  rateLimiter: RateLimiter;
  inboundDomain: string;
  inboundAddresses: InboundAddresses;
  maxScopesPerCompany: number;
  defaultFromAddress: string;
  messageIdDomain: string;
  now: () => Date;
}

/**
 * "Send test email": a mail with a unique token from the default provider to the scope's own
 * address. When the company's forwarding delivers it to the inbound address, the inbound
 * function marks the redirect `verified`; until then it is `pending`, then `failed`.
 */
export async function sendRedirectTest(deps: RedirectTestDeps, companyId: string, scope: string): Promise<ScopeSettings> {
  const settings = await ensureScopeSettings(deps, companyId, scope);
  if (!settings.address) {
    throw new AppError('VALIDATION_FAILED', 'Save the scope address (the recruiting mailbox that forwards to us) first', [
      { path: 'address', message: 'is not set for this scope' },
    ]);
  }
  const { allowed, retryAfterSeconds } = await deps.rateLimiter.consume(`redirect-test#${companyId}`, 5, 60);
  if (!allowed) throw new AppError('RATE_LIMITED', `Too many redirect tests; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });

  const main = await companySettingsBehind(deps.store, companyId, scope, settings);
  const token = newRedirectToken();
  const identity = defaultSenderIdentity({
    companyDisplayName: companyDisplayName(settings, main, companyId),
    inboundAddress: settings.inboundAddress,
    defaultFromAddress: deps.defaultFromAddress,
  });
  const mail = await buildCandidateMail({
    from: identity.from,
    to: [settings.address],
    subject: `Forwarding check ${token}`,
    text: [
      'This is an automatic test of your recruiting mailbox forwarding.',
      '',
      `It was sent to ${settings.address}. If the mailbox forwards all mail to ${settings.inboundAddress},`,
      'this message comes back to the recruiting product and the forwarding shows as verified.',
      '',
      `Check code: ${token}`,
    ].join('\n'),
    messageIdDomain: deps.messageIdDomain,
    headers: { [REDIRECT_TOKEN_HEADER]: token },
  });
  // Stored before sending: the mail can come back before the send call returns.
  const now = deps.now().toISOString();
  const next: ScopeSettings = {
    ...settings,
    redirect: { status: 'pending', token, sentAt: now, verifiedAt: null, hint: null },
    updatedAt: now,
    version: settings.version + 1,
  };
  await deps.store.replace(next, settings.version);
  try {
    await deps.defaultProvider.send({ ...mail, tags: sentMailTags({ companyId, kind: 'redirect-test', scope }) });
  } catch (error) {
    // The provider's own text goes to the log; the answer and the stored hint say it in our words.
    logger.warn('redirect test mail not sent', { companyId, scope, error: error as Error });
    const failed = await getScopeSettings(deps, companyId, scope);
    const hint = redirectSendFailureHint(error);
    await deps.store.replace({ ...failed, redirect: { ...failed.redirect, status: 'failed', hint }, version: failed.version + 1 }, failed.version);
    throw new AppError('SERVICE_UNAVAILABLE', hint);
  }
  return next;
}

/** Why the test mail did not leave, in our words: the provider's own message may name accounts or internals. */
export function redirectSendFailureHint(error: unknown): string {
  // The provider's name for the failure (`MessageRejected`, `ECONNREFUSED`) is kept when it is one.
  const code = isDefaultProviderError(error) && /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(error.providerCode) ? ` (${error.providerCode})` : '';
  if (isDefaultProviderError(error) && !error.temporary) {
    return `The test mail could not be sent: the default provider refused it${code}. Check the scope address; if it looks right, contact support.`;
  }
  if (isDefaultProviderError(error)) {
    return `The test mail could not be sent: the default provider is not reachable or busy right now${code}. Try again in a few minutes.`;
  }
  return 'The test mail could not be sent: the default provider failed. Try again in a few minutes.';
}
