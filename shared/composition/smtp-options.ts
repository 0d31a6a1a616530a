import { readFileSync } from 'node:fs';
import type { SmtpPolicyConfig } from '../config/concerns';
import { outboundPolicyOf } from '../smtp/destination-guard';
import type { OutboundPolicy } from '../smtp/types';

/**
 * What every connection to a customer's server shares, for the test button and sending alike:
 * the outbound policy and, from SMTP_TLS_EXTRA_CA_FILE, extra trusted CA certificates (a private
 * CA; the public roots stay trusted and checking stays on).
 */
export function smtpOptionsOf(smtp: SmtpPolicyConfig): { policy: OutboundPolicy; tlsCa?: string } {
  return { policy: outboundPolicyOf(smtp), ...(smtp.extraCaFile ? { tlsCa: readFileSync(smtp.extraCaFile, 'utf8') } : {}) };
}
