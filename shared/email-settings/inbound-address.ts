import { randomInt } from 'node:crypto';
import { MAIN_SCOPE } from './model';

const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

const slug = (value: string) =>
  value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 20)
    .replace(/-+$/, '');

/**
 * A readable but unguessable local part: the company (and sub-company) slug for humans, then
 * 12 random characters (about 60 bits) so that nobody can mail into another company's inbox
 * by guessing.
 */
export function newInboundLocalPart(companyId: string, scope: string): string {
  const random = Array.from({ length: 12 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  const parts = [slug(companyId) || 'company', scope === MAIN_SCOPE ? '' : slug(scope), random].filter(Boolean);
  return parts.join('-');
}
