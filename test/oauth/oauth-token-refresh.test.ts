/**
 * Refresh-token rotation against dynalite and the local authorization server: two workers
 * refreshing the same connection at once store one token and no older token ever replaces a
 * newer one; the state store consumes a state once and only for its owner.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalDynamo } from '../../infra/local/local-dynamodb';
import { startLocalTable } from '../support/local-table';
import { newScopeSettings } from '../../shared/email-settings/email-settings-service';
import type { ScopeSettings } from '../../shared/email-settings/model';
import { createOAuthAccessTokens, refreshTokenContext } from '../../shared/oauth/oauth-access-tokens';
import { oauthEnvConfig } from '../../shared/config/concerns';
import { oauthSettingsFromEnv } from '../../shared/oauth/oauth-config';
import type { OAuthIdentity } from '../../shared/smtp/types';
import { startLocalAuthorizationServer, type LocalAuthorizationServer } from '../support/local-authorization-server';
import { FakeSecretCipher } from '../support/fake-secret-cipher';

const TABLE = 'recruiting-mail-oauth-test';
const MS = { clientId: 'ms-id', clientSecret: 'ms-secret', tenantId: 'tenant-1' };

let dynamo: LocalDynamo;
let auth: LocalAuthorizationServer;
let adapters: typeof import('../../shared/adapters/dynamodb-oauth-stores');
let settingsStore: ReturnType<typeof import('../../shared/adapters/dynamodb-settings-store').createDynamoSettingsStore>;
let documentClient: ReturnType<typeof import('../../shared/adapters/dynamodb').getDocumentClient>;
const cipher = new FakeSecretCipher();

before(async () => {
  dynamo = await startLocalTable(TABLE);
  auth = await startLocalAuthorizationServer({ microsoft: MS, google: { clientId: 'g', clientSecret: 'g' } });
  adapters = await import('../../shared/adapters/dynamodb-oauth-stores');
  settingsStore = (await import('../../shared/adapters/dynamodb-settings-store')).createDynamoSettingsStore();
  documentClient = (await import('../../shared/adapters/dynamodb')).getDocumentClient();
});

after(async () => {
  documentClient?.destroy();
  await auth?.close();
  await dynamo?.stop();
});

/** A connected Microsoft scope whose refresh token came from a real code exchange. */
async function connectedScope(companyId: string): Promise<ScopeSettings> {
  const { authorizationUrl, exchangeCode } = await import('../../shared/oauth/oauth-client');
  const client = settingsFor().clients.microsoft!;
  const verifier = 'v'.repeat(60);
  const redirectUri = 'http://localhost:5173/cb';
  const location = (await fetch(authorizationUrl(client, { redirectUri, state: 's', nonce: 'n', codeVerifier: verifier, loginHint: `jobs@${companyId}.test` }), { redirect: 'manual' })).headers.get('location')!;
  const token = await exchangeCode(client, { code: new URL(location).searchParams.get('code')!, redirectUri, codeVerifier: verifier });
  const settings: ScopeSettings = {
    ...newScopeSettings(companyId, 'main', `${companyId}-x@inbound.localhost`, new Date()),
    mode: 'smtp',
    status: 'verified',
    smtp: {
      host: 'smtp.office365.com', port: 587, security: 'starttls', username: `jobs@${companyId}.test`, fromAddress: `jobs@${companyId}.test`, fromName: null,
      passwordCiphertext: null, auth: 'oauth2', revision: 1,
      oauth: {
        provider: 'microsoft', flow: 'delegated', account: `jobs@${companyId}.test`, tenantId: MS.tenantId, connectedAt: new Date().toISOString(),
        refreshTokenCiphertext: await cipher.encrypt(token.refreshToken!, refreshTokenContext(companyId, 'main')), tokenVersion: 1,
      },
    },
  };
  assert.ok(await settingsStore.create(settings));
  return settings;
}

function settingsFor() {
  return oauthSettingsFromEnv(
    undefined,
    oauthEnvConfig({ OAUTH_MICROSOFT_CLIENT_ID: MS.clientId, OAUTH_MICROSOFT_CLIENT_SECRET: MS.clientSecret, OAUTH_MICROSOFT_AUTHORITY: auth.microsoftAuthority }),
  );
}

const identityOf = (settings: ScopeSettings): OAuthIdentity => {
  const oauth = settings.smtp!.oauth!;
  return { companyId: settings.companyId, scope: settings.scope, revision: settings.smtp!.revision, ...oauth };
};

