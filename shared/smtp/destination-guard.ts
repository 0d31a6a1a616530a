/**
 * Outbound safety for every connection to a customer's mail server (DESIGN section 2).
 *
 * The host is resolved exactly once, here; every address it resolves to must be public (or
 * inside an operator-exempted CIDR), and the caller then connects to the returned IP with the
 * hostname only as TLS servername. Resolving again later (as nodemailer would) would let a
 * DNS-rebinding name pass this check with one address and connect to another.
 */
import { promises as dns } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { smtpPolicyConfig, type SmtpPolicyConfig } from '../config/concerns';
import { SMTP_ALLOWED_PORTS } from '../smtp-allowed-ports';
import type { OutboundPolicy, SmtpResultCode, SmtpStage } from './types';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a hostname to all of its addresses; injectable so tests control DNS. */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const defaultResolver: HostResolver = async (hostname) => {
  const found = await dns.lookup(hostname, { all: true, verbatim: true });
  return found.map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));
};

/** A destination that passed every check: connect to `address`, present `servername` for TLS. */
export interface CheckedDestination {
  ok: true;
  /** The IP to connect to (pinned: no second lookup). */
  address: string;
  family: 4 | 6;
  port: number;
  /** The hostname for SNI and certificate checking; null when the host was an IP literal. */
  servername: string | null;
  /** Every address the host resolved to, all of them checked. */
  resolved: string[];
  /** The address is a private one the operator allowed (SMTP_ALLOWED_PRIVATE_CIDRS). */
  inAllowedPrivateRange: boolean;
}

export interface RefusedDestination {
  ok: false;
  code: SmtpResultCode;
  stage: SmtpStage;
  message: string;
  hint: string;
}

export type DestinationCheck = CheckedDestination | RefusedDestination;

export const DEFAULT_ALLOWED_PORTS: readonly number[] = SMTP_ALLOWED_PORTS;

/** The policy of SMTP_ALLOWED_PORTS, SMTP_ALLOWED_PRIVATE_CIDRS, SMTP_ALLOW_PLAINTEXT and SMTP_TLS_ACCEPT_UNTRUSTED_IN_ALLOWED_CIDRS, checked. */
export function outboundPolicyOf(config: SmtpPolicyConfig): OutboundPolicy {
  const ports = config.allowedPorts;
  if (ports.length === 0) throw new Error(`SMTP_ALLOWED_PORTS is empty: list the ports (default ${DEFAULT_ALLOWED_PORTS.join(',')}) or * for any`);
  let allowedPorts: number[] | '*';
  if (ports.includes('*')) {
    allowedPorts = '*';
  } else {
    allowedPorts = ports.map((item) => {
      const port = Number(item);
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new Error(`SMTP_ALLOWED_PORTS: "${item}" is not a port number`);
      }
      return port;
    });
  }
  const allowedPrivateCidrs = config.allowedPrivateCidrs;
  for (const cidr of allowedPrivateCidrs) {
    // Fail at start-up, not on the first test, when the operator mistyped a range.
    if (!isValidCidr(cidr)) throw new Error(`SMTP_ALLOWED_PRIVATE_CIDRS: "${cidr}" is not a CIDR range`);
  }
  return {
    allowedPorts,
    allowedPrivateCidrs,
    allowPlaintext: config.allowPlaintext,
    acceptUntrustedCertificatesInAllowedCidrs: config.acceptUntrustedCertificatesInAllowedCidrs,
  };
}

/** The policy of the environment as it is now (tests and scripts; functions get theirs from their config). */
export const outboundPolicyFromEnv = (): OutboundPolicy => outboundPolicyOf(smtpPolicyConfig());

function isValidCidr(cidr: string): boolean {
  try {
    ipaddr.parseCIDR(cidr);
    return true;
  } catch {
    return false;
  }
}

export function isPortAllowed(port: number, policy: OutboundPolicy): boolean {
  if (!Number.isInteger(port) || port < 1 || port > 65535) return false;
  return policy.allowedPorts === '*' || policy.allowedPorts.includes(port);
}

/**
 * An IP literal in any form getaddrinfo would accept (`0x7f.1`, `2130706433`, `0177.0.0.1`,
 * `127.1`, `[::1]`), normalised to its canonical text; null when `host` is a name.
 */
export function normaliseIpLiteral(host: string): string | null {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (ipaddr.IPv4.isValid(bare)) return ipaddr.IPv4.parse(bare).toString();
  if (ipaddr.IPv6.isValid(bare)) return ipaddr.IPv6.parse(bare).toString();
  return null;
}

