import { AppError } from '../errors';
import type { RateLimiter } from '../rate-limiter';
import type { OAuthAccessTokens } from '../oauth/oauth-access-tokens';
import type { SecretCipher } from '../secrets/secret-cipher';
import { redactDeep, secretForms } from '../smtp/redact-secrets';
import type { OAuthTestCredentials } from '../smtp/test-smtp-settings';
import type { SmtpLimits, SmtpServerSettings, SmtpTestResult } from '../smtp/types';
import { effectiveLimits, limitsToStore } from './sending-limits';
import { keepsStatus } from '../outbound/smtp-failure-policy';
import type { InboundAddresses } from './inbound-address';
import { MAIN_SCOPE, type ScopeSettings, type StoredSmtp } from './model';
import { storedPasswordReuseRefusal } from './stored-password-reuse';
import type { SettingsStore } from './settings-store';

export interface SmtpSettingsInput {
  host: string;
  port: number;
  security: SmtpServerSettings['security'];
  username?: string;
  password?: string;
  fromAddress?: string;
  fromName?: string;
  /** Missing fields: the same mailbox's current limits, else the provider's preset. */
  limits?: Partial<SmtpLimits>;
}

export interface SaveSettingsInput {
  address?: string;
  displayName?: string;
  mode: 'default' | 'smtp';
  smtp?: SmtpSettingsInput;
  fallbackToDefault?: boolean;
}

export type SmtpTester = (
  settings: SmtpServerSettings,
  options: {
    sendTestMessage?: { to: string };
    beforeConnect?: (destination: { address: string; port: number }) => Promise<void>;
    oauth?: OAuthTestCredentials;
  },
) => Promise<SmtpTestResult>;

export interface EmailSettingsDeps {
  store: SettingsStore;
  cipher: SecretCipher;
  testSmtp: SmtpTester;
  rateLimiter: RateLimiter;
  inboundDomain: string;
  /** Derives each scope's inbound address (nothing stored until the scope's first write). */
  inboundAddresses: InboundAddresses;
  /** How many scopes besides `main` a company may create (`MAX_SCOPES_PER_COMPANY`). */
  maxScopesPerCompany: number;
  testsPerMinute: number;
  destinationsPerMinute: number;
  /** Access tokens of saved OAuth2 settings (capability 7), for the test button. */
  oauthTokens?: OAuthAccessTokens;
  now: () => Date;
}

export type SaveOutcome =
  | { saved: true; settings: ScopeSettings; test: SmtpTestResult | null }
  | { saved: false; settings: ScopeSettings; test: SmtpTestResult };

const secretContext = (companyId: string, scope: string) => ({ companyId, scope, purpose: 'smtp-password' });

/**
 * The scope's settings. A scope never configured answers as one would be created, with its
 * inbound address, without writing anything (`version` 0: not stored yet).
 */
export async function getScopeSettings(
  deps: Pick<EmailSettingsDeps, 'store' | 'inboundAddresses' | 'now'>,
  companyId: string,
  scope: string,
): Promise<ScopeSettings> {
  const existing = await deps.store.get(companyId, scope);
  if (existing) return existing;
  return { ...newScopeSettings(companyId, scope, await deps.inboundAddresses.addressOf(companyId, scope), deps.now()), version: 0 };
}

/**
 * The scope's stored settings, created on its first write: within the company's scope limit
 * (`main` always; `409 SCOPE_LIMIT_REACHED` beyond it), with its derived inbound address reserved
 * in the address directory (first writer wins, never changed).
 */
