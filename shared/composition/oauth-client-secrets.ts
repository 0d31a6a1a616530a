import type { OAuthEnvConfig, SecretsConfig } from '../config/concerns';
import { oauthSettingsFromEnv, type ClientSecretSource, type OAuthSettings } from '../oauth/oauth-config';
import { onFirstUse } from '../on-first-use';

/**
 * On AWS the OAuth client secrets come from Secrets Manager (`OAUTH_CLIENT_SECRETS_ARN`), its
 * client loaded with the first sign-in or send that needs a secret; locally from
 * OAUTH_MICROSOFT_CLIENT_SECRET / OAUTH_GOOGLE_CLIENT_SECRET (the OAuth config).
 */
export function clientSecretsOf(secrets: SecretsConfig): ClientSecretSource | undefined {
  const arn = secrets.oauthClientSecretsArn;
  if (!arn) return undefined;
  const source = onFirstUse(async () => (await import('../adapters/secrets-manager-client-secrets')).secretsManagerClientSecrets(arn));
  return async (provider) => (await source.get())(provider);
}

/** The OAuth2 clients of the configuration; a bad OAuth variable throws here, naming it. */
export function oauthSettingsOf(config: { secrets: SecretsConfig; oauth: OAuthEnvConfig }): OAuthSettings {
  return oauthSettingsFromEnv(clientSecretsOf(config.secrets), config.oauth);
}
