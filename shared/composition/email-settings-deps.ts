import { createDynamoRateLimiter } from '../adapters/dynamodb-rate-limiter';
import { createDynamoSettingsStore } from '../adapters/dynamodb-settings-store';
import type { EmailSettingsFunctionConfig } from '../config/function-configs';
import type { EmailSettingsDeps } from '../email-settings/email-settings-service';
import type { RedirectTestDeps } from '../email-settings/send-redirect-test';
import type { DefaultProvider } from '../outbound/default-provider';
import { parseSingleAddress } from '../outbound/address';
import type { SecretCipher } from '../secrets/secret-cipher';
import { messageIdDomainOf } from './message-id-domain';
import type { OAuthConnectDeps } from '../email-settings/connect-oauth-mailbox';
import { oauthDeps } from './oauth-deps';
import { loadedOnFirstCall } from '../on-first-use';
import { assertSecretKeyConfigured } from './secret-key-configured';
import { inboundAddressesOf } from './inbound-addresses';
import { smtpOptionsOf } from './smtp-options';
import { createDynamoInboundMailboxStore } from '../adapters/dynamodb-inbound-mailbox-store';
import type { InboundSettingsDeps } from '../inbound-mailbox/inbound-settings-service';
import { imapRouteOf } from './imap-route';

/**
 * The email-settings use cases wired to the adapters the function's configuration names. What
 * only some routes use is loaded with the first call that needs it: the test probe (nodemailer's
 * connection), KMS for passwords, SES for the redirect test. A missing key still stops the
 * function at start-up.
 */
export function emailSettingsDeps(config: EmailSettingsFunctionConfig): EmailSettingsDeps & RedirectTestDeps & OAuthConnectDeps & InboundSettingsDeps {
  const smtp = smtpOptionsOf(config.smtp);
  const imapRoute = imapRouteOf(config.smtp, config.imap);
  const egressIps = config.smtp.egressIps;
  assertSecretKeyConfigured(config.secrets);
  const cipher = loadedOnFirstCall<SecretCipher>(async () => (await import('./secret-cipher-from-env')).secretCipherOf(config.secrets));
  return {
    store: createDynamoSettingsStore(undefined, config.tableName),
    cipher,
    ...oauthDeps(config, cipher),
    rateLimiter: createDynamoRateLimiter(undefined, config.tableName),
    testSmtp: async (settings, { sendTestMessage, beforeConnect, oauth }) =>
      (await import('../smtp/test-smtp-settings')).testSmtpSettings(settings, { ...smtp, egressIps, sendTestMessage, beforeConnect, oauth }),
    // The inbound test loads imapflow only when it runs.
    testImap: async (settings, { beforeConnect, oauth }) => {
      const [{ testImapSettings }, { connectWithImapflow }] = await Promise.all([
        import('../inbound-mailbox/test-imap-settings'),
        import('../inbound-mailbox/imapflow-mailbox-reader'),
      ]);
      return testImapSettings(settings, { ...imapRoute, connect: connectWithImapflow, egressIps, beforeConnect, oauth });
    },
    mailboxes: createDynamoInboundMailboxStore(undefined, config.tableName),
    inboundDomain: config.mail.inboundDomain,
    inboundAddresses: inboundAddressesOf(config.secrets, config.mail.inboundDomain),
    maxScopesPerCompany: config.scopeLimits.maxScopesPerCompany,
    testsPerMinute: config.smtpTestLimits.testsPerMinute,
    destinationsPerMinute: config.smtpTestLimits.destinationsPerMinute,
    defaultProvider: loadedOnFirstCall<DefaultProvider>(async () => (await import('../adapters/ses-default-provider')).createSesDefaultProvider({ maxAttempts: 1, configurationSetName: config.defaultProvider.configurationSet })),
    defaultFromAddress: parseSingleAddress(config.mail.defaultFromAddress, 'DEFAULT_FROM_ADDRESS'),
    messageIdDomain: messageIdDomainOf(config.mail),
    now: () => new Date(),
  };
}
