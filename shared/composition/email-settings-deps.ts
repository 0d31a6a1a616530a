import { createDynamoRateLimiter } from '../adapters/dynamodb-rate-limiter';
import { createDynamoSettingsStore } from '../adapters/dynamodb-settings-store';
import type { EmailSettingsFunctionConfig } from '../config/function-configs';
import { createSesDefaultProvider } from '../adapters/ses-default-provider';
import type { EmailSettingsDeps } from '../email-settings/email-settings-service';
import type { RedirectTestDeps } from '../email-settings/send-redirect-test';
import { parseSingleAddress } from '../outbound/address';
import { messageIdDomainOf } from './message-id-domain';
import { testSmtpSettings } from '../smtp/test-smtp-settings';
import type { OAuthConnectDeps } from '../email-settings/connect-oauth-mailbox';
import { oauthDeps } from './oauth-deps';
import { secretCipherOf } from './secret-cipher-from-env';
import { smtpOptionsOf } from './smtp-options';

/** The email-settings use cases wired to the adapters the function's configuration names. */
export function emailSettingsDeps(config: EmailSettingsFunctionConfig): EmailSettingsDeps & RedirectTestDeps & OAuthConnectDeps {
  const smtp = smtpOptionsOf(config.smtp);
  const egressIps = config.smtp.egressIps;
  const cipher = secretCipherOf(config.secrets);
  return {
    store: createDynamoSettingsStore(undefined, config.tableName),
    cipher,
    ...oauthDeps(config, cipher),
    rateLimiter: createDynamoRateLimiter(undefined, config.tableName),
    testSmtp: (settings, { sendTestMessage, beforeConnect, oauth }) => testSmtpSettings(settings, { ...smtp, egressIps, sendTestMessage, beforeConnect, oauth }),
    inboundDomain: config.mail.inboundDomain,
    testsPerMinute: config.smtpTestLimits.testsPerMinute,
    destinationsPerMinute: config.smtpTestLimits.destinationsPerMinute,
    defaultProvider: createSesDefaultProvider({ maxAttempts: 1 }),
    defaultFromAddress: parseSingleAddress(config.mail.defaultFromAddress, 'DEFAULT_FROM_ADDRESS'),
    messageIdDomain: messageIdDomainOf(config.mail),
    now: () => new Date(),
  };
}
