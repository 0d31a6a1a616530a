/**
 * Connecting a scope's mailbox with OAuth2 (DESIGN capability 7): `start` answers the URL the
 * browser goes to and remembers a single-use state; `complete` takes what the provider sent
 * back, gets the tokens and the account, runs the test of capability 2 over XOAUTH2 and
 * activates the connection only if it passes, exactly like saving SMTP settings.
 */
import { AppError } from '../errors';
import { refreshTokenContext } from '../oauth/oauth-access-tokens';
import {
  accountFromIdToken,
  adminConsentUrl,
  authorizationUrl,
  clientCredentials,
  exchangeCode,
  OAuthError,
  randomToken,
} from '../oauth/oauth-client';
import type { OAuthSettings, ProviderClient } from '../oauth/oauth-config';
import type { OAuthStateStore } from '../oauth/oauth-state-store';
import type { SmtpServerSettings } from '../smtp/types';
import { enforceTestRate, ensureScopeSettings, saveVerifiedSmtp, type EmailSettingsDeps, type SaveOutcome } from './email-settings-service';
import type { OAuthFlow, OAuthProvider, StoredSmtp } from './model';

const STATE_LIFETIME_MS = 10 * 60_000;

export interface OAuthConnectDeps extends EmailSettingsDeps {
  oauth: OAuthSettings;
  oauthStates: OAuthStateStore;
}

export interface StartOAuthInput {
  redirectUri: string;
  flow?: OAuthFlow;
  tenantId?: string;
  mailbox?: string;
  loginHint?: string;
  /** Also ask for the IMAP scopes, to read the mailbox (capability 12). */
  inbound?: boolean;
}

export type CompleteOAuthInput = { code: string; state: string } | { state: string; tenant: string; adminConsent: true };

const pkceContext = (companyId: string, scope: string) => ({ companyId, scope, purpose: 'oauth-pkce' });

function clientFor(deps: OAuthConnectDeps, provider: OAuthProvider): ProviderClient {
  const client = deps.oauth.clients[provider];
  if (!client) {
    throw new AppError('OAUTH_NOT_CONFIGURED', `Signing in with ${provider === 'microsoft' ? 'Microsoft' : 'Google'} is not set up on this service`, {
      hint: 'The operator must set the OAuth client id and secret of this provider (see the README).',
    });
  }
  return client;
}

export async function startOAuthConnect(
  deps: OAuthConnectDeps,
  companyId: string,
  scope: string,
  provider: OAuthProvider,
  input: StartOAuthInput,
): Promise<{ authorizationUrl: string; state: string; expiresAt: string }> {
  const client = clientFor(deps, provider);
  if (!deps.oauth.redirectUris.includes(input.redirectUri)) {
    throw new AppError('VALIDATION_FAILED', 'This redirect URI is not allowed', [
      { path: 'redirectUri', message: 'must be one of the redirect URIs the operator allows (OAUTH_REDIRECT_URIS)' },
    ]);
  }
  const flow = input.flow ?? 'delegated';
  if (flow === 'app' && provider !== 'microsoft') {
    throw new AppError('VALIDATION_FAILED', 'The app flow exists for Microsoft only', [{ path: 'flow', message: 'must be "delegated" for Google' }]);
  }
  if (flow === 'app' && !input.mailbox) {
    throw new AppError('VALIDATION_FAILED', 'The app flow sends as a mailbox', [{ path: 'mailbox', message: 'is required when flow is "app"' }]);
  }
  // The scope is created (within the company's limit) before the sign-in, not after it.
  await ensureScopeSettings(deps, companyId, scope);

  const state = randomToken();
  const nonce = randomToken(16);
  const expiresAt = new Date(deps.now().getTime() + STATE_LIFETIME_MS).toISOString();
  const codeVerifier = flow === 'delegated' ? randomToken(48) : null;
  await deps.oauthStates.put({
    state,
    companyId,
    scope,
    provider,
    flow,
    redirectUri: input.redirectUri,
    codeVerifierCiphertext: codeVerifier ? await deps.cipher.encrypt(codeVerifier, pkceContext(companyId, scope)) : null,
    nonce,
    tenantId: input.tenantId ?? null,
    mailbox: input.mailbox ?? null,
    inbound: input.inbound === true,
    expiresAt,
  });
  const url =
    flow === 'app'
      ? adminConsentUrl(client, { tenant: input.tenantId ?? 'organizations', redirectUri: input.redirectUri, state })
      : authorizationUrl(client, { redirectUri: input.redirectUri, state, nonce, codeVerifier: codeVerifier!, loginHint: input.loginHint, inbound: input.inbound === true });
  return { authorizationUrl: url, state, expiresAt };
}

