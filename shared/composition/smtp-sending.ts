import type { SendWorkerFunctionConfig } from '../config/function-configs';
import type { OAuthSettings } from '../oauth/oauth-config';
import { sendWithOAuth } from '../oauth/send-with-oauth';
import type { SecretCipher } from '../secrets/secret-cipher';
import type { SendSmtp } from '../smtp/smtp-port';
import { sendViaSmtp } from '../smtp/send-via-smtp';
import { SmtpConnectionPool } from '../smtp/smtp-connection-pool';
import { oauthDeps } from './oauth-deps';
import { createDynamoConnectionLeases } from '../adapters/dynamodb-mailbox-limits';
import { secretCipherOf } from './secret-cipher-from-env';
import { smtpOptionsOf } from './smtp-options';

/**
 * What sending through a company's own server needs (the password cipher, OAuth2 access tokens,
 * nodemailer's connection and the connection pool), loaded by the send worker with the first
 * message that goes that way. `endBatch` closes the batch's connections: they are reused
 * within a batch only, so a server that changed its mind about our login (a new password, auth
 * turned off) is asked again for the next batch instead of being bypassed by a session that
 * logged in earlier.
 */
export function smtpSending(config: SendWorkerFunctionConfig, oauth: OAuthSettings): { cipher: SecretCipher; sendSmtp: SendSmtp; endBatch(): Promise<void> } {
  const smtp = smtpOptionsOf(config.smtp);
  const cipher = secretCipherOf(config.secrets);
  const { oauthTokens } = oauthDeps({ ...config, tableName: config.storage.tableName }, cipher, oauth);
  // The mailboxes' connection semaphore, shared with every other worker (capability 11).
  const leases = createDynamoConnectionLeases({ leaseSeconds: config.mailboxLimits.connectionLeaseSeconds }, undefined, config.storage.tableName);
  let pool = new SmtpConnectionPool({ leases });
  return {
    cipher,
    // OAuth2 settings get their access token here (cached across warm invocations).
    sendSmtp: sendWithOAuth(oauthTokens, (settings, message) => sendViaSmtp(settings, message, { ...smtp, pool })),
    async endBatch() {
      const finished = pool;
      pool = new SmtpConnectionPool({ leases });
      await finished.close();
    },
  };
}
