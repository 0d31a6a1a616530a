/**
 * The OAuth2 client pieces: configuration from the environment, the providers' error JSON,
 * the id_token checks, the connect use case's refusals (in-memory fakes), and the probe's
 * XOAUTH2 against smtp-server answering like Google (334 + JSON, then 535).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { accountFromIdToken, providerError } from '../../shared/oauth/oauth-client';
import { oauthEnvConfig } from '../../shared/config/concerns';
import { oauthSettingsFromEnv } from '../../shared/oauth/oauth-config';
import { startOAuthConnect, type OAuthConnectDeps } from '../../shared/email-settings/connect-oauth-mailbox';
import { AppError } from '../../shared/errors';
import { testSmtpSettings } from '../../shared/smtp/test-smtp-settings';
import { makeCertificate, testPolicy } from '../support/smtp-helpers';
import { startMailServer, type MailServer } from '../support/mail-servers';

/** The OAuth settings of exactly these variables (nothing from this process's environment). */
const settingsFrom = (env: Record<string, string>) => oauthSettingsFromEnv(undefined, oauthEnvConfig(env));

describe('OAuth configuration from the environment', () => {
  it('without client ids no provider is configured, and the defaults are the providers\' own', () => {
    const settings = settingsFrom({});
    assert.deepEqual(settings.clients, {});
    assert.deepEqual(settings.redirectUris, []);
    const ms = settingsFrom({ OAUTH_MICROSOFT_CLIENT_ID: 'id', OAUTH_MICROSOFT_CLIENT_SECRET: 's' }).clients.microsoft!;
    assert.equal(ms.authorizeUrl('common'), 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize');
    assert.equal(ms.tokenUrl('contoso.onmicrosoft.com'), 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token');
    assert.equal(ms.adminConsentUrl('t1'), 'https://login.microsoftonline.com/t1/v2.0/adminconsent');
    assert.deepEqual(ms.smtp, { host: 'smtp.office365.com', port: 587, security: 'starttls' });
    const google = settingsFrom({ OAUTH_GOOGLE_CLIENT_ID: 'id', OAUTH_GOOGLE_CLIENT_SECRET: 's' }).clients.google!;
    assert.equal(google.authorizeUrl(''), 'https://accounts.google.com/o/oauth2/v2/auth');
    assert.equal(google.tokenUrl(''), 'https://oauth2.googleapis.com/token');
    assert.deepEqual(google.smtp, { host: 'smtp.gmail.com', port: 465, security: 'ssl' });
    assert.ok(google.issuerMatches('https://accounts.google.com', undefined));
    assert.ok(google.issuerMatches('accounts.google.com', undefined));
  });

  it('refuses plain http off loopback at start-up, naming the variable; allows it on loopback', () => {
    assert.throws(() => settingsFrom({ OAUTH_MICROSOFT_AUTHORITY: 'http://login.example.com' }), /OAUTH_MICROSOFT_AUTHORITY must use https/);
    assert.throws(() => settingsFrom({ OAUTH_GOOGLE_TOKEN_URL: 'http://10.0.0.5/token' }), /OAUTH_GOOGLE_TOKEN_URL must use https/);
    assert.throws(() => settingsFrom({ OAUTH_GOOGLE_SMTP: 'smtp.gmail.com:465' }), /OAUTH_GOOGLE_SMTP must look like host:port:security/);
    const local = settingsFrom({ OAUTH_MICROSOFT_AUTHORITY: 'http://127.0.0.1:4000/', OAUTH_MICROSOFT_CLIENT_ID: 'id', OAUTH_MICROSOFT_CLIENT_SECRET: 's' });
    assert.equal(local.clients.microsoft!.tokenUrl('common'), 'http://127.0.0.1:4000/common/oauth2/v2.0/token');
  });
});

describe('provider errors', () => {
  it("Microsoft's JSON: error, first line of error_description, AADSTS number", () => {
    const revoked = providerError('microsoft', 400, {
      error: 'invalid_grant',
      error_description: 'AADSTS700082: The refresh token has expired due to inactivity.\r\nTrace ID: abc\r\nCorrelation ID: def',
      error_codes: [700082],
    });
    assert.equal(revoked.code, 'OAUTH_REAUTHORIZE_REQUIRED');
    assert.equal(revoked.aadsts, 700082);
    assert.equal(revoked.providerResponse, 'invalid_grant: AADSTS700082: The refresh token has expired due to inactivity.');
    const consent = providerError('microsoft', 400, { error: 'invalid_grant', error_description: 'AADSTS65001: The user or administrator has not consented', error_codes: [65001] });
    assert.equal(consent.code, 'OAUTH_CONSENT_REQUIRED');
    const approval = providerError('microsoft', 400, { error: 'access_denied', error_description: 'AADSTS90094: Need admin approval' });
    assert.equal(approval.code, 'OAUTH_CONSENT_REQUIRED');
    const secret = providerError('microsoft', 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.', error_codes: [7000215] });
    assert.equal(secret.code, 'OAUTH_NOT_CONFIGURED');
    assert.equal(providerError('microsoft', 503, null).code, 'TEMPORARY_FAILURE');
    assert.equal(providerError('microsoft', 503, null).temporary, true);
  });

  it("Google's JSON", () => {
    const revoked = providerError('google', 400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
    assert.equal(revoked.code, 'OAUTH_REAUTHORIZE_REQUIRED');
    assert.equal(revoked.providerResponse, 'invalid_grant: Token has been expired or revoked.');
    assert.equal(providerError('google', 400, { error: 'admin_policy_enforced' }).code, 'OAUTH_CONSENT_REQUIRED');
    assert.equal(providerError('google', 400, { error: 'something_new' }).code, 'UNKNOWN');
  });
});

describe('the id_token', () => {
  const key = new Uint8Array(32);
  const client = settingsFrom({ OAUTH_MICROSOFT_CLIENT_ID: 'client-1', OAUTH_MICROSOFT_CLIENT_SECRET: 's' }).clients.microsoft!;
  const sign = (claims: Record<string, unknown>, issuer = 'https://login.microsoftonline.com/tid-1/v2.0', audience = 'client-1') =>
    new SignJWT({ tid: 'tid-1', ...claims }).setProtectedHeader({ alg: 'HS256' }).setIssuer(issuer).setAudience(audience).setExpirationTime('1h').sign(key);
  const now = new Date();

  it('takes email, else preferred_username, and the tenant', async () => {
    assert.deepEqual(accountFromIdToken(client, await sign({ nonce: 'n1', preferred_username: 'jobs@contoso.com' }), { nonce: 'n1', now }), {
      account: 'jobs@contoso.com',
      tenantId: 'tid-1',
    });
    assert.equal(accountFromIdToken(client, await sign({ nonce: 'n1', email: 'a@b.com', preferred_username: 'x@y.com' }), { nonce: 'n1', now }).account, 'a@b.com');
  });

  it('refuses another issuer, audience or nonce, and a token without a mailbox', async () => {
    await assert.rejects(async () => accountFromIdToken(client, await sign({ nonce: 'n1', email: 'a@b.com' }, 'https://evil.example/tid-1/v2.0'), { nonce: 'n1', now }), /another issuer/);
    await assert.rejects(async () => accountFromIdToken(client, await sign({ nonce: 'n1', email: 'a@b.com' }, undefined, 'other'), { nonce: 'n1', now }), /another client/);
    await assert.rejects(async () => accountFromIdToken(client, await sign({ nonce: 'n2', email: 'a@b.com' }), { nonce: 'n1', now }), /nonce/);
    await assert.rejects(async () => accountFromIdToken(client, await sign({ nonce: 'n1' }), { nonce: 'n1', now }), /names no mailbox/);
  });
});

describe('starting a connection', () => {
  it('answers OAUTH_NOT_CONFIGURED (409) when the operator has no client for the provider', async () => {
    const deps = { oauth: { clients: {}, redirectUris: ['https://app.example.com/cb'] } } as unknown as OAuthConnectDeps;
    await assert.rejects(
      () => startOAuthConnect(deps, 'acme', 'main', 'google', { redirectUri: 'https://app.example.com/cb' }),
      (error: unknown) => error instanceof AppError && error.code === 'OAUTH_NOT_CONFIGURED' && error.status === 409,
    );
  });
});

describe('the probe over XOAUTH2 against a server that answers like Google', () => {
  let server: MailServer;
  const tls = makeCertificate();
  before(async () => {
    server = await startMailServer({ security: 'ssl', tls, users: {}, xoauth2: { verify: (_user, token) => token === 'good-token', refuseLike: 'google' } });
  });
  after(() => server.close());

  const settings = () => ({ host: '127.0.0.1', port: server.port, security: 'ssl' as const, fromAddress: '' });
  const options = (accessToken: string) => ({
    policy: testPolicy,
    egressIps: [],
    tlsCa: tls.cert,
    oauth: { provider: 'google' as const, flow: 'delegated' as const, obtain: async () => ({ user: 'jobs@gmail.test', accessToken }) },
  });

  it('passes with a valid token, the blob redacted', async () => {
    const result = await testSmtpSettings(settings(), options('good-token'));
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.ok(!JSON.stringify(result).includes('good-token'));
  });

  it('a refused token: 334 with the JSON reason, an empty line, then 535; code AUTH_FAILED with a Google hint', async () => {
    const token = 'refused-token-xyz';
    const result = await testSmtpSettings(settings(), options(token));
    assert.equal(result.ok, false);
    assert.equal(result.stage, 'auth');
    assert.equal(result.code, 'AUTH_FAILED');
    assert.match(result.smtpResponse ?? '', /^535/);
    assert.ok(result.transcript.some((line) => line.includes('"scope":"https://mail.google.com/"')), result.transcript.join('\n'));
    assert.match(result.hint ?? '', /Google Workspace administrator/);
    const blob = Buffer.from(`user=jobs@gmail.test\x01auth=Bearer ${token}\x01\x01`).toString('base64');
    assert.ok(!JSON.stringify(result).includes(token));
    assert.ok(!JSON.stringify(result).includes(blob));
  });

  it('a token endpoint failure ends the test at stage oauth with the provider\'s words', async () => {
    const failing = {
      ...options('unused'),
      oauth: {
        provider: 'google' as const,
        flow: 'delegated' as const,
        obtain: async () => {
          throw providerError('google', 400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
        },
      },
    };
    const connectionsBefore = server.connections();
    const result = await testSmtpSettings(settings(), failing);
    assert.equal(result.stage, 'oauth');
    assert.equal(result.code, 'OAUTH_REAUTHORIZE_REQUIRED');
    assert.equal(result.smtpResponse, 'invalid_grant: Token has been expired or revoked.');
    assert.equal(server.connections(), connectionsBefore, 'no connection to the mail server without a token');
  });
});
