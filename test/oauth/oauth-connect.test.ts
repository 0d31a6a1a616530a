/**
 * Issue 9 end to end: connecting a Microsoft or Google mailbox with OAuth2 through the HTTP API
 * of the local backend, against a local authorization server (PKCE, rotating refresh tokens,
 * client credentials, the providers' error JSON) and smtp-server with real TLS verifying
 * XOAUTH2 tokens with it; then candidate mail through the connected mailbox.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalAuthorizationServer, type LocalAuthorizationServer } from '../support/local-authorization-server';
import { startMailServer, trustedCaFixture, type MailServer, type TrustedCaFixture } from '../support/mail-servers';
import { backendLogLevel, startTestBackend, waitForDelivery, type TestBackend } from '../support/test-backend';

const REDIRECT = 'http://localhost:5173/oauth/callback';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const MS = { clientId: 'ms-client-id', clientSecret: 'ms-client-secret-value-123', tenantId: TENANT };
const GOOGLE = { clientId: 'google-client-id.apps.googleusercontent.com', clientSecret: 'GOCSPX-google-secret-456' };

let auth: LocalAuthorizationServer;
let microsoftSmtp: MailServer;
let googleSmtp: MailServer;
let api: TestBackend;
let tls: TrustedCaFixture;

before(async () => {
  tls = trustedCaFixture('e2e-oauth-');
  auth = await startLocalAuthorizationServer({ microsoft: MS, google: GOOGLE, strictRotation: true });
  const verify = (user: string, token: string) => auth.verifyAccessToken(user, token);
  microsoftSmtp = await startMailServer({ security: 'starttls', tls, users: {}, xoauth2: { verify, refuseLike: 'microsoft' } });
  googleSmtp = await startMailServer({ security: 'ssl', tls, users: {}, xoauth2: { verify, refuseLike: 'google' } });
  // At INFO, as the deployed stack logs: the leak checks below read every line it writes.
  api = await startTestBackend({
    LOG_LEVEL: 'INFO',
    SMTP_ALLOWED_PORTS: '*',
    ...tls.backendEnv,
    OAUTH_MICROSOFT_CLIENT_ID: MS.clientId,
    OAUTH_MICROSOFT_CLIENT_SECRET: MS.clientSecret,
    OAUTH_MICROSOFT_AUTHORITY: auth.microsoftAuthority,
    OAUTH_MICROSOFT_SMTP: `127.0.0.1:${microsoftSmtp.port}:starttls`,
    OAUTH_GOOGLE_CLIENT_ID: GOOGLE.clientId,
    OAUTH_GOOGLE_CLIENT_SECRET: GOOGLE.clientSecret,
    OAUTH_GOOGLE_AUTH_URL: auth.googleAuthUrl,
    OAUTH_GOOGLE_TOKEN_URL: auth.googleTokenUrl,
    OAUTH_GOOGLE_SMTP: `127.0.0.1:${googleSmtp.port}:ssl`,
    OAUTH_REDIRECT_URIS: `${REDIRECT},https://app.example.com/oauth`,
  });
});

after(async () => {
  await api?.stop();
  await microsoftSmtp?.close();
  await googleSmtp?.close();
  await auth?.close();
  tls?.remove();
});

/** Plays the browser: follows the authorization URL to the provider and reads where it redirects. */
async function signIn(authorizationUrl: string): Promise<URLSearchParams> {
  const response = await fetch(authorizationUrl, { redirect: 'manual' });
  assert.equal(response.status, 302, await response.text());
  const back = new URL(response.headers.get('location')!);
  assert.equal(`${back.origin}${back.pathname}`, REDIRECT);
  return back.searchParams;
}

async function start(token: string, scope: string, provider: string, body: Record<string, unknown>) {
  return api.request('POST', `/v1/email-settings/${scope}/oauth/${provider}/start`, { token, body });
}

