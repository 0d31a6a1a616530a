import { requireEnv } from '../config';
import { checkDomain } from '../outbound/address';

/**
 * The domain of our Message-IDs: the default sender's, checked at start-up. A module of its own
 * so that functions needing only this (email-settings) do not bundle the messages adapters.
 */
export function messageIdDomainFromEnv(): string {
  const domain = requireEnv('DEFAULT_SENDER_DOMAIN');
  const checked = checkDomain(domain);
  if (!checked.ok) throw new Error(`DEFAULT_SENDER_DOMAIN "${domain}" ${checked.message}`);
  return checked.value;
}
