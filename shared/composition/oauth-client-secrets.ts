import { secretsManagerClientSecrets } from '../adapters/secrets-manager-client-secrets';
import type { ClientSecretSource } from '../oauth/oauth-config';

/**
 * On AWS the OAuth client secrets come from Secrets Manager (`OAUTH_CLIENT_SECRETS_ARN`);
 * locally from OAUTH_MICROSOFT_CLIENT_SECRET / OAUTH_GOOGLE_CLIENT_SECRET, read by oauth-config.
 */
export function clientSecretsFromEnv(): ClientSecretSource | undefined {
  const arn = process.env.OAUTH_CLIENT_SECRETS_ARN;
  return arn ? secretsManagerClientSecrets(arn) : undefined;
}
