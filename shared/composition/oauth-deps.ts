import { createDynamoOAuthStateStore, createDynamoOAuthTokenStore } from '../adapters/dynamodb-oauth-stores';
import type { OAuthEnvConfig, SecretsConfig } from '../config/concerns';
import { createOAuthAccessTokens, type OAuthAccessTokens } from '../oauth/oauth-access-tokens';
import type { OAuthSettings } from '../oauth/oauth-config';
import type { OAuthStateStore } from '../oauth/oauth-state-store';
import type { SecretCipher } from '../secrets/secret-cipher';
import { oauthSettingsOf } from './oauth-client-secrets';

/**
 * The OAuth2 clients, state store and access-token source, built once per process (at cold
 * start): access tokens are cached across warm invocations. A bad OAuth variable stops the
 * function here, at start-up, with a message naming it.
 */
export function oauthDeps(
  config: { tableName: string; secrets: SecretsConfig; oauth: OAuthEnvConfig },
  cipher: SecretCipher,
  oauth: OAuthSettings = oauthSettingsOf(config),
): { oauth: OAuthSettings; oauthStates: OAuthStateStore; oauthTokens: OAuthAccessTokens } {
  return {
    oauth,
    oauthStates: createDynamoOAuthStateStore(undefined, config.tableName),
    oauthTokens: createOAuthAccessTokens({ settings: oauth, cipher, tokenStore: createDynamoOAuthTokenStore(undefined, config.tableName), now: () => new Date() }),
  };
}