const storedRefreshToken = async (companyId: string) => {
  const saved = (await settingsStore.get(companyId, 'main'))!;
  return { version: saved.smtp!.oauth!.tokenVersion, token: await cipher.decrypt(saved.smtp!.oauth!.refreshTokenCiphertext!, refreshTokenContext(companyId, 'main')), record: saved };
};

describe('rotated refresh tokens', () => {
  it('two workers refreshing at once: one rotated token is stored, as version 2, and it works', async () => {
    const settings = await connectedScope('contoso');
    const workers = [1, 2].map(() =>
      createOAuthAccessTokens({ settings: settingsFor(), cipher, tokenStore: adapters.createDynamoOAuthTokenStore(), now: () => new Date() }),
    );
    const [a, b] = await Promise.all(workers.map((worker) => worker.accessTokenFor(identityOf(settings))));
    assert.ok(auth.verifyAccessToken('jobs@contoso.test', a));
    assert.ok(auth.verifyAccessToken('jobs@contoso.test', b));
    const stored = await storedRefreshToken('contoso');
    assert.equal(stored.version, 2);
    const rotated = auth.refreshTokens().filter((item) => item.account === 'jobs@contoso.test').map((item) => item.token);
    assert.equal(rotated.length, 3); // the first from the code, one per worker
    assert.ok(rotated.slice(1).includes(stored.token));
    assert.equal(stored.record.version, settings.version + 1, 'the record version grows with the token');

    // The stored token refreshes again (version 3).
    const later = createOAuthAccessTokens({ settings: settingsFor(), cipher, tokenStore: adapters.createDynamoOAuthTokenStore(), now: () => new Date() });
    await later.accessTokenFor(identityOf(stored.record));
    assert.equal((await storedRefreshToken('contoso')).version, 3);
  });

  it('a slow worker that refreshed from an older token never overwrites the newer one', async () => {
    const settings = await connectedScope('fabrikam');
    const stale = identityOf(settings); // read before anyone refreshed
    const fast = createOAuthAccessTokens({ settings: settingsFor(), cipher, tokenStore: adapters.createDynamoOAuthTokenStore(), now: () => new Date() });
    await fast.accessTokenFor(stale);
    const afterFast = await storedRefreshToken('fabrikam');
    assert.equal(afterFast.version, 2);
    // A second rotation by the fast worker: version 3.
    await fast.accessTokenFor(identityOf(afterFast.record), { forceRefresh: true });
    const newest = await storedRefreshToken('fabrikam');
    assert.equal(newest.version, 3);

    // The slow worker still holds the version-1 view: its write-back is refused.
    const slow = createOAuthAccessTokens({ settings: settingsFor(), cipher, tokenStore: adapters.createDynamoOAuthTokenStore(), now: () => new Date() });
    const token = await slow.accessTokenFor(stale);
    assert.ok(auth.verifyAccessToken('jobs@fabrikam.test', token), 'it may still send');
    const final = await storedRefreshToken('fabrikam');
    assert.equal(final.version, 3);
    assert.equal(final.token, newest.token);
  });

  it('an access token is reused until shortly before it expires', async () => {
    const settings = await connectedScope('northwind');
    let now = new Date();
    const tokens = createOAuthAccessTokens({ settings: settingsFor(), cipher, tokenStore: adapters.createDynamoOAuthTokenStore(), now: () => now });
    const first = await tokens.accessTokenFor(identityOf(settings));
    const fresh = (await storedRefreshToken('northwind')).record;
    assert.equal(await tokens.accessTokenFor(identityOf(fresh)), first);
    now = new Date(Date.now() + 56 * 60_000); // within 5 minutes of the 1 h lifetime
    assert.notEqual(await tokens.accessTokenFor(identityOf(fresh)), first);
  });
});

describe('the OAuth state store', () => {
  it('consumes a state once, only for its company, scope and provider', async () => {
    const states = adapters.createDynamoOAuthStateStore();
    const record = {
      state: 'state-abc', companyId: 'acme', scope: 'main', provider: 'google' as const, flow: 'delegated' as const, redirectUri: 'https://app/cb',
      codeVerifierCiphertext: 'x', nonce: 'n', tenantId: null, mailbox: null, expiresAt: new Date(Date.now() + 600_000).toISOString(),
    };
    await states.put(record);
    assert.equal(await states.consume('state-abc', { companyId: 'globex', scope: 'main', provider: 'google' }), null);
    assert.equal(await states.consume('state-abc', { companyId: 'acme', scope: 'main', provider: 'microsoft' }), null);
    assert.deepEqual(await states.consume('state-abc', { companyId: 'acme', scope: 'main', provider: 'google' }), record);
    assert.equal(await states.consume('state-abc', { companyId: 'acme', scope: 'main', provider: 'google' }), null);
  });
});
