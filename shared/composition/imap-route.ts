import type { InboundImapConfig, SmtpPolicyConfig } from '../config/concerns';
import { imapPolicyOf, type ImapRoute } from '../inbound-mailbox/imap-destination';
import { smtpOptionsOf } from './smtp-options';

/** The way to customers' IMAP servers: the SMTP policy (ranges, plaintext, CAs) with IMAP's ports. */
export function imapRouteOf(smtp: SmtpPolicyConfig, imap: InboundImapConfig): ImapRoute {
  const { policy, tlsCa } = smtpOptionsOf(smtp);
  return { policy: imapPolicyOf(policy, imap.allowedPorts), ...(tlsCa ? { tlsCa } : {}) };
}
