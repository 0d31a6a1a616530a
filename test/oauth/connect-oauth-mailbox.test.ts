/**
 * The OAuth connect use case and the OAuth send wrapper with in-memory fakes: what is stored
 * for a state, expiry, flow mismatches, and the one refresh-and-retry of a refused token.
 */
import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { completeOAuthConnect, startOAuthConnect, type OAuthConnectDeps } from '../../shared/email-settings/connect-oauth-mailbox';
import { AppError } from '../../shared/errors';
import { OAuthError } from '../../shared/oauth/oauth-client';
import type { ProviderClient } from '../../shared/oauth/oauth-config';
import { sendWithOAuth } from '../../shared/oauth/send-with-oauth';
import { SmtpSendError } from '../../shared/smtp/smtp-port';
import type { OAuthIdentity, SmtpServerSettings } from '../../shared/smtp/types';
import { FakeSecretCipher } from '../support/fake-secret-cipher';
import { MemoryOAuthStateStore } from '../support/memory-oauth-state-store';
import { MemoryRateLimiter } from '../support/memory-rate-limiter';
import { MemorySettingsStore } from '../support/memory-settings-store';
import { testInboundAddresses } from '../support/inbound-addresses';

const REDIRECT = 'https://app.example.com/oauth/callback';

function microsoftClient(): ProviderClient {
  return {
    provider: 'microsoft',
    clientId: 'client-1',
    clientSecret: async () => 'secret',
    authorizeUrl: (tenant) => `https://login.example.com/${tenant}/oauth2/v2.0/authorize`,
    tokenUrl: (tenant) => `https://login.example.com/${tenant}/oauth2/v2.0/token`,
    adminConsentUrl: (tenant) => `https://login.example.com/${tenant}/v2.0/adminconsent`,
    issuerMatches: () => true,
    smtp: { host: 'smtp.office365.com', port: 587, security: 'starttls' },
    imap: { host: 'outlook.office365.com', port: 993, security: 'ssl' },
  };
}

function setup() {
  let clock = new Date('2026-12-01T09:00:00Z');
  const states = new MemoryOAuthStateStore();
  const cipher = new FakeSecretCipher();
  const tests: SmtpServerSettings[] = [];
  const deps: OAuthConnectDeps = {
    store: new MemorySettingsStore(),
    cipher,
    testSmtp: async (settings) => {
      tests.push(settings);
      throw new Error('no test expected');
    },
    rateLimiter: new MemoryRateLimiter(() => clock),
    inboundDomain: 'inbound.example.com',
    inboundAddresses: testInboundAddresses('inbound.example.com'),
    maxScopesPerCompany: 100,
    testsPerMinute: 10,
    destinationsPerMinute: 10,
    now: () => clock,
    oauth: { clients: { microsoft: microsoftClient() }, redirectUris: [REDIRECT] },
    oauthStates: states,
  };
  return { deps, states, cipher, tests, advance: (ms: number) => (clock = new Date(clock.getTime() + ms)) };
}

const invalidState = (error: unknown) => error instanceof AppError && error.code === 'VALIDATION_FAILED' && (error.details as Array<{ path: string }>)[0]!.path === 'state';

describe('starting an OAuth connection', () => {
  it('stores a single-use state bound to company, scope, provider, redirect URI and flow, with the PKCE verifier encrypted', async () => {
    const { deps, states, cipher } = setup();
    const started = await startOAuthConnect(deps, 'acme', 'main', 'microsoft', { redirectUri: REDIRECT, loginHint: 'jobs@acme.com' });
    const record = states.records.get(started.state)!;
    assert.equal(record.companyId, 'acme');
    assert.equal(record.scope, 'main');
    assert.equal(record.provider, 'microsoft');
    assert.equal(record.flow, 'delegated');
    assert.equal(record.redirectUri, REDIRECT);
    assert.equal(started.expiresAt, '2026-12-01T09:10:00.000Z');
    const url = new URL(started.authorizationUrl);
    assert.equal(url.pathname, '/common/oauth2/v2.0/authorize');
    assert.equal(url.searchParams.get('scope'), 'openid email offline_access https://outlook.office.com/SMTP.Send');
    assert.equal(url.searchParams.get('nonce'), record.nonce);
    assert.equal(url.searchParams.get('login_hint'), 'jobs@acme.com');
    const verifier = cipher.encryptCalls.find((call) => call.context.purpose === 'oauth-pkce')!.plaintext;
    assert.ok(!record.codeVerifierCiphertext!.includes(verifier));
    assert.equal(url.searchParams.get('code_challenge'), (await import('node:crypto')).createHash('sha256').update(verifier).digest('base64url'));
  });

  it('the app flow answers the admin-consent URL of the tenant and keeps the mailbox', async () => {
    const { deps, states } = setup();
    const started = await startOAuthConnect(deps, 'acme', 'main', 'microsoft', { redirectUri: REDIRECT, flow: 'app', tenantId: 'contoso.onmicrosoft.com', mailbox: 'jobs@contoso.com' });
    const url = new URL(started.authorizationUrl);
    assert.equal(url.pathname, '/contoso.onmicrosoft.com/v2.0/adminconsent');
    assert.equal(url.searchParams.get('scope'), 'https://outlook.office365.com/.default');
    assert.equal(states.records.get(started.state)!.mailbox, 'jobs@contoso.com');
    assert.equal(states.records.get(started.state)!.codeVerifierCiphertext, null);
  });
});