export async function ensureScopeSettings(
  deps: Pick<EmailSettingsDeps, 'store' | 'inboundAddresses' | 'maxScopesPerCompany' | 'now'>,
  companyId: string,
  scope: string,
): Promise<ScopeSettings> {
  const existing = await deps.store.get(companyId, scope);
  if (existing) return existing;
  const counted = scope !== MAIN_SCOPE;
  if (counted && !(await deps.store.claimScopeSlot(companyId, deps.maxScopesPerCompany))) {
    throw new AppError('SCOPE_LIMIT_REACHED', `A company can have at most ${deps.maxScopesPerCompany} sub-company scopes besides main`);
  }
  const inboundAddress = await deps.inboundAddresses.addressOf(companyId, scope);
  const localPart = inboundAddress.split('@')[0]!;
  if (!(await deps.store.reserveInboundAddress(localPart, companyId, scope))) {
    const owner = await deps.store.findByInboundAddress(localPart);
    // Reserved by this scope already (a first write that stopped half-way, or a concurrent one).
    if (owner?.companyId !== companyId || owner.scope !== scope) throw new AppError('SERVICE_UNAVAILABLE', 'Could not reserve the inbound address; try again');
  }
  const fresh = newScopeSettings(companyId, scope, inboundAddress, deps.now());
  if (await deps.store.create(fresh)) return fresh;
  // Another request created the scope meanwhile: it counted the scope, not this one.
  if (counted) await deps.store.releaseScopeSlot(companyId);
  const winner = await deps.store.get(companyId, scope);
  if (winner) return winner;
  throw new AppError('SERVICE_UNAVAILABLE', 'The scope was changed meanwhile; try again');
}

/** All scopes of a company; `main` is always among them (as never configured when it is not stored). */
export async function listScopeSettings(deps: EmailSettingsDeps, companyId: string): Promise<ScopeSettings[]> {
  const all = await deps.store.list(companyId);
  if (!all.some((settings) => settings.scope === MAIN_SCOPE)) all.unshift(await getScopeSettings(deps, companyId, MAIN_SCOPE));
  return all.sort((a, b) => (a.scope === MAIN_SCOPE ? -1 : b.scope === MAIN_SCOPE ? 1 : a.scope.localeCompare(b.scope)));
}

/**
 * Saves a scope's settings. An SMTP configuration is tested first and replaces the active one
 * only if the test passes; otherwise the previous configuration stays in use.
 */
export async function saveScopeSettings(
  deps: EmailSettingsDeps,
  companyId: string,
  scope: string,
  input: SaveSettingsInput,
): Promise<SaveOutcome> {
  const current = await ensureScopeSettings(deps, companyId, scope);
  const address = input.address ?? current.address;
  const fallbackToDefault = input.fallbackToDefault ?? current.fallbackToDefault;
  const displayName = input.displayName ?? current.displayName;
  const now = deps.now().toISOString();

  if (input.mode === 'default') {
    const next: ScopeSettings = { ...withoutSmtp(current), address, displayName, fallbackToDefault, updatedAt: now, version: current.version + 1 };
    await deps.store.replace(next, current.version);
    return { saved: true, settings: next, test: null };
  }

  const candidate = await resolveCandidate(deps, current, input.smtp!, address);
  // The tester redacts too; this keeps the guarantee whatever tester is plugged in.
  const test = redactDeep(
    await deps.testSmtp(candidate, { beforeConnect: (destination) => enforceTestRate(deps, companyId, destination) }),
    secretForms(candidate.username, candidate.password),
  );
  if (!test.ok) return { saved: false, settings: current, test };

  const passwordCiphertext = candidate.password ? await deps.cipher.encrypt(candidate.password, secretContext(companyId, scope)) : null;
  const smtp: StoredSmtp = {
    host: candidate.host,
    port: candidate.port,
    security: candidate.security,
    username: candidate.username ?? null,
    fromAddress: candidate.fromAddress,
    fromName: candidate.fromName ?? null,
    passwordCiphertext,
    auth: 'password',
    oauth: null,
    revision: (current.smtp?.revision ?? 0) + 1,
    limits: limitsToStore(input.smtp!.limits, candidate, current.smtp, test.transcript.join('\n')),
    sizeLimit: test.sizeLimit,
  };
  return saveVerifiedSmtp(deps, current, smtp, test, now, { address, displayName, fallbackToDefault });
}

/** Stores SMTP settings that just passed their test: the scope sends through them from now on. */
export async function saveVerifiedSmtp(
  deps: Pick<EmailSettingsDeps, 'store'>,
  current: ScopeSettings,
  smtp: StoredSmtp,
  test: SmtpTestResult,
  now: string,
  changes: Partial<Pick<ScopeSettings, 'address' | 'displayName' | 'fallbackToDefault'>> = {},
): Promise<SaveOutcome> {
  const next: ScopeSettings = {
    ...current,
    ...changes,
    mode: 'smtp',
    smtp,
    status: 'verified',
    lastTest: lastTestOf(test, now),
    failure: null,
    circuit: null,
    updatedAt: now,
    version: current.version + 1,
  };
  await deps.store.replace(next, current.version);
  return { saved: true, settings: next, test };
}

