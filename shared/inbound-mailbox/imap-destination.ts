/**
 * The way to a company's IMAP server, shared by the inbound test and the poller: the SMTP
 * outbound policy (private ranges, plaintext, certificates) with IMAP's own ports, the
 * destination guard (resolved once, private addresses refused, the checked IP pinned), and the
 * TLS options of every connection to a customer's server.
 */
import { checkDestination, type CheckedDestination, type HostResolver, type RefusedDestination } from '../smtp/destination-guard';
import { smtpTlsOptions, type ExtraCas } from '../smtp/smtp-tls';
import type { OutboundPolicy } from '../smtp/types';
import type { ImapConnectTarget } from './mailbox-reader';
import type { ImapServerSettings } from './model';

/** The SMTP policy with the IMAP ports (IMAP_ALLOWED_PORTS) in place of SMTP's. */
export function imapPolicyOf(smtpPolicy: OutboundPolicy, allowedPorts: string[]): OutboundPolicy {
  if (allowedPorts.length === 0) throw new Error('IMAP_ALLOWED_PORTS is empty: list the ports (default 143,993) or * for any');
  if (allowedPorts.includes('*')) return { ...smtpPolicy, allowedPorts: '*' };
  const ports = allowedPorts.map((item) => {
    const port = Number(item);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`IMAP_ALLOWED_PORTS: "${item}" is not a port number`);
    return port;
  });
  return { ...smtpPolicy, allowedPorts: ports };
}

export interface ImapRoute {
  policy: OutboundPolicy;
  resolver?: HostResolver;
  tlsCa?: ExtraCas;
}

/** The checked destination, or the refusal in IMAP's words. */
export async function checkImapDestination(
  settings: Pick<ImapServerSettings, 'host' | 'port' | 'security'>,
  route: ImapRoute,
  dnsTimeoutMs: number,
): Promise<CheckedDestination | RefusedDestination> {
  if (settings.security === 'none' && !route.policy.allowPlaintext) {
    return {
      ok: false,
      code: 'DESTINATION_BLOCKED',
      stage: 'policy',
      message: 'Unencrypted IMAP (security "none") is not allowed by this service.',
      hint: 'Choose SSL/TLS (usually port 993) or STARTTLS (usually port 143).',
    };
  }
  const checked = await checkDestination(settings.host, settings.port, route.policy, { resolver: route.resolver, dnsTimeoutMs });
  if (checked.ok || checked.code !== 'PORT_NOT_ALLOWED') return checked;
  const allowed = route.policy.allowedPorts === '*' ? 'any' : route.policy.allowedPorts.join(', ');
  return { ...checked, message: `Port ${settings.port} is not allowed for IMAP (allowed: ${allowed}).`, hint: 'Use 993 (SSL/TLS) or 143 (STARTTLS).' };
}

/** Where the adapter connects: the checked IP, the host name only for TLS. */
export function imapTargetOf(
  destination: CheckedDestination,
  settings: Pick<ImapServerSettings, 'port' | 'security'>,
  route: ImapRoute,
  login: { user: string; password?: string; accessToken?: string },
  timeoutMs: number,
): ImapConnectTarget {
  return {
    address: destination.address,
    servername: destination.servername,
    port: settings.port,
    security: settings.security,
    tls: smtpTlsOptions(destination, route.policy, route.tlsCa),
    ...login,
    timeoutMs,
  };
}
