import { createDynamoInboundMailboxStore } from '../adapters/dynamodb-inbound-mailbox-store';
import type { InboundMailboxFunctionConfig } from '../config/function-configs';
import { connectWithImapflow } from '../inbound-mailbox/imapflow-mailbox-reader';
import type { PollMailboxDeps } from '../inbound-mailbox/poll-mailbox';
import { fileInboundMail } from '../messages/file-inbound-mail';
import { loadedOnFirstCall } from '../on-first-use';
import type { SecretCipher } from '../secrets/secret-cipher';
import { imapRouteOf } from './imap-route';
import { inboundDeps } from './inbound-deps';
import { oauthDeps } from './oauth-deps';

/**
 * The mailbox poller wired to the adapters: the inbound filer (the same as forwarded mail's),
 * the password cipher and the OAuth2 access tokens (one token store with sending), imapflow,
 * and the IMAP route through the destination guard. Built once per cold start.
 */
export function inboundMailboxDeps(config: InboundMailboxFunctionConfig): PollMailboxDeps {
  const filing = inboundDeps(config);
  const tableName = config.storage.tableName;
  const cipher = loadedOnFirstCall<SecretCipher>(async () => (await import('./secret-cipher-from-env')).secretCipherOf(config.secrets));
  const { oauthTokens } = oauthDeps({ tableName, secrets: config.secrets, oauth: config.oauth }, cipher);
  return {
    settings: filing.settings,
    mailboxes: createDynamoInboundMailboxStore(undefined, tableName),
    blobs: filing.blobs,
    file: (delivery) => fileInboundMail(filing, delivery),
    cipher,
    oauthTokens,
    connect: connectWithImapflow,
    route: imapRouteOf(config.smtp, config.imap),
    limits: { maxMessages: config.imap.maxMessagesPerRun, maxSeconds: config.imap.maxSecondsPerRun, leaseSeconds: config.imap.leaseSeconds },
    now: () => new Date(),
  };
}
