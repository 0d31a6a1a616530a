/**
 * How inbound mail reaches a scope (DESIGN capability 12), apart from the sending settings:
 * `forward` (capability 4) or `imap`. An IMAP mailbox is tested before it is saved, exactly like
 * SMTP settings: the previous inbound mode stays active when the test fails. The password is
 * write-only (encrypted, purpose `imap-password`; a missing one keeps the stored one for the
 * same host and user); `oauth2` logs in with the scope's OAuth2 connection of capability 7.
 */
import { enforceTestRate, ensureScopeSettings, getScopeSettings, type EmailSettingsDeps } from '../email-settings/email-settings-service';
import type { ScopeSettings } from '../email-settings/model';
import { storedPasswordReuseRefusal } from '../email-settings/stored-password-reuse';
import { AppError } from '../errors';
import type { OAuthSettings } from '../oauth/oauth-config';
import { redactDeep, secretForms } from '../smtp/redact-secrets';
import type { OAuthTestCredentials } from '../smtp/test-smtp-settings';
import type { SmtpSecurity } from '../smtp/types';
import { imapSecretContext, savedImapSettings, scopeOAuthLogin } from './imap-login';
import type { InboundMailboxStore } from './mailbox-store';
import { DEFAULT_BACKFILL_DAYS, DEFAULT_FOLDER, type ImapAuth, type ImapServerSettings, type StoredImap } from './model';
import type { ImapTestResult } from './test-imap-settings';

export interface ImapSettingsInput {
  host?: string;
  port?: number;
  security?: SmtpSecurity;
  username?: string;
  password?: string;
  auth: ImapAuth;
  folder?: string;
  backfillDays?: number;
}

export type SaveInboundInput = { mode: 'forward' } | { mode: 'imap'; imap: ImapSettingsInput };

export type ImapTester = (
  settings: ImapServerSettings,
  options: { beforeConnect?: (destination: { address: string; port: number }) => Promise<void>; oauth?: OAuthTestCredentials },
) => Promise<ImapTestResult>;

export interface InboundSettingsDeps
  extends Pick<
    EmailSettingsDeps,
    'store' | 'cipher' | 'rateLimiter' | 'inboundDomain' | 'inboundAddresses' | 'maxScopesPerCompany' | 'testsPerMinute' | 'destinationsPerMinute' | 'oauthTokens' | 'now'
  > {
  testImap: ImapTester;
  mailboxes: InboundMailboxStore;
  /** The operator's OAuth clients: their IMAP servers are the defaults for `oauth2`. */
  oauth?: OAuthSettings;
}

export type SaveInboundOutcome =
  | { saved: true; settings: ScopeSettings; test: ImapTestResult | null }
  | { saved: false; settings: ScopeSettings; test: ImapTestResult };

/** A candidate mailbox, complete, with how to log in to it. */
interface Candidate {
  server: ImapServerSettings;
  oauth?: OAuthTestCredentials;
  backfillDays: number;
}

export async function saveInboundSettings(deps: InboundSettingsDeps, companyId: string, scope: string, input: SaveInboundInput): Promise<SaveInboundOutcome> {
  // A write: the scope's settings exist (and its inbound address is reserved) from here on.
  const current = await ensureScopeSettings(deps, companyId, scope);
  const now = deps.now().toISOString();
  if (input.mode === 'forward') {
    const next: ScopeSettings = { ...current, inbound: { mode: 'forward', imap: null, updatedAt: now }, inboundPoll: null, updatedAt: now, version: current.version + 1 };
    await deps.store.replace(next, current.version);
    await deps.mailboxes.unregister({ companyId, scope });
    return { saved: true, settings: next, test: null };
  }

  const candidate = await resolveCandidate(deps, current, input.imap);
  const test = await runTest(deps, companyId, candidate);
  if (!test.ok) return { saved: false, settings: current, test };

  const { server } = candidate;
  const imap: StoredImap = {
    host: server.host,
    port: server.port,
    security: server.security,
    username: server.username,
    auth: server.auth,
    passwordCiphertext: server.auth === 'password' && server.password ? await deps.cipher.encrypt(server.password, imapSecretContext(companyId, scope)) : null,
    folder: server.folder,
    backfillDays: candidate.backfillDays,
    revision: (current.inbound?.imap?.revision ?? 0) + 1,
  };
  // A token refresh during the test may have stored a rotated refresh token: build on that record.
  const latest = (await deps.store.get(companyId, scope)) ?? current;
  if (JSON.stringify(latest.inbound ?? null) !== JSON.stringify(current.inbound ?? null)) {
    throw new AppError('CONFLICT', 'The inbound settings were changed by another request meanwhile; reload and try again');
  }
  // Listed before it is saved: the poller drops an entry whose scope turns out not to be IMAP.
  await deps.mailboxes.register({ companyId, scope });
  const next: ScopeSettings = {
    ...latest,
    inbound: { mode: 'imap', imap, updatedAt: now },
    inboundPoll: { revision: imap.revision, lastPollAt: null, status: 'active', failure: null },
    updatedAt: now,
    version: latest.version + 1,
  };
  await deps.store.replace(next, latest.version);
  return { saved: true, settings: next, test };
}