/** Back to the default provider: the SMTP configuration and its password are removed. */
export async function deleteScopeSettings(deps: EmailSettingsDeps, companyId: string, scope: string): Promise<ScopeSettings> {
  const current = await getScopeSettings(deps, companyId, scope);
  // Never configured: it sends through the default provider already, and nothing is created.
  if (current.version === 0) return current;
  const next: ScopeSettings = { ...withoutSmtp(current), updatedAt: deps.now().toISOString(), version: current.version + 1 };
  await deps.store.replace(next, current.version);
  return next;
}

/**
 * The "test settings" button: the saved configuration (no `smtp` given) or an unsaved one.
 * A test of the saved configuration records its outcome on the scope.
 */
export async function testScopeSettings(
  deps: EmailSettingsDeps,
  companyId: string,
  scope: string,
  input: { smtp?: SmtpSettingsInput; sendTestMessage?: { to?: string } },
): Promise<SmtpTestResult> {
  const current = await getScopeSettings(deps, companyId, scope);
  let settings: SmtpServerSettings;
  if (input.smtp) {
    settings = await resolveCandidate(deps, current, input.smtp, current.address);
  } else {
    if (!current.smtp) {
      throw new AppError('VALIDATION_FAILED', 'This scope has no saved SMTP settings; send the settings to try in `smtp`', [
        { path: 'smtp', message: 'is required: nothing is saved for this scope' },
      ]);
    }
    settings = await decryptSaved(deps, current);
  }
  const sendTestMessage = input.sendTestMessage ? { to: input.sendTestMessage.to ?? settings.fromAddress } : undefined;
  const identity = settings.oauth;
  const tokens = deps.oauthTokens;
  // Saved OAuth2 settings: the test really refreshes (or runs the client-credentials grant).
  const oauth: OAuthTestCredentials | undefined =
    identity && tokens
      ? { provider: identity.provider, flow: identity.flow, obtain: async () => ({ user: identity.account, accessToken: await tokens.accessTokenFor(identity, { forceRefresh: true }) }) }
      : undefined;
  const test = redactDeep(
    await deps.testSmtp(settings, { sendTestMessage, oauth, beforeConnect: (destination) => enforceTestRate(deps, companyId, destination) }),
    secretForms(settings.username, settings.password),
  );

  if (!input.smtp && current.smtp) {
    const now = deps.now().toISOString();
    // A refresh during the test may have stored a rotated refresh token: build on that record.
    const latest = identity ? ((await deps.store.get(companyId, scope)) ?? current) : current;
    if (latest.smtp?.revision !== current.smtp.revision) return test;
    const next: ScopeSettings = {
      ...latest,
      // "Slow down" and quota answers say nothing about the configuration.
      status: test.ok ? 'verified' : keepsStatus(test.code) ? latest.status : 'failing',
      smtp: test.sizeLimit !== null ? { ...latest.smtp!, sizeLimit: test.sizeLimit } : latest.smtp,
      lastTest: lastTestOf(test, now),
      failure: test.ok ? null : latest.failure,
      // A passing test of the saved settings closes their circuit breaker too.
      circuit: test.ok ? null : latest.circuit,
      updatedAt: now,
      version: latest.version + 1,
    };
    // A concurrent save wins: its own test result is the newer truth.
    await deps.store.replace(next, latest.version).catch((error: unknown) => {
      if (!(error instanceof AppError && error.code === 'CONFLICT')) throw error;
    });
  }
  return test;
}

/** The active SMTP settings of a scope with the password decrypted, for sending. */
export async function decryptSaved(deps: Pick<EmailSettingsDeps, 'cipher'>, settings: ScopeSettings): Promise<SmtpServerSettings> {
  const smtp = settings.smtp!;
  if (smtp.auth === 'oauth2' && smtp.oauth) {
    // The token is fetched by whoever connects (send-with-oauth, the test): nothing to decrypt here.
    const { provider, flow, account, tenantId, refreshTokenCiphertext, tokenVersion, inbound } = smtp.oauth;
    return {
      host: smtp.host,
      port: smtp.port,
      security: smtp.security,
      username: account,
      fromAddress: smtp.fromAddress,
      fromName: smtp.fromName ?? undefined,
      limits: effectiveLimits(smtp),
      auth: 'oauth2',
      oauth: { companyId: settings.companyId, scope: settings.scope, revision: smtp.revision, provider, flow, account, tenantId, refreshTokenCiphertext, tokenVersion, inbound: inbound === true },
    };
  }
  const password = smtp.passwordCiphertext
    ? await deps.cipher.decrypt(smtp.passwordCiphertext, secretContext(settings.companyId, settings.scope))
    : undefined;
  return {
    host: smtp.host,
    port: smtp.port,
    security: smtp.security,
    username: smtp.username ?? undefined,
    password,
    fromAddress: smtp.fromAddress,
    fromName: smtp.fromName ?? undefined,
    limits: effectiveLimits(smtp),
  };
}

