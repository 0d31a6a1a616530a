/**
 * Access tokens for saved OAuth2 settings (DESIGN capability 7), for sending and for the test
 * button: cached in memory for as long as the process lives (warm Lambda invocations reuse
 * them), refreshed a few minutes before they expire, one refresh at a time per connection.
 * Delegated: the refresh-token grant; a rotated refresh token is encrypted and written back
 * conditionally (token version), so of two concurrent refreshers only one stores its token
 * and no older token ever replaces a newer one. App flow: the client-credentials grant against
 * the customer's tenant, nothing stored.
 */
import type { SecretCipher } from '../secrets/secret-cipher';
import type { OAuthIdentity } from '../smtp/types';
import { clientCredentials, OAuthError, refreshAccessToken, type TokenResponse } from './oauth-client';
import type { OAuthSettings } from './oauth-config';
import type { OAuthTokenStore } from './oauth-state-store';

/** Refresh this long before the provider's expiry, for clock skew and the SMTP conversation. */
const EARLY_REFRESH_MS = 5 * 60_000;

export const refreshTokenContext = (companyId: string, scope: string) => ({ companyId, scope, purpose: 'smtp-oauth' });

export interface OAuthAccessTokens {
  /** A valid access token for the connection; `forceRefresh` ignores the cache (the server refused it). */
  accessTokenFor(identity: OAuthIdentity, options?: { forceRefresh?: boolean }): Promise<string>;
}

export interface OAuthAccessTokensDeps {
  settings: OAuthSettings;
  cipher: SecretCipher;
  tokenStore: OAuthTokenStore;
  now: () => Date;
}

export function createOAuthAccessTokens(deps: OAuthAccessTokensDeps): OAuthAccessTokens {
  const cache = new Map<string, { accessToken: string; expiresAt: number }>();
  const inFlight = new Map<string, Promise<string>>();
  const keyOf = (identity: OAuthIdentity) => `${identity.companyId}#${identity.scope}#${identity.revision}`;

  const obtain = async (identity: OAuthIdentity, key: string): Promise<string> => {
    const client = deps.settings.clients[identity.provider];
    if (!client) {
      throw new OAuthError({ code: 'OAUTH_NOT_CONFIGURED', provider: identity.provider, message: `Signing in with ${identity.provider} is not set up on this service.` });
    }
    let token: TokenResponse;
    if (identity.flow === 'app') {
      token = await clientCredentials(client, identity.tenantId ?? 'organizations');
    } else {
      if (!identity.refreshTokenCiphertext) {
        throw new OAuthError({ code: 'OAUTH_REAUTHORIZE_REQUIRED', provider: identity.provider, message: 'No sign-in is stored for this mailbox.' });
      }
      const refreshToken = await deps.cipher.decrypt(identity.refreshTokenCiphertext, refreshTokenContext(identity.companyId, identity.scope));
      token = await refreshAccessToken(client, refreshToken, identity.inbound === true);
      if (token.refreshToken && token.refreshToken !== refreshToken) {
        const ciphertext = await deps.cipher.encrypt(token.refreshToken, refreshTokenContext(identity.companyId, identity.scope));
        // false: another worker stored a newer token from the same one; theirs stays.
        await deps.tokenStore.storeRefreshToken(identity.companyId, identity.scope, identity.revision, identity.tokenVersion, ciphertext);
      }
    }
    cache.set(key, { accessToken: token.accessToken, expiresAt: token.expiresAt });
    return token.accessToken;
  };

  return {
    async accessTokenFor(identity, options = {}) {
      const key = keyOf(identity);
      const cached = cache.get(key);
      if (!options.forceRefresh && cached && cached.expiresAt - EARLY_REFRESH_MS > deps.now().getTime()) return cached.accessToken;
      const running = inFlight.get(key);
      if (running) return running;
      cache.delete(key);
      const started = obtain(identity, key).finally(() => inFlight.delete(key));
      inFlight.set(key, started);
      return started;
    },
  };
}
