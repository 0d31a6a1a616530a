import { createDynamoRateLimiter } from '../adapters/dynamodb-rate-limiter';
import { createDynamoSettingsStore } from '../adapters/dynamodb-settings-store';
import { intEnv, requireEnv } from '../config';
import { createSesDefaultProvider } from '../adapters/ses-default-provider';
import type { EmailSettingsDeps } from '../email-settings/email-settings-service';
import type { RedirectTestDeps } from '../email-settings/send-redirect-test';
import { parseSingleAddress } from '../outbound/address';
import { messageIdDomainFromEnv } from './message-id-domain';
import { testSmtpSettings } from '../smtp/test-smtp-settings';
import { egressIpsFromEnv } from './egress-ips';
import type { OAuthConnectDeps } from '../email-settings/connect-oauth-mailbox';
import { oauthDepsFromEnv } from './oauth-deps';
import { secretCipherFromEnv } from './secret-cipher-from-env';
import { smtpOptionsFromEnv } from './smtp-options';

/** The email-settings use cases wired to the adapters the environment names. */
export function emailSettingsDepsFromEnv(): EmailSettingsDeps & RedirectTestDeps & OAuthConnectDeps {
  const smtp = smtpOptionsFromEnv();
  const egressIps = egressIpsFromEnv();
  const cipher = secretCipherFromEnv();
  return {
    store: createDynamoSettingsStore(),
    cipher,
    ...oauthDepsFromEnv(cipher),
    rateLimiter: createDynamoRateLimiter(),
    testSmtp: (settings, { sendTestMessage, beforeConnect, oauth }) => testSmtpSettings(settings, { ...smtp, egressIps, sendTestMessage, beforeConnect, oauth }),
    inboundDomain: requireEnv('INBOUND_DOMAIN'),
    testsPerMinute: intEnv('SMTP_TESTS_PER_MINUTE', 60),
    destinationsPerMinute: intEnv('SMTP_TEST_DESTINATIONS_PER_MINUTE', 20),
    defaultProvider: createSesDefaultProvider({ maxAttempts: 1 }),
    defaultFromAddress: parseSingleAddress(requireEnv('DEFAULT_FROM_ADDRESS'), 'DEFAULT_FROM_ADDRESS'),
    messageIdDomain: messageIdDomainFromEnv(),
    now: () => new Date(),
  };
}
