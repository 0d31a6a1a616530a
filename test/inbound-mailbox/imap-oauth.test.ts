/**
 * Reading a mailbox with the scope's OAuth2 connection (DESIGN capabilities 7 and 12): the
 * connection is made with `inbound: true` through the local authorization server (PKCE, a real
 * code exchange), and Dovecot verifies the XOAUTH2/OAUTHBEARER token by RFC 7662 introspection
 * against the same server. The inbound test, the save and the poller refresh the token through
 * the one token store of sending, asking for the IMAP scope.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import type { LocalDynamo } from '../../infra/local/local-dynamodb';
import { oauthEnvConfig } from '../../shared/config/concerns';
import { completeOAuthConnect, startOAuthConnect, type OAuthConnectDeps } from '../../shared/email-settings/connect-oauth-mailbox';
import { connectWithImapflow } from '../../shared/inbound-mailbox/imapflow-mailbox-reader';
import { imapPolicyOf, type ImapRoute } from '../../shared/inbound-mailbox/imap-destination';
import { saveInboundSettings, type InboundSettingsDeps } from '../../shared/inbound-mailbox/inbound-settings-service';
import { pollMailbox } from '../../shared/inbound-mailbox/poll-mailbox';
import { testImapSettings } from '../../shared/inbound-mailbox/test-imap-settings';
import { fileInboundMail } from '../../shared/messages/file-inbound-mail';
import { createOAuthAccessTokens } from '../../shared/oauth/oauth-access-tokens';
import { oauthSettingsFromEnv } from '../../shared/oauth/oauth-config';
import { outboundPolicyOf } from '../../shared/smtp/destination-guard';
import type { SmtpTestResult } from '../../shared/smtp/types';
import { startDovecot, type DovecotServer } from '../support/dovecot-server';
import { FakeSecretCipher } from '../support/fake-secret-cipher';
import { startLocalAuthorizationServer, type LocalAuthorizationServer } from '../support/local-authorization-server';
import { startLocalTable } from '../support/local-table';
import { MemoryBlobStore } from '../support/memory-blob-store';
import { MemoryOAuthStateStore } from '../support/memory-oauth-state-store';
import { MemoryRateLimiter } from '../support/memory-rate-limiter';
import '../support/quiet-logs';
import { testInboundAddresses } from '../support/inbound-addresses';

const TABLE = 'recruiting-mail-imap-oauth-test';
const MS = { clientId: 'imap-client', clientSecret: 'imap-client-secret', tenantId: '11111111-2222-3333-4444-555555555555' };
const MAILBOX = 'jobs@contoso.test';
const REDIRECT = 'http://localhost:5173/oauth/callback';
const now = () => new Date();

let auth: LocalAuthorizationServer;
let dovecot: DovecotServer;
let dynamo: LocalDynamo;
let deps: OAuthConnectDeps & InboundSettingsDeps;
let route: ImapRoute;

before(async () => {
  auth = await startLocalAuthorizationServer({ microsoft: MS, google: { clientId: 'g', clientSecret: 'g' } });
  dovecot = await startDovecot({ users: [{ user: MAILBOX, password: 'not-used-with-oauth' }], introspectionUrl: `${auth.url}/introspect` });
  dynamo = await startLocalTable(TABLE);
  const { createDynamoSettingsStore } = await import('../../shared/adapters/dynamodb-settings-store');
  const { createDynamoOAuthTokenStore } = await import('../../shared/adapters/dynamodb-oauth-stores');
  const { createDynamoInboundMailboxStore } = await import('../../shared/adapters/dynamodb-inbound-mailbox-store');
  const oauth = oauthSettingsFromEnv(
    undefined,
    oauthEnvConfig({
      OAUTH_MICROSOFT_CLIENT_ID: MS.clientId,
      OAUTH_MICROSOFT_CLIENT_SECRET: MS.clientSecret,
      OAUTH_MICROSOFT_AUTHORITY: auth.microsoftAuthority,
      OAUTH_MICROSOFT_IMAP: `localhost:${dovecot.port}:starttls`,
      OAUTH_REDIRECT_URIS: REDIRECT,
    }),
  );
  const cipher = new FakeSecretCipher();
  const store = createDynamoSettingsStore();
  route = {
    policy: imapPolicyOf(
      outboundPolicyOf({ allowedPorts: ['*'], allowedPrivateCidrs: ['127.0.0.0/8'], allowPlaintext: false, acceptUntrustedCertificatesInAllowedCidrs: false, extraCaFile: undefined, egressIps: [] }),
      [String(dovecot.port)],
    ),
    tlsCa: dovecot.cert,
  };
  deps = {
    store,
    cipher,
    oauth,
    oauthStates: new MemoryOAuthStateStore(),
    oauthTokens: createOAuthAccessTokens({ settings: oauth, cipher, tokenStore: createDynamoOAuthTokenStore(), now }),
    // SMTP is not what this test is about: the connection's own test only gets the token.
    testSmtp: async (_settings, options): Promise<SmtpTestResult> => {
      await options.oauth!.obtain();
      return { ok: true, stage: 'done', code: 'OK', message: 'ok', hint: null, smtpResponse: null, durationMs: 0, egressIps: [], transcript: [], warnings: [], sizeLimit: null };
    },
    testImap: (settings, options) => testImapSettings(settings, { ...route, ...options, connect: connectWithImapflow, egressIps: [] }),
    mailboxes: createDynamoInboundMailboxStore(),
    rateLimiter: new MemoryRateLimiter(now),
    inboundDomain: 'inbound.test.local',
    inboundAddresses: testInboundAddresses('inbound.test.local'),
    maxScopesPerCompany: 100,
    testsPerMinute: 1000,
    destinationsPerMinute: 1000,
    now,
  };
});

after(async () => {
  await dovecot?.stop();
  await auth?.close();
  await dynamo?.stop();
});

describe('a mailbox read with the scope\'s OAuth2 connection', () => {
  it('asks for the IMAP scope when connecting with inbound: true, and logs in to IMAP with the token', async () => {
    const started = await startOAuthConnect(deps, 'contoso', 'main', 'microsoft', { redirectUri: REDIRECT, loginHint: MAILBOX, inbound: true });
    assert.match(new URL(started.authorizationUrl).searchParams.get('scope') ?? '', /https:\/\/outlook\.office\.com\/IMAP\.AccessAsUser\.All/);
    const location = (await fetch(started.authorizationUrl, { redirect: 'manual' })).headers.get('location')!;
    const connected = await completeOAuthConnect(deps, 'contoso', 'main', 'microsoft', { code: new URL(location).searchParams.get('code')!, state: started.state });
    assert.equal(connected.saved, true);
    assert.equal(connected.settings.smtp?.oauth?.inbound, true);

    // Host, port and security come from the provider (OAUTH_MICROSOFT_IMAP, here the local Dovecot).
    const saved = await saveInboundSettings(deps, 'contoso', 'main', { mode: 'imap', imap: { auth: 'oauth2', backfillDays: 1 } });
    assert.equal(saved.saved, true, JSON.stringify(saved.test));
    assert.equal(saved.settings.inbound?.imap?.username, MAILBOX);
    assert.equal(saved.settings.inbound?.imap?.host, 'localhost');
    const refreshes = auth.tokenRequests.filter((request) => request.grantType === 'refresh_token');
    assert.ok(refreshes.length > 0 && refreshes.every((request) => request.scope?.includes('IMAP.AccessAsUser.All')), 'refreshes ask for the IMAP scope');
  });

  it('the poller reads the mailbox with the token and files its mail', async () => {
    const client = new ImapFlow({ host: '127.0.0.1', port: dovecot.tlsPort, secure: true, servername: 'localhost', tls: { ca: [dovecot.cert] }, auth: { user: MAILBOX, accessToken: await tokenFor() }, logger: false });
    await client.connect();
    await client.append('INBOX', Buffer.from(`From: Lin <lin@candidates.test>\r\nTo: ${MAILBOX}\r\nSubject: Bewerbung\r\nMessage-ID: <lin-1@candidates.test>\r\nDate: ${new Date().toUTCString()}\r\n\r\nHallo\r\n`));
    await client.logout();
    const { messages, outcome } = await poll();
    assert.deepEqual(outcome.result === 'polled' ? outcome.outcomes : outcome, ['unassigned']);
    const unassigned = await messages.listUnassigned('contoso', { limit: 10 });
    assert.equal(unassigned.items[0]?.subject, 'Bewerbung');
  });

  it('a revoked sign-in turns the inbound side failing with the code to reconnect', async () => {
    auth.revokeAccount(MAILBOX);
    const test = await deps.testImap(
      { host: 'localhost', port: dovecot.port, security: 'starttls', username: MAILBOX, auth: 'oauth2', folder: 'INBOX' },
      { oauth: { provider: 'microsoft', flow: 'delegated', obtain: async () => ({ user: MAILBOX, accessToken: 'revoked-or-forged-token' }) } },
    );
    assert.equal(test.stage, 'auth');
    assert.equal(test.ok, false);
    assert.ok(!JSON.stringify(test).includes('revoked-or-forged-token'), 'the token never appears in the answer');

    // The poller's cached token is refused now; the forced refresh finds the sign-in revoked.
    const { outcome } = await poll();
    assert.deepEqual(outcome, { result: 'failing', code: 'OAUTH_REAUTHORIZE_REQUIRED' });
    const settings = await deps.store.get('contoso', 'main');
    assert.equal(settings?.inboundPoll?.status, 'failing');
    assert.equal(settings?.status, 'verified', 'sending is not touched');
  });
});

async function poll() {
  const blobs = new MemoryBlobStore();
  const { createDynamoCandidatesStore } = await import('../../shared/adapters/dynamodb-candidates-store');
  const { createDynamoMessagesStore } = await import('../../shared/adapters/dynamodb-messages-store');
  const messages = createDynamoMessagesStore();
  const filing = { settings: deps.store, candidates: createDynamoCandidatesStore(), messages, blobs, inboundDomain: 'inbound.test.local', inboundAddresses: deps.inboundAddresses, ourDomains: ['inbound.test.local'], now };
  const outcome = await pollMailbox(
    { settings: deps.store, mailboxes: deps.mailboxes, blobs, file: (delivery) => fileInboundMail(filing, delivery), cipher: deps.cipher, oauthTokens: deps.oauthTokens, connect: connectWithImapflow, route, limits: { maxMessages: 10, maxSeconds: 30, leaseSeconds: 60 }, now },
    { companyId: 'contoso', scope: 'main' },
  );
  return { messages, outcome };
}

async function tokenFor(): Promise<string> {
  const settings = await deps.store.get('contoso', 'main');
  const { scopeOAuthLogin } = await import('../../shared/inbound-mailbox/imap-login');
  return (await (await scopeOAuthLogin(deps, settings!))!.obtain()).accessToken;
}
