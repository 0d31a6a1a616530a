import type { MailDomainsConfig } from '../config/concerns';
import { checkDomain } from '../outbound/address';

/**
 * The domain of our Message-IDs: the default sender's, checked at start-up. A module of its own
 * so that functions needing only this (email-settings) do not bundle the messages adapters.
 */
export function messageIdDomainOf(mail: MailDomainsConfig): string {
  const domain = mail.defaultSenderDomain;
  const checked = checkDomain(domain);
  if (!checked.ok) throw new Error(`DEFAULT_SENDER_DOMAIN "${domain}" ${checked.message}`);
  return checked.value;
}