async function connect(token: string, scope: string, provider: 'microsoft' | 'google', loginHint: string) {
  const started = await start(token, scope, provider, { redirectUri: REDIRECT, loginHint });
  assert.equal(started.status, 200, started.text);
  const back = await signIn(started.json.authorizationUrl);
  return api.request('POST', `/v1/email-settings/${scope}/oauth/${provider}/complete`, { token, body: { code: back.get('code'), state: back.get('state') } });
}

async function sendMail(token: string, candidateId: string, address: string, subject: string) {
  const put = await api.request('PUT', `/v1/candidates/${candidateId}`, { token, body: { emails: [address], name: candidateId } });
  assert.equal(put.status, 200, put.text);
  const accepted = await api.request('POST', `/v1/candidates/${candidateId}/messages`, { token, body: { subject, text: 'Hello' } });
  assert.equal(accepted.status, 202, accepted.text);
  return waitForDelivery(api, token, accepted.json.id);
}

describe('the signed-in account and the scope\'s address', () => {
  it('warns in the answer and the settings when the sign-in made another account the From address, and not when it is the address', async () => {
    const token = await api.token('initech');
    const saved = await api.request('PUT', '/v1/email-settings/main', { token, body: { address: 'jobs@initech.test', mode: 'default' } });
    assert.equal(saved.status, 200, saved.text);
    assert.deepEqual(saved.json.warnings, []);

    const other = await connect(token, 'main', 'microsoft', 'lisa@initech.test');
    assert.equal(other.status, 200, other.text);
    assert.equal(other.json.smtp.fromAddress, 'lisa@initech.test');
    assert.equal(other.json.address, 'jobs@initech.test');
    assert.deepEqual(other.json.warnings.map((warning: any) => [warning.severity, warning.code, warning.field]), [['warning', 'FROM_DIFFERS_FROM_ADDRESS', 'address']]);
    assert.match(other.json.warnings[0].message, /signed-in account lisa@initech\.test.*address is jobs@initech\.test/);
    assert.match(other.json.warnings[0].hint, /Sign in again as jobs@initech\.test/);
    const shown = await api.request('GET', '/v1/email-settings/main', { token });
    assert.deepEqual(shown.json.warnings, other.json.warnings, 'the settings keep saying so until it is fixed');

    const same = await connect(token, 'main', 'microsoft', 'jobs@initech.test');
    assert.equal(same.status, 200, same.text);
    assert.equal(same.json.smtp.fromAddress, 'jobs@initech.test');
    assert.deepEqual(same.json.warnings, []);
  });
});

describe('connecting a Google mailbox', () => {
  it('runs authorization code + PKCE, takes the account from the id_token, tests over XOAUTH2 and activates', async () => {
    const token = await api.token('globex');
    const started = await start(token, 'main', 'google', { redirectUri: REDIRECT, loginHint: 'jobs@globex.test' });
    assert.equal(started.status, 200, started.text);
    const url = new URL(started.json.authorizationUrl);
    assert.equal(url.searchParams.get('scope'), 'openid email https://mail.google.com/');
    assert.equal(url.searchParams.get('access_type'), 'offline');
    assert.equal(url.searchParams.get('prompt'), 'consent');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(url.searchParams.get('state'), started.json.state);
    assert.ok(Date.parse(started.json.expiresAt) - Date.now() <= 10 * 60_000);

    const back = await signIn(started.json.authorizationUrl);
    const done = await api.request('POST', '/v1/email-settings/main/oauth/google/complete', { token, body: { code: back.get('code'), state: back.get('state') } });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.json.mode, 'smtp');
    assert.equal(done.json.status, 'verified');
    assert.equal(done.json.smtp.auth, 'oauth2');
    assert.equal(done.json.smtp.port, googleSmtp.port);
    assert.equal(done.json.smtp.security, 'ssl');
    assert.equal(done.json.smtp.fromAddress, 'jobs@globex.test');
    assert.deepEqual({ ...done.json.smtp.oauth, connectedAt: undefined }, {
      provider: 'google', flow: 'delegated', account: 'jobs@globex.test', tenantId: null, connectedAt: undefined, connected: true,
    });
    assert.equal(done.json.test.ok, true);
    assert.ok(done.json.test.transcript.some((line: string) => line === 'C: AUTH XOAUTH2 <redacted>'), done.json.test.transcript.join('\n'));

    // The same state does not answer twice.
    const again = await api.request('POST', '/v1/email-settings/main/oauth/google/complete', { token, body: { code: back.get('code'), state: back.get('state') } });
    assert.equal(again.status, 400, again.text);
    assert.equal(again.json.error.details[0].path, 'state');

    const sent = await sendMail(token, 'g-cand-1', 'ada@candidates.test', 'Google OAuth mail');
    assert.equal(sent.status, 'sent', JSON.stringify(sent));
    assert.equal(sent.provider, 'smtp');
    const mail = googleSmtp.received.find((item) => item.parsed.subject === 'Google OAuth mail');
    assert.equal(mail?.user, 'jobs@globex.test');

    // The test button on the saved settings refreshes (Google does not rotate) and passes.
    const test = await api.request('POST', '/v1/email-settings/main/test', { token, body: {} });
    assert.equal(test.status, 200, test.text);
    assert.equal(test.json.ok, true, test.text);
  });
});

