/**
 * One bare mail address, strictly. Anything a mail parser could read in two ways (a display
 * name, angle brackets, comments, quoted local parts, groups, several addresses, IP literals)
 * is refused with a message that says why, instead of being "fixed": what we send is exactly
 * what the caller meant, or nothing.
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { AppError } from '../errors';
import { hasUnsafeHeaderCharacters, UNSAFE_HEADER_MESSAGE } from './header-text';

// RFC 5322 atext, ASCII only: a non-ASCII local part needs SMTPUTF8, which many servers lack.
const ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~-";
const LOCAL_PART = new RegExp(`^[${ATEXT}]+(?:\\.[${ATEXT}]+)*$`);
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

const MAX_ADDRESS_LENGTH = 254;
const MAX_LOCAL_PART_LENGTH = 64;
const MAX_DOMAIN_LENGTH = 253;

/** Why `value` is not an acceptable domain name, or null when it is. Expects the ASCII form. */
function asciiDomainProblem(domain: string): string | null {
  if (domain.length > MAX_DOMAIN_LENGTH) return 'domain is too long';
  if (isIP(domain) !== 0 || /^[0-9.]+$/.test(domain)) return 'IP addresses are not accepted as domains';
  const labels = domain.split('.');
  if (labels.length < 2) return 'domain must have at least two labels (example.com)';
  if (!labels.every((label) => DOMAIN_LABEL.test(label))) return 'domain is not a valid host name';
  const tld = labels[labels.length - 1];
  if (/^[0-9]+$/.test(tld)) return 'domain must not end with a numeric label';
  return null;
}

type Parsed = { ok: true; value: string } | { ok: false; message: string };

/** Normalises a domain name (IDN to punycode, lower case) or says why it is not acceptable. */
export function checkDomain(value: unknown): Parsed {
  if (typeof value !== 'string') return { ok: false, message: 'must be a string' };
  const trimmed = value.trim();
  if (trimmed === '') return { ok: false, message: 'domain is missing' };
  if (hasUnsafeHeaderCharacters(trimmed)) return { ok: false, message: UNSAFE_HEADER_MESSAGE };
  if (/[\s[\]]/.test(trimmed)) {
    return { ok: false, message: trimmed.includes('[') ? 'IP-literal domains are not accepted' : 'domain must not contain spaces' };
  }
  // domainToASCII lower-cases, applies IDNA (bücher.de -> xn--bcher-kva.de) and returns '' when invalid.
  const ascii = /^[\x21-\x7e]+$/.test(trimmed) ? trimmed.toLowerCase() : domainToASCII(trimmed);
  if (ascii === '') return { ok: false, message: 'domain is not a valid host name' };
  const problem = asciiDomainProblem(ascii);
  return problem === null ? { ok: true, value: ascii } : { ok: false, message: problem };
}

/** Normalises one bare address (`local@domain`, domain lower-cased and punycoded) or says why not. */
export function checkSingleAddress(value: unknown): Parsed {
  if (typeof value !== 'string') return { ok: false, message: 'must be a string' };
  const address = value.trim();
  if (address === '') return { ok: false, message: 'is required' };
  if (hasUnsafeHeaderCharacters(address)) return { ok: false, message: UNSAFE_HEADER_MESSAGE };
  if (address.length > MAX_ADDRESS_LENGTH) return { ok: false, message: `must be at most ${MAX_ADDRESS_LENGTH} characters` };
  if (/[<>]/.test(address)) {
    return { ok: false, message: 'must be a bare address (name@example.com), without a display name or angle brackets' };
  }
  if (address.includes('"')) return { ok: false, message: 'quoted local parts and quoted names are not accepted' };
  if (/[()]/.test(address)) return { ok: false, message: 'comments in parentheses are not accepted' };
  if (/[,;]/.test(address)) return { ok: false, message: 'must contain exactly one address' };
  if (address.includes(':')) return { ok: false, message: 'group syntax and URLs are not accepted' };
  if (/\s/.test(address)) return { ok: false, message: 'must not contain spaces' };
  if (/[[\]]/.test(address)) return { ok: false, message: 'IP-literal domains are not accepted' };
  if (address.includes('\\')) return { ok: false, message: 'backslash escapes are not accepted' };

  const at = address.split('@');
  if (at.length === 1) return { ok: false, message: 'must contain @ followed by a domain' };
  if (at.length > 2) return { ok: false, message: 'must contain exactly one @' };
  const [local, domain] = at;
  if (local === '') return { ok: false, message: 'the part before @ is missing' };
  if (domain === '') return { ok: false, message: 'the domain after @ is missing' };
  if (local.length > MAX_LOCAL_PART_LENGTH) return { ok: false, message: `the part before @ must be at most ${MAX_LOCAL_PART_LENGTH} characters` };
  if (!LOCAL_PART.test(local)) {
    return { ok: false, message: 'the part before @ may only contain letters, digits and !#$%&\'*+/=?^_`{|}~- separated by single dots' };
  }
  const checkedDomain = checkDomain(domain);
  if (!checkedDomain.ok) return checkedDomain;
  return { ok: true, value: `${local}@${checkedDomain.value}` };
}

/** Why `value` is not one acceptable bare address, or null (for schema refinements). */
export function addressProblem(value: unknown): string | null {
  const checked = checkSingleAddress(value);
  return checked.ok ? null : checked.message;
}

/**
 * Returns the normalised bare address, or throws `VALIDATION_FAILED` with one issue at `path`.
 * `a@good.com(x)evil.com`, `"a@b.com" <c@d.com>`, `a@b.com, c@d.com`, `team: a@b.com;`,
 * `a@[127.0.0.1]` and `"a b"@c.com` are all refused.
 */
export function parseSingleAddress(value: unknown, path = 'address'): string {
  const checked = checkSingleAddress(value);
  if (!checked.ok) {
    throw new AppError('VALIDATION_FAILED', `${path}: ${checked.message}`, [{ path, message: checked.message }]);
  }
  return checked.value;
}
