import { timingSafeEqual } from 'node:crypto';
import { MAIN_SCOPE } from './model';
import type { SettingsStore } from './settings-store';

/** A keyed MAC (KMS `GenerateMac` with an HMAC key on AWS, HMAC-SHA256 with the local key file locally). */
export type InboundAddressMac = (data: string) => Promise<Buffer>;

/** A scope's inbound address, derived from its ids, and the way back from an address to its scope. */
export interface InboundAddresses {
  /** The scope's address at the inbound domain: the same on every call, nothing stored. */
  addressOf(companyId: string, scope: string): Promise<string>;
  /** The company and scope a derived local part names, if its check characters are ours. */
  scopeOf(localPart: string): Promise<{ companyId: string; scope: string } | null>;
}

/** RFC 5321's limit of a local part. */
const MAX_LOCAL_PART = 64;
/** 12 characters of base32: 60 bits nobody can guess without the key. */
const CHECK_LENGTH = 12;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** An id that reads as itself in an address (lower case, digits, single inner hyphens). */
const PLAIN_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

const base32 = (bytes: Buffer) => {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
};

const fromBase32 = (text: string): Buffer | null => {
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of text) {
    const digit = BASE32.indexOf(char);
    if (digit < 0) return null;
    value = ((value << 5) | digit) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
};

/** An id as an address atom: as is when plain, else `_` and the base32 of its UTF-8 bytes (ids are case-sensitive). */
const encodeId = (id: string) => (PLAIN_ID.test(id) ? id : `_${base32(Buffer.from(id, 'utf8'))}`);
const decodeId = (atom: string): string | null => {
  if (PLAIN_ID.test(atom)) return atom;
  if (!atom.startsWith('_')) return null;
  const bytes = fromBase32(atom.slice(1));
  const id = bytes?.toString('utf8') ?? null;
  return id !== null && !PLAIN_ID.test(id) && encodeId(id) === atom ? id : null;
};

const slug = (value: string) =>
  value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 20)
    .replace(/-+$/, '');

/**
 * Inbound addresses that need no write to exist: `<company>.<scope>.<check>` (`<company>.<check>`
 * for the company's own scope `main`), where the ids are readable (or base32 when they are not
 * plain lower-case ids) and the check is a keyed MAC of both. A GET can show the address of a
 * scope never configured, and mail to it finds its scope from the address alone, before
 * anything is stored; nobody can make up an address of another company without the key.
 *
 * Ids too long for a 64-character local part get `<slug>-<check>` (16 check characters), which
 * names its scope only through the address directory: it is reserved with the scope's first
 * write, and mail sent to it before that is not filed.
 */
export function inboundAddresses(inboundDomain: string, mac: InboundAddressMac): InboundAddresses {
  const check = async (companyId: string, scope: string, length: number) =>
    base32(await mac(`inbound-address\u0000${companyId}\u0000${scope}`)).slice(0, length);
  const reversible = (companyId: string, scope: string) => [encodeId(companyId), ...(scope === MAIN_SCOPE ? [] : [encodeId(scope)])];
  return {
    async addressOf(companyId, scope) {
      const atoms = reversible(companyId, scope);
      const local = [...atoms, await check(companyId, scope, CHECK_LENGTH)].join('.');
      if (local.length <= MAX_LOCAL_PART) return `${local}@${inboundDomain}`;
      const readable = [slug(companyId) || 'company', scope === MAIN_SCOPE ? '' : slug(scope)].filter(Boolean).join('-');
      return `${readable}-${await check(companyId, scope, 16)}@${inboundDomain}`;
    },
    async scopeOf(localPart) {
      const atoms = localPart.toLowerCase().split('.');
      if (atoms.length < 2 || atoms.length > 3) return null;
      const given = atoms.pop()!;
      const companyId = decodeId(atoms[0]!);
      const scope = atoms.length === 2 ? decodeId(atoms[1]!) : MAIN_SCOPE;
      if (companyId === null || scope === null || given.length !== CHECK_LENGTH) return null;
      if (atoms.length === 2 && scope === MAIN_SCOPE) return null;
      const expected = await check(companyId, scope, CHECK_LENGTH);
      return timingSafeEqual(Buffer.from(expected), Buffer.from(given)) ? { companyId, scope } : null;
    },
  };
}

/** Whose mail an inbound local part is: the address directory (reserved addresses), else a derived address's own ids. */
export async function scopeOfInboundAddress(
  deps: { settings: Pick<SettingsStore, 'findByInboundAddress' | 'companyOffboarded'>; inboundAddresses: InboundAddresses },
  localPart: string,
): Promise<{ companyId: string; scope: string } | null> {
  const reserved = await deps.settings.findByInboundAddress(localPart);
  if (reserved) return reserved;
  // Not reserved (a scope only ever read), or retired: the address names its scope, unless its
  // company was offboarded, whose addresses stay reserved for no one (DESIGN capability 9).
  const derived = await deps.inboundAddresses.scopeOf(localPart);
  return derived && !(await deps.settings.companyOffboarded(derived.companyId)) ? derived : null;
}
