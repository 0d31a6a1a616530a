import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { OAuthProvider } from '../email-settings/model';
import type { ClientSecretSource } from '../oauth/oauth-config';

/**
 * The OAuth client secrets from one Secrets Manager secret (JSON `{ "microsoftClientSecret",
 * "googleClientSecret" }`), fetched once per process at the first use and kept in memory.
 */
export function secretsManagerClientSecrets(secretArn: string, client = new SecretsManagerClient({})): ClientSecretSource {
  let loaded: Promise<Record<string, unknown>> | undefined;
  const load = () =>
    (loaded ??= client.send(new GetSecretValueCommand({ SecretId: secretArn })).then((out) => {
      try {
        return JSON.parse(out.SecretString ?? '') as Record<string, unknown>;
      } catch {
        throw new Error('The OAuth client secrets secret must hold JSON: {"microsoftClientSecret": "...", "googleClientSecret": "..."}');
      }
    })).catch((error: unknown) => {
      loaded = undefined; // a failed read is tried again on the next use
      throw error;
    });
  return async (provider: OAuthProvider) => {
    const value = (await load())[`${provider}ClientSecret`];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
}
