import { readFileSync } from 'node:fs';
import { outboundPolicyFromEnv } from '../smtp/destination-guard';
import type { OutboundPolicy } from '../smtp/types';

/**
 * What every connection to a customer's server shares, for the test button and sending alike:
 * the outbound policy and, from SMTP_TLS_EXTRA_CA_FILE, extra trusted CA certificates (a private
 * CA; the public roots stay trusted and checking stays on).
 */
export function smtpOptionsFromEnv(): { policy: OutboundPolicy; tlsCa?: string } {
  const caFile = process.env.SMTP_TLS_EXTRA_CA_FILE;
  return { policy: outboundPolicyFromEnv(), ...(caFile ? { tlsCa: readFileSync(caFile, 'utf8') } : {}) };
}
