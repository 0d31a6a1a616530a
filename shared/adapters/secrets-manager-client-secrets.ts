import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { OAuthProvider } from '../email-settings/model';
import type { ClientSecretSource } from '../oauth/oauth-config';
import { onFirstUse } from '../on-first-use';
import { adapterClient } from './tracing';

/**
 * The OAuth client secrets from one Secrets Manager secret (JSON `{ "microsoftClientSecret",
 * "googleClientSecret" }`), fetched once per process at the first use and kept in memory.
 */
export function secretsManagerClientSecrets(secretArn: string, client = adapterClient(new SecretsManagerClient({}))): ClientSecretSource {
  // A failed read is tried again on the next use.
  const secrets = onFirstUse(async () => {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    try {
      return JSON.parse(out.SecretString ?? '') as Record<string, unknown>;
    } catch {
      throw new Error('The OAuth client secrets secret must hold JSON: {"microsoftClientSecret": "...", "googleClientSecret": "..."}');
    }
  });
  return async (provider: OAuthProvider) => {
    const value = (await secrets.get())[`${provider}ClientSecret`];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
}