describe('completing an OAuth connection', () => {
  it('refuses a state older than 10 minutes, and it is used up', async () => {
    const { deps, advance, tests } = setup();
    const { state } = await startOAuthConnect(deps, 'acme', 'main', 'microsoft', { redirectUri: REDIRECT });
    advance(10 * 60_000 + 1000);
    await assert.rejects(() => completeOAuthConnect(deps, 'acme', 'main', 'microsoft', { code: 'c', state }), (error: unknown) => invalidState(error) && /expired/.test((error as Error).message));
    await assert.rejects(() => completeOAuthConnect(deps, 'acme', 'main', 'microsoft', { code: 'c', state }), invalidState);
    assert.equal(tests.length, 0);
  });

  it('refuses a code for an app-flow state, admin consent for a delegated one, and consent from another tenant', async () => {
    const { deps } = setup();
    const app = await startOAuthConnect(deps, 'acme', 'main', 'microsoft', { redirectUri: REDIRECT, flow: 'app', tenantId: 'tenant-a', mailbox: 'jobs@acme.com' });
    await assert.rejects(() => completeOAuthConnect(deps, 'acme', 'main', 'microsoft', { code: 'c', state: app.state }), invalidState);
    const delegated = await startOAuthConnect(deps, 'acme', 'main', 'microsoft', { redirectUri: REDIRECT });
    await assert.rejects(() => completeOAuthConnect(deps, 'acme', 'main', 'microsoft', { state: delegated.state, tenant: 'x', adminConsent: true }), invalidState);
    const other = await startOAuthConnect(deps, 'acme', 'main', 'microsoft', { redirectUri: REDIRECT, flow: 'app', tenantId: 'tenant-a', mailbox: 'jobs@acme.com' });
    await assert.rejects(
      () => completeOAuthConnect(deps, 'acme', 'main', 'microsoft', { state: other.state, tenant: 'tenant-b', adminConsent: true }),
      (error: unknown) => invalidState(error) && /another tenant/.test((error as Error).message),
    );
  });
});

describe('sending with OAuth', () => {
  const identity: OAuthIdentity = {
    companyId: 'acme', scope: 'main', revision: 3, provider: 'microsoft', flow: 'delegated', account: 'jobs@acme.com', tenantId: 't', refreshTokenCiphertext: 'x', tokenVersion: 1,
  };
  const settings: SmtpServerSettings = { host: 'smtp.office365.com', port: 587, security: 'starttls', fromAddress: 'jobs@acme.com', auth: 'oauth2', oauth: identity };
  const message = { envelope: { from: 'jobs@acme.com', to: ['a@b.com'] }, raw: 'x' };
  const refused = () =>
    new SmtpSendError({ code: 'AUTH_FAILED', stage: 'auth', message: 'refused', hint: 'h', smtpResponse: '535 5.7.3 Authentication unsuccessful', dataSent: false, temporary: false });

  it('a refused token is refreshed once and the send retried with the new one', async () => {
    const asked: boolean[] = [];
    const used: string[] = [];
    const tokens = { accessTokenFor: async (_identity: OAuthIdentity, options?: { forceRefresh?: boolean }) => (asked.push(options?.forceRefresh ?? false), options?.forceRefresh ? 'fresh' : 'cached') };
    const send = sendWithOAuth(tokens, async (given) => {
      used.push(`${given.username}:${given.accessToken}`);
      if (given.accessToken === 'cached') throw refused();
      return { accepted: true, response: '250 ok', acceptedRecipients: ['a@b.com'], rejectedRecipients: [] };
    });
    const result = await send(settings, message);
    assert.equal(result.response, '250 ok');
    assert.deepEqual(asked, [false, true]);
    assert.deepEqual(used, ['jobs@acme.com:cached', 'jobs@acme.com:fresh']);
  });

  it('refused twice: the error carries the OAuth hint; no third try', async () => {
    let sends = 0;
    const send = sendWithOAuth({ accessTokenFor: async () => 'token' }, async () => {
      sends += 1;
      throw refused();
    });
    await assert.rejects(() => send(settings, message), (error: unknown) => error instanceof SmtpSendError && error.code === 'AUTH_FAILED' && /Authenticated SMTP/.test(error.hint));
    assert.equal(sends, 2);
  });

  it('a token endpoint failure is an SmtpSendError of stage oauth, with the provider words as smtpResponse', async () => {
    const send = sendWithOAuth(
      {
        accessTokenFor: async () => {
          throw new OAuthError({ code: 'OAUTH_REAUTHORIZE_REQUIRED', provider: 'microsoft', message: 'expired', providerResponse: 'invalid_grant: AADSTS70000: x' });
        },
      },
      async () => assert.fail('no connection without a token'),
    );
    await assert.rejects(
      () => send(settings, message),
      (error: unknown) =>
        error instanceof SmtpSendError && error.stage === 'oauth' && error.code === 'OAUTH_REAUTHORIZE_REQUIRED' && error.smtpResponse === 'invalid_grant: AADSTS70000: x' && !error.dataSent && !error.temporary,
    );
  });

  it('password settings pass through untouched', async () => {
    const send = sendWithOAuth({ accessTokenFor: async () => assert.fail('no token for a password') }, async (given) => ({
      accepted: true, response: given.password ?? '', acceptedRecipients: [], rejectedRecipients: [],
    }));
    assert.equal((await send({ ...settings, auth: 'password', oauth: undefined, password: 'pw' }, message)).response, 'pw');
  });
});