describe('connecting a Microsoft 365 mailbox (delegated)', () => {
  it('sends, refreshes an access token that expired between two sends (rotated refresh token stored), with scope on every refresh', async () => {
    const token = await api.token('contoso');
    const done = await connect(token, 'main', 'microsoft', 'jobs@contoso.test');
    assert.equal(done.status, 200, done.text);
    assert.equal(done.json.smtp.oauth.provider, 'microsoft');
    assert.equal(done.json.smtp.oauth.tenantId, TENANT);
    assert.equal(done.json.smtp.security, 'starttls');

    const first = await sendMail(token, 'ms-cand-1', 'bob@candidates.test', 'Microsoft mail 1');
    assert.equal(first.status, 'sent', JSON.stringify(first));

    auth.expireAccessTokens();
    const second = await sendMail(token, 'ms-cand-2', 'carol@candidates.test', 'Microsoft mail 2');
    assert.equal(second.status, 'sent', JSON.stringify(second));
    assert.equal(second.provider, 'smtp');
    assert.equal(microsoftSmtp.received.filter((mail) => mail.user === 'jobs@contoso.test').length, 2);
    const refreshes = auth.tokenRequests.filter((request) => request.provider === 'microsoft' && request.grantType === 'refresh_token');
    assert.ok(refreshes.length >= 1);
    assert.ok(refreshes.every((request) => request.scope?.includes('https://outlook.office.com/SMTP.Send')));

    // The server used strict rotation: only the newest refresh token works, so this passes only
    // if the rotated one was stored.
    auth.expireAccessTokens();
    const third = await sendMail(token, 'ms-cand-3', 'dan@candidates.test', 'Microsoft mail 3');
    assert.equal(third.status, 'sent', JSON.stringify(third));
    const test = await api.request('POST', '/v1/email-settings/main/test', { token, body: {} });
    assert.equal(test.json.ok, true, test.text);
    const settings = await api.request('GET', '/v1/email-settings/main', { token });
    assert.equal(settings.json.status, 'verified');
    assert.equal(settings.json.lastTest.ok, true);
  });

  it('a revoked refresh token: falls back to the default provider and turns the settings failing (OAUTH_REAUTHORIZE_REQUIRED)', async () => {
    const token = await api.token('fabrikam');
    const done = await connect(token, 'main', 'microsoft', 'jobs@fabrikam.test');
    assert.equal(done.status, 200, done.text);
    auth.revokeAccount('jobs@fabrikam.test');
    auth.expireAccessTokens();

    const sent = await sendMail(token, 'fb-cand-1', 'erin@candidates.test', 'Fabrikam after revocation');
    assert.equal(sent.status, 'sent', JSON.stringify(sent));
    assert.equal(sent.provider, 'default');
    assert.equal(sent.fallbackReason, 'OAUTH_REAUTHORIZE_REQUIRED');
    const settings = await api.request('GET', '/v1/email-settings/main', { token });
    assert.equal(settings.json.status, 'failing');
    assert.equal(settings.json.failure.code, 'OAUTH_REAUTHORIZE_REQUIRED');
    assert.match(settings.json.failure.smtpResponse, /invalid_grant: AADSTS700082/);

    const test = await api.request('POST', '/v1/email-settings/main/test', { token, body: {} });
    assert.equal(test.status, 200);
    assert.equal(test.json.ok, false);
    assert.equal(test.json.stage, 'oauth');
    assert.equal(test.json.code, 'OAUTH_REAUTHORIZE_REQUIRED');
    assert.match(test.json.smtpResponse, /^invalid_grant: AADSTS700082/);
    assert.match(test.json.hint, /connect the mailbox again/i);
  });

  it('a token the mailbox refuses (SMTP AUTH off): 422 with the test, hint naming the admin centre; previous settings stay', async () => {
    const token = await api.token('northwind');
    microsoftSmtp.refusedLogins.add('jobs@northwind.test');
    const done = await connect(token, 'main', 'microsoft', 'jobs@northwind.test');
    assert.equal(done.status, 422, done.text);
    assert.equal(done.json.test.stage, 'auth');
    assert.equal(done.json.test.code, 'AUTH_FAILED');
    assert.match(done.json.test.smtpResponse, /^535 5\.7\.3/);
    assert.match(done.json.test.hint, /Authenticated SMTP/);
    assert.equal(done.json.settings.mode, 'default');
  });
});