/** The inbound test: the saved mailbox (no `imap`) or an unsaved one. A test of the saved one updates its status. */
export async function testInboundSettings(deps: InboundSettingsDeps, companyId: string, scope: string, input: { imap?: ImapSettingsInput }): Promise<ImapTestResult> {
  const current = await getScopeSettings(deps, companyId, scope);
  if (input.imap) return runTest(deps, companyId, await resolveCandidate(deps, current, input.imap));
  const saved = current.inbound?.mode === 'imap' ? current.inbound.imap : null;
  if (!saved) {
    throw new AppError('VALIDATION_FAILED', 'This scope reads no mailbox; send the mailbox to try in `imap`', [
      { path: 'imap', message: 'is required: no IMAP mailbox is saved for this scope' },
    ]);
  }
  const server = await savedImapSettings(deps, current, saved);
  const oauth = saved.auth === 'oauth2' ? ((await scopeOAuthLogin(deps, current)) ?? undefined) : undefined;
  const test = await runTest(deps, companyId, { server, oauth, backfillDays: saved.backfillDays });
  const lastPollAt = current.inboundPoll?.revision === saved.revision ? current.inboundPoll.lastPollAt : null;
  await deps.mailboxes.recordPoll(
    { companyId, scope },
    {
      revision: saved.revision,
      lastPollAt,
      status: test.ok ? 'active' : 'failing',
      failure: test.ok ? null : { at: deps.now().toISOString(), code: test.code, message: test.message, hint: test.hint },
    },
  );
  return test;
}

async function runTest(deps: InboundSettingsDeps, companyId: string, { server, oauth }: Candidate): Promise<ImapTestResult> {
  const test = await deps.testImap(server, { oauth, beforeConnect: (destination) => enforceTestRate(deps, companyId, destination) });
  // The tester redacts too; this keeps the guarantee whatever tester is plugged in.
  return redactDeep(test, secretForms(server.username, server.password));
}

/**
 * Completes a submitted mailbox: folder and backfill defaults; for `oauth2` the scope's OAuth2
 * connection (its account is the login) and the provider's IMAP server unless given; for
 * `password` a missing password means the stored one, for the same host and user over TLS only.
 */
async function resolveCandidate(deps: InboundSettingsDeps, current: ScopeSettings, input: ImapSettingsInput): Promise<Candidate> {
  const folder = input.folder?.trim() || DEFAULT_FOLDER;
  const backfillDays = input.backfillDays ?? DEFAULT_BACKFILL_DAYS;
  if (input.auth === 'oauth2') {
    const connection = current.smtp?.auth === 'oauth2' ? current.smtp.oauth : null;
    const oauth = connection ? await scopeOAuthLogin(deps, current) : null;
    if (!connection || !oauth) {
      throw new AppError('VALIDATION_FAILED', 'This scope has no OAuth2 connection: connect the mailbox first', [
        { path: 'imap.auth', message: 'needs the scope\'s OAuth2 connection: POST /v1/email-settings/{scope}/oauth/{provider}/start with "inbound": true, then …/complete' },
      ]);
    }
    const preset = deps.oauth?.clients[connection.provider]?.imap;
    const host = input.host?.trim() || preset?.host;
    const port = input.port ?? preset?.port;
    const security = input.security ?? preset?.security;
    if (!host || !port || !security) {
      throw new AppError('VALIDATION_FAILED', 'The IMAP server is needed', [{ path: 'imap.host', message: 'is required: the provider is not configured on this service' }]);
    }
    return { server: { host, port, security, username: connection.account, auth: 'oauth2', folder }, oauth, backfillDays };
  }
  const missing = (['host', 'port', 'security', 'username'] as const).filter((field) => input[field] === undefined || input[field] === '');
  if (missing.length > 0) {
    throw new AppError('VALIDATION_FAILED', 'The IMAP server and login are needed', missing.map((field) => ({ path: `imap.${field}`, message: 'is required when auth is "password"' })));
  }
  const host = input.host!.trim();
  const username = input.username!.trim();
  let password = input.password === '' ? undefined : input.password;
  if (password === undefined) {
    const saved = current.inbound?.imap?.auth === 'password' ? current.inbound.imap : null;
    const refusal = storedPasswordReuseRefusal(saved, { host, username, security: input.security! });
    if (refusal) throw new AppError('VALIDATION_FAILED', refusal.message, [{ path: 'imap.password', message: refusal.detail }]);
    password = (await savedImapSettings(deps, current, saved!)).password;
  }
  return { server: { host, port: input.port!, security: input.security!, username, auth: 'password', password, folder }, backfillDays };
}