/**
 * Completes submitted settings: the from address defaults to the scope address, and a missing
 * password means the stored one, but only for the same host and username and over TLS
 * (stored-password-reuse.ts), so that a stored password can never be replayed against another
 * server or read off the wire.
 */
async function resolveCandidate(
  deps: EmailSettingsDeps,
  current: ScopeSettings,
  input: SmtpSettingsInput,
  address: string | null,
): Promise<SmtpServerSettings> {
  const fromAddress = input.fromAddress ?? address ?? current.smtp?.fromAddress;
  if (!fromAddress) {
    throw new AppError('VALIDATION_FAILED', 'A from address is needed', [
      { path: 'smtp.fromAddress', message: 'is required when the scope has no address' },
    ]);
  }
  const username = input.username?.trim() ? input.username.trim() : undefined;
  let password = input.password === '' ? undefined : input.password;
  if (password === undefined && username) {
    const refusal = storedPasswordReuseRefusal(current.smtp, { host: input.host, username, security: input.security });
    if (refusal) throw new AppError('VALIDATION_FAILED', refusal.message, [{ path: 'smtp.password', message: refusal.detail }]);
    password = (await decryptSaved(deps, current)).password;
  }
  return { host: input.host.trim(), port: input.port, security: input.security, username, password, fromAddress, fromName: input.fromName };
}

/**
 * The limits that keep the button from being a port scanner, per company and minute: tests
 * that connect at all (`testsPerMinute`), and distinct destinations among them
 * (`destinationsPerMinute`), since scanning means many destinations while an admin tries the
 * same server again and again. Tests refused before connecting count for neither.
 */
export async function enforceTestRate(deps: Pick<EmailSettingsDeps, 'rateLimiter' | 'testsPerMinute' | 'destinationsPerMinute'>, companyId: string, destination: { address: string; port: number }): Promise<void> {
  const limited = (what: string, retryAfterSeconds: number) =>
    new AppError('RATE_LIMITED', `At most ${what} a minute per company; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
  const tests = await deps.rateLimiter.consume(`smtp-test#${companyId}`, deps.testsPerMinute, 60);
  if (!tests.allowed) throw limited(`${deps.testsPerMinute} SMTP tests`, tests.retryAfterSeconds);
  // A one-hit bucket per destination: allowed only the first time this minute, i.e. a new one.
  const firstTime = await deps.rateLimiter.consume(`smtp-test-seen#${companyId}#${destination.address}#${destination.port}`, 1, 60);
  if (!firstTime.allowed) return;
  const destinations = await deps.rateLimiter.consume(`smtp-test-destinations#${companyId}`, deps.destinationsPerMinute, 60);
  if (!destinations.allowed) throw limited(`${deps.destinationsPerMinute} different servers tested`, destinations.retryAfterSeconds);
}

function withoutSmtp(settings: ScopeSettings): ScopeSettings {
  return { ...settings, mode: 'default', smtp: null, status: 'unverified', lastTest: null, failure: null, circuit: null };
}

function lastTestOf(test: SmtpTestResult, at: string) {
  return { at, ok: test.ok, stage: test.stage, code: test.code, message: test.message };
}

export function newScopeSettings(companyId: string, scope: string, inboundAddress: string, now: Date): ScopeSettings {
  return {
    companyId,
    scope,
    address: null,
    displayName: null,
    mode: 'default',
    smtp: null,
    fallbackToDefault: true,
    status: 'unverified',
    lastTest: null,
    failure: null,
    inboundAddress,
    redirect: { status: 'unverified', token: null, sentAt: null, verifiedAt: null, hint: null },
    createdAt: now.toISOString(),
    updatedAt: null,
    version: 1,
  };
}
