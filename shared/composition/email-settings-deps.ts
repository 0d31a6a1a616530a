import { createDynamoRateLimiter } from '../adapters/dynamodb-rate-limiter';
import { createDynamoSettingsStore } from '../adapters/dynamodb-settings-store';
import { intEnv, requireEnv } from '../config';
import type { EmailSettingsDeps } from '../email-settings/email-settings-service';
import { outboundPolicyFromEnv } from '../smtp/destination-guard';
import { testSmtpSettings } from '../smtp/test-smtp-settings';
import { egressIpsFromEnv } from './egress-ips';
import { secretCipherFromEnv } from './secret-cipher-from-env';

/** The email-settings use cases wired to the adapters the environment names. */
export function emailSettingsDepsFromEnv(): EmailSettingsDeps {
  const policy = outboundPolicyFromEnv();
  const egressIps = egressIpsFromEnv();
  return {
    store: createDynamoSettingsStore(),
    cipher: secretCipherFromEnv(),
    rateLimiter: createDynamoRateLimiter(),
    testSmtp: (settings, { sendTestMessage }) => testSmtpSettings(settings, { policy, egressIps, sendTestMessage }),
    inboundDomain: requireEnv('INBOUND_DOMAIN'),
    testsPerMinute: intEnv('SMTP_TESTS_PER_MINUTE', 10),
    now: () => new Date(),
  };
}