// Ranges refused in addition to whatever ipaddr.js does not call 'unicast'; listed so the
// policy does not depend on one library version's range table.
const EXTRA_BLOCKED_V4 = ['0.0.0.0/8', '100.64.0.0/10', '192.0.0.0/24', '198.18.0.0/15', '240.0.0.0/4'];
const EXTRA_BLOCKED_V6 = [
  '::/96', // IPv4-compatible (deprecated), embeds an IPv4 address
  '::ffff:0:0/96', // IPv4-mapped
  '64:ff9b::/96', // NAT64 well-known prefix
  '64:ff9b:1::/48', // NAT64 local-use prefix
  '2002::/16', // 6to4
  '2001::/32', // Teredo
  'fc00::/7',
  'fe80::/10',
  'fec0::/10',
  'ff00::/8',
];

/** Why an address may not be connected to, or null when it is a public unicast address. */
export function blockedReason(address: string): string | null {
  const ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv4') {
    const v4 = ip as ipaddr.IPv4;
    const range = v4.range();
    if (address === '169.254.169.254') return `${address} is the cloud metadata service (link-local)`;
    if (range !== 'unicast') return `${address} is ${article(describeRange(range))} ${describeRange(range)} address`;
    for (const cidr of EXTRA_BLOCKED_V4) {
      if (v4.match(ipaddr.IPv4.parseCIDR(cidr))) return `${address} is in the reserved range ${cidr}`;
    }
    return null;
  }
  const v6 = ip as ipaddr.IPv6;
  const embedded = embeddedIpv4(v6);
  const range = v6.range();
  if (range !== 'unicast') {
    // ::1 and :: are not IPv4 carriers, whatever their last bits say.
    const carries = embedded && range !== 'loopback' && range !== 'unspecified' ? ` (it carries the IPv4 address ${embedded})` : '';
    return `${address} is ${article(describeRange(range))} ${describeRange(range)} address${carries}`;
  }
  for (const cidr of EXTRA_BLOCKED_V6) {
    if (v6.match(ipaddr.IPv6.parseCIDR(cidr))) return `${address} is in the reserved range ${cidr}`;
  }
  return null;
}

/** The IPv4 address that a transition-mechanism IPv6 address carries, if any. */
function embeddedIpv4(ip: ipaddr.IPv6): string | null {
  const parts = ip.parts;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (ip.isIPv4MappedAddress()) return ip.toIPv4Address().toString();
  if (ip.match(ipaddr.IPv6.parseCIDR('64:ff9b::/96')) || ip.match(ipaddr.IPv6.parseCIDR('::/96'))) {
    return v4(parts[6], parts[7]);
  }
  if (ip.match(ipaddr.IPv6.parseCIDR('2002::/16'))) return v4(parts[1], parts[2]);
  // Teredo stores the server's IPv4 in clear and the client's inverted.
  if (ip.match(ipaddr.IPv6.parseCIDR('2001::/32'))) return v4(parts[2], parts[3]);
  return null;
}

const RANGE_NAMES: Record<string, string> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT (100.64.0.0/10)',
  private: 'private-network',
  uniqueLocal: 'unique-local (private IPv6)',
  ipv4Mapped: 'IPv4-mapped IPv6',
  rfc6052: 'NAT64 (64:ff9b::/96)',
  rfc6145: 'IPv4-translated IPv6',
  '6to4': '6to4 (2002::/16)',
  teredo: 'Teredo',
};

function describeRange(range: string): string {
  return RANGE_NAMES[range] ?? `reserved (${range})`;
}

/** 'an unspecified', 'an IPv4-mapped', but 'a unique-local'. */
const article = (words: string): string => (/^(?:[aeioAEIO]|un(?!i))/.test(words) ? 'an' : 'a');

function isExempt(address: string, cidrs: string[]): boolean {
  const ip = ipaddr.parse(address);
  return cidrs.some((cidr) => {
    const [network, bits] = ipaddr.parseCIDR(cidr);
    // Exemptions apply within one address family: 127.0.0.0/8 does not open ::1 or ::ffff:127.0.0.1.
    return network.kind() === ip.kind() && ip.match(network, bits);
  });
}

const isLoopback = (address: string): boolean => ipaddr.parse(address).range() === 'loopback';

/**
 * A name whose every address is this host's loopback (`localhost` resolves to ::1 and
 * 127.0.0.1 on most systems) names one destination: where the operator exempted loopback in
 * one family, only the exempt addresses are kept (and one of them pinned). Any other mix of
 * allowed and blocked addresses is refused, as a name that also points elsewhere.
 */
function sameHostLoopback(addresses: ResolvedAddress[], policy: OutboundPolicy): ResolvedAddress[] {
  if (!addresses.every((entry) => isLoopback(entry.address))) return addresses;
  const exempt = addresses.filter((entry) => isExempt(entry.address, policy.allowedPrivateCidrs));
  return exempt.length > 0 ? exempt : addresses;
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)*\.?$/i;

