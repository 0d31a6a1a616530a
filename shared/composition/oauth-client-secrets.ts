import { secretsManagerClientSecrets } from '../adapters/secrets-manager-client-secrets';
import type { SecretsConfig } from '../config/concerns';
import type { ClientSecretSource } from '../oauth/oauth-config';

/**
 * On AWS the OAuth client secrets come from Secrets Manager (`OAUTH_CLIENT_SECRETS_ARN`);
 * locally from OAUTH_MICROSOFT_CLIENT_SECRET / OAUTH_GOOGLE_CLIENT_SECRET (the OAuth config).
 */
export function clientSecretsOf(secrets: SecretsConfig): ClientSecretSource | undefined {
  const arn = secrets.oauthClientSecretsArn;
  return arn ? secretsManagerClientSecrets(arn) : undefined;
}