describe('the Microsoft app-only flow (shared mailbox)', () => {
  it('admin consent, then client credentials per send on the tenant endpoint, sending as the shared mailbox', async () => {
    const token = await api.token('tailspin');
    const started = await start(token, 'main', 'microsoft', { redirectUri: REDIRECT, flow: 'app', tenantId: TENANT, mailbox: 'jobs-shared@tailspin.test' });
    assert.equal(started.status, 200, started.text);
    assert.match(new URL(started.json.authorizationUrl).pathname, new RegExp(`/${TENANT}/v2.0/adminconsent$`));
    const back = await signIn(started.json.authorizationUrl);
    assert.equal(back.get('admin_consent'), 'True');
    const done = await api.request('POST', '/v1/email-settings/main/oauth/microsoft/complete', {
      token,
      body: { state: back.get('state'), tenant: back.get('tenant'), adminConsent: true },
    });
    assert.equal(done.status, 200, done.text);
    assert.deepEqual({ ...done.json.smtp.oauth, connectedAt: undefined }, {
      provider: 'microsoft', flow: 'app', account: 'jobs-shared@tailspin.test', tenantId: TENANT, connectedAt: undefined, connected: true,
    });
    const sent = await sendMail(token, 'ts-cand-1', 'frank@candidates.test', 'Shared mailbox mail');
    assert.equal(sent.status, 'sent', JSON.stringify(sent));
    const mail = microsoftSmtp.received.find((item) => item.parsed.subject === 'Shared mailbox mail');
    assert.equal(mail?.user, 'jobs-shared@tailspin.test');
    assert.equal(mail?.envelope.from, 'jobs-shared@tailspin.test');
    const grants = auth.tokenRequests.filter((request) => request.grantType === 'client_credentials');
    assert.ok(grants.length >= 1);
    assert.ok(grants.every((request) => request.tenant === TENANT && request.scope === 'https://outlook.office365.com/.default'));
  });
});

