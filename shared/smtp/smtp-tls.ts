/**
 * The TLS options of every connection to a company's SMTP server (test probe and sending):
 * certificate checking on, TLS 1.2 or newer, the checked host name as SNI, and an untrusted
 * certificate accepted only inside the private ranges this installation allows (OutboundPolicy).
 */
import tls from 'node:tls';
import type { CheckedDestination } from './destination-guard';
import type { OutboundPolicy } from './types';

/** Extra trusted CA certificates (tests, local mode, private CAs). */
export type ExtraCas = string | Buffer | Array<string | Buffer>;

export interface SmtpTlsOptions {
  servername?: string;
  ca?: Array<string | Buffer>;
  rejectUnauthorized: boolean;
  minVersion: 'TLSv1.2';
}

export function smtpTlsOptions(
  destination: Pick<CheckedDestination, 'servername' | 'inAllowedPrivateRange'>,
  policy: OutboundPolicy,
  extraCas?: ExtraCas,
): SmtpTlsOptions {
  return {
    ...(destination.servername ? { servername: destination.servername } : {}),
    ca: extraCas ? withPublicRoots(extraCas) : undefined,
    rejectUnauthorized: !(policy.acceptUntrustedCertificatesInAllowedCidrs && destination.inAllowedPrivateRange),
    minVersion: 'TLSv1.2',
  };
}

/** Node's `ca` option replaces the public roots; a server with a public certificate must still pass. */
export function withPublicRoots(ca: ExtraCas): Array<string | Buffer> {
  return [...tls.rootCertificates, ...(Array.isArray(ca) ? ca : [ca])];
}