export async function completeOAuthConnect(
  deps: OAuthConnectDeps,
  companyId: string,
  scope: string,
  provider: OAuthProvider,
  input: CompleteOAuthInput,
): Promise<SaveOutcome> {
  const client = clientFor(deps, provider);
  const invalidState = (why: string) => new AppError('VALIDATION_FAILED', `The sign-in cannot be completed: ${why}`, [{ path: 'state', message: why }]);
  const record = await deps.oauthStates.consume(input.state, { companyId, scope, provider });
  if (!record) throw invalidState('unknown, already used, or started for another scope or provider; start again');
  if (Date.parse(record.expiresAt) < deps.now().getTime()) throw invalidState('expired (10 minutes); start again');
  const appFlow = 'adminConsent' in input;
  if (appFlow !== (record.flow === 'app')) throw invalidState(`it was started for the ${record.flow} flow`);
  if (appFlow && record.tenantId && record.tenantId.toLowerCase() !== input.tenant.toLowerCase()) {
    throw invalidState('the consent was given in another tenant than the one the connection was started for');
  }

  const current = await ensureScopeSettings(deps, companyId, scope);
  let obtained: { account: string; tenantId: string | null; refreshToken: string | null } | null = null;
  const obtain = async (): Promise<{ user: string; accessToken: string }> => {
    if ('adminConsent' in input) {
      const token = await clientCredentials(client, input.tenant);
      obtained = { account: record.mailbox!, tenantId: input.tenant, refreshToken: null };
      return { user: record.mailbox!, accessToken: token.accessToken };
    }
    const codeVerifier = await deps.cipher.decrypt(record.codeVerifierCiphertext!, pkceContext(companyId, scope));
    const token = await exchangeCode(client, { code: input.code, redirectUri: record.redirectUri, codeVerifier, inbound: record.inbound === true });
    const { account, tenantId } = accountFromIdToken(client, token.idToken, { nonce: record.nonce, now: deps.now() });
    if (!token.refreshToken) {
      throw new OAuthError({
        code: 'OAUTH_CONSENT_REQUIRED',
        provider,
        message: 'The provider issued no refresh token, so mail could not be sent later.',
        providerResponse: provider === 'microsoft' ? 'no refresh_token (is offline_access granted?)' : 'no refresh_token (access_type=offline and prompt=consent)',
      });
    }
    obtained = { account, tenantId, refreshToken: token.refreshToken };
    return { user: account, accessToken: token.accessToken };
  };

  const candidate: SmtpServerSettings = {
    ...client.smtp,
    // The account is known only once the tokens are in: the test fills username and from address.
    fromAddress: '',
    fromName: current.smtp?.fromName ?? undefined,
    auth: 'oauth2',
  };
  const test = await deps.testSmtp(candidate, {
    oauth: { provider, flow: record.flow, obtain },
    beforeConnect: (destination) => enforceTestRate(deps, companyId, destination),
  });
  const got = obtained as { account: string; tenantId: string | null; refreshToken: string | null } | null;
  if (!test.ok || !got) return { saved: false, settings: current, test };

  const now = deps.now().toISOString();
  const smtp: StoredSmtp = {
    ...client.smtp,
    username: got.account,
    fromAddress: got.account,
    fromName: current.smtp?.fromName ?? null,
    passwordCiphertext: null,
    auth: 'oauth2',
    oauth: {
      provider,
      flow: record.flow,
      account: got.account,
      tenantId: got.tenantId,
      connectedAt: now,
      refreshTokenCiphertext: got.refreshToken ? await deps.cipher.encrypt(got.refreshToken, refreshTokenContext(companyId, scope)) : null,
      tokenVersion: 1,
      inbound: record.inbound === true,
    },
    revision: (current.smtp?.revision ?? 0) + 1,
  };
  return saveVerifiedSmtp(deps, current, smtp, test, now);
}