describe('refusals', () => {
  it('a redirect URI off the allowlist is a 400 and nothing is started', async () => {
    const token = await api.token('initech');
    const started = await start(token, 'main', 'google', { redirectUri: 'https://evil.example/cb' });
    assert.equal(started.status, 400, started.text);
    assert.equal(started.json.error.details[0].path, 'redirectUri');
  });

  it("another company's state, or another provider's, is refused and left usable for its owner", async () => {
    const owner = await api.token('umbrella');
    const stranger = await api.token('hooli');
    const started = await start(owner, 'main', 'google', { redirectUri: REDIRECT, loginHint: 'jobs@umbrella.test' });
    const back = await signIn(started.json.authorizationUrl);
    const body = { code: back.get('code'), state: back.get('state') };
    const foreign = await api.request('POST', '/v1/email-settings/main/oauth/google/complete', { token: stranger, body });
    assert.equal(foreign.status, 400, foreign.text);
    const otherProvider = await api.request('POST', '/v1/email-settings/main/oauth/microsoft/complete', { token: owner, body });
    assert.equal(otherProvider.status, 400, otherProvider.text);
    const otherScope = await api.request('POST', '/v1/email-settings/berlin/oauth/google/complete', { token: owner, body });
    assert.equal(otherScope.status, 400, otherScope.text);
    const own = await api.request('POST', '/v1/email-settings/main/oauth/google/complete', { token: owner, body });
    assert.equal(own.status, 200, own.text);
  });

  it('only admins may connect; the body is validated', async () => {
    const recruiter = await api.token('acme', ['recruiter']);
    assert.equal((await start(recruiter, 'main', 'google', { redirectUri: REDIRECT })).status, 403);
    const admin = await api.token('acme');
    assert.equal((await start(admin, 'main', 'yahoo', { redirectUri: REDIRECT })).status, 400);
    assert.equal((await start(admin, 'main', 'google', { redirectUri: REDIRECT, flow: 'app', mailbox: 'x@acme.test' })).status, 400);
    assert.equal((await start(admin, 'main', 'microsoft', { redirectUri: REDIRECT, flow: 'app' })).status, 400);
  });

  it('the OpenAPI document describes both routes', async () => {
    const doc = await api.request('GET', '/v1/openapi.json');
    assert.ok(doc.json.paths['/v1/email-settings/{scope}/oauth/{provider}/start'].post);
    assert.ok(doc.json.paths['/v1/email-settings/{scope}/oauth/{provider}/complete'].post);
  });
});

describe('secrets', () => {
  it('no token, code, verifier or client secret in any response, log line or file of the data folder', async () => {
    await api.backend.idle();
    const secrets = [...auth.everyTokenIssued(), MS.clientSecret, GOOGLE.clientSecret];
    assert.ok(secrets.length > 10);
    const responses = api.responseBodies.join('\n');
    const output = api.output();
    assert.equal(await backendLogLevel(), 'INFO', 'the checked output is what the backend writes at INFO, as the stack logs');
    const files = listFiles(api.backend.dataDir).map((file) => readFileSync(file).toString('latin1'));
    // The table is in memory in tests: read every item as stored.
    files.push(JSON.stringify(await scanTable()));
    for (const secret of secrets) {
      const forms = [secret, Buffer.from(secret).toString('base64')];
      for (const form of forms) {
        assert.ok(!responses.includes(form), `a response holds ${form.slice(0, 12)}…`);
        assert.ok(!output.includes(form), `the output holds ${form.slice(0, 12)}…`);
        assert.ok(!files.some((content) => content.includes(form)), `a data file holds ${form.slice(0, 12)}…`);
      }
    }
  });
});

async function scanTable(): Promise<unknown[]> {
  const { DynamoDBClient, ScanCommand } = await import('@aws-sdk/client-dynamodb');
  const client = new DynamoDBClient({});
  try {
    const out = await client.send(new ScanCommand({ TableName: process.env.TABLE_NAME! }));
    assert.ok((out.Items ?? []).some((item) => JSON.stringify(item).includes('refreshTokenCiphertext')), 'the scan sees the stored connections');
    return out.Items ?? [];
  } finally {
    client.destroy();
  }
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}