function refuse(code: SmtpResultCode, stage: SmtpStage, message: string, hint: string): RefusedDestination {
  return { ok: false, code, stage, message, hint };
}

/** Errors of `dns.lookup` that mean "this name does not exist", as opposed to "ask again later". */
const NOT_FOUND_DNS_CODES = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA', 'ENONAME', 'NXDOMAIN']);

export interface GuardOptions {
  resolver?: HostResolver;
  /** How long the lookup may take; a hung resolver counts as a temporary DNS failure. */
  dnsTimeoutMs?: number;
}

/**
 * Checks port and host against the policy and resolves the host once. Never throws for a
 * refusal: the answer says which code and stage stopped it.
 */
export async function checkDestination(
  host: string,
  port: number,
  policy: OutboundPolicy,
  options: GuardOptions = {},
): Promise<DestinationCheck> {
  if (!isPortAllowed(port, policy)) {
    const allowed = policy.allowedPorts === '*' ? 'any' : policy.allowedPorts.join(', ');
    return refuse(
      'PORT_NOT_ALLOWED',
      'policy',
      `Port ${port} is not allowed for outgoing mail (allowed: ${allowed}).`,
      'Use the submission port your provider documents, usually 587 (STARTTLS) or 465 (SSL/TLS).',
    );
  }
  const trimmed = host.trim();
  const literal = normaliseIpLiteral(trimmed);
  let addresses: ResolvedAddress[];
  let servername: string | null;
  if (literal) {
    addresses = [{ address: literal, family: ipaddr.parse(literal).kind() === 'ipv6' ? 6 : 4 }];
    servername = null;
  } else {
    if (!HOSTNAME.test(trimmed)) {
      return refuse(
        'DNS_NOT_FOUND',
        'dns',
        `"${trimmed}" is not a valid host name.`,
        'Enter only the server name, for example smtp.example.com, without "smtp://", a port or spaces.',
      );
    }
    servername = trimmed.replace(/\.$/, '').toLowerCase();
    const looked = await lookupOnce(servername, options);
    if (!looked.ok) return looked;
    addresses = sameHostLoopback(looked.addresses, policy);
  }
  for (const entry of addresses) {
    const reason = blockedReason(entry.address);
    if (reason && !isExempt(entry.address, policy.allowedPrivateCidrs)) {
      const via = servername ? `${servername} resolves to ${entry.address}: ` : '';
      return refuse(
        'DESTINATION_BLOCKED',
        'dns',
        `The mail server address is not allowed: ${via}${reason}.`,
        'Enter the public host name of your mail server. Servers inside a private network cannot be reached from this service.',
      );
    }
  }
  // Lambda's VPC egress is IPv4 (NAT with Elastic IPs, which customers allowlist), so prefer it.
  const pinned = addresses.find((entry) => entry.family === 4) ?? addresses[0];
  return {
    ok: true,
    address: pinned.address,
    family: pinned.family,
    port,
    servername,
    resolved: addresses.map((entry) => entry.address),
    inAllowedPrivateRange: blockedReason(pinned.address) !== null,
  };
}

async function lookupOnce(
  hostname: string,
  options: GuardOptions,
): Promise<{ ok: true; addresses: ResolvedAddress[] } | RefusedDestination> {
  const resolver = options.resolver ?? defaultResolver;
  const timeoutMs = options.dnsTimeoutMs ?? 3000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('DNS lookup timed out'), { code: 'ETIMEOUT' })), timeoutMs);
    });
    const found = await Promise.race([resolver(hostname), timeout]);
    const addresses = found
      .map((entry) => ({ address: normaliseIpLiteral(entry.address), family: entry.family }))
      .filter((entry): entry is ResolvedAddress => entry.address !== null);
    if (addresses.length === 0) {
      return refuse('DNS_NOT_FOUND', 'dns', `${hostname} has no address.`, dnsNotFoundHint(hostname));
    }
    return { ok: true, addresses };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (NOT_FOUND_DNS_CODES.has(code)) {
      return refuse('DNS_NOT_FOUND', 'dns', `The host name ${hostname} does not exist.`, dnsNotFoundHint(hostname));
    }
    return refuse(
      'TEMPORARY_FAILURE',
      'dns',
      `The host name ${hostname} could not be looked up right now (${code || 'DNS error'}).`,
      'This is usually temporary. Try again in a few minutes; if it persists, ask your IT whether the domain\'s DNS servers answer.',
    );
  } finally {
    clearTimeout(timer);
  }
}

function dnsNotFoundHint(hostname: string): string {
  return `Check the spelling of "${hostname}". Use the SMTP server name your provider documents (for example smtp.gmail.com or smtp.office365.com), not your website or mail domain.`;
}
