/**
 * The tenant identity rule: how the company and roles claims of a verified token are read.
 * One exact rule, the same on AWS (API Gateway's JWT authorizer hands claims to Lambda as
 * strings, arrays flattened to `[a b]`) and locally (infra/local/local-jwt.ts refuses tokens
 * whose raw claims are not strings or string arrays, then flattens as API Gateway does).
 *
 * Company claim: a string of 1-128 characters from `A-Z a-z 0-9 . _ : @ -`, starting with a
 * letter or digit, used exactly as issued (no trimming, no case folding: `Acme` and `acme` are
 * two tenants). `null`, `true`, `false` and `undefined` are refused: that is how API Gateway
 * passes a JSON null or boolean claim, not a company. (A JSON number claim arrives on AWS as
 * its digits and is accepted as that string; the local authorizer refuses it.) `#`, `/`,
 * spaces, control characters, brackets and braces are outside the alphabet, so no flattened
 * array or object and nothing that could split a storage key gets through.
 *
 * Roles claim: a string array (each item a role name), or a string. A string in brackets is
 * API Gateway's flattened array: the text between the brackets split on single spaces
 * (`[admin recruiter]`, `[]` for none). Any other string is one role name (`admin`). Role
 * names are compared exactly (`Admin` is not `admin`); names this product does not know are
 * ignored (a token may carry roles of other products). Any other type is refused.
 */
import { AppError } from '../errors';
import { ENTITY_ID_PATTERN } from '../entity-id';

export const ROLES = ['admin', 'recruiter'] as const;
export type Role = (typeof ROLES)[number];

/** Company ids follow the storage-key id rule. */
export const COMPANY_ID_PATTERN = ENTITY_ID_PATTERN;
const FLATTENED_NON_STRINGS = new Set(['null', 'true', 'false', 'undefined']);

/** The company id from the claim, or a 401 saying what is wrong with it. */
export function companyIdFromClaim(value: unknown, claimName: string): string {
  const refuse = (why: string) =>
    new AppError('UNAUTHORIZED', `The token's ${claimName} claim ${why}; it must be 1-128 characters from A-Z a-z 0-9 . _ : @ - starting with a letter or digit`);
  if (value === undefined || value === null || value === '') throw refuse('is missing');
  if (typeof value !== 'string') throw refuse(`is a ${Array.isArray(value) ? 'list' : typeof value}, not a string`);
  if (FLATTENED_NON_STRINGS.has(value)) throw refuse(`is ${value}, not a company id`);
  if (value.length > 128) throw refuse(`is ${value.length} characters long`);
  if (!COMPANY_ID_PATTERN.test(value)) throw refuse('has characters outside the allowed ones');
  return value;
}

/** The product's roles named by the claim (unknown names ignored), or a 401 for a claim of another shape. */
export function rolesFromClaim(value: unknown, claimName: string): Role[] {
  let names: string[];
  if (value === undefined) names = [];
  else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) names = value;
  else if (typeof value === 'string') {
    if (value.startsWith('[') && value.endsWith(']')) {
      const inner = value.slice(1, -1);
      names = inner === '' ? [] : inner.split(' ');
    } else {
      names = [value];
    }
  } else {
    throw new AppError('UNAUTHORIZED', `The token's ${claimName} claim must be a list of role names or a string, not ${value === null ? 'null' : typeof value}`);
  }
  const known = new Set<string>(ROLES);
  return [...new Set(names.filter((name) => known.has(name)))] as Role[];
}

/** For the local authorizer: the claims API Gateway would pass on but this rule never accepts. */
export function rawClaimProblem(payload: Record<string, unknown>, tenantClaim: string, rolesClaim: string): string | null {
  const company = payload[tenantClaim];
  if (company !== undefined && typeof company !== 'string') {
    return `the ${tenantClaim} claim is ${company === null ? 'null' : Array.isArray(company) ? 'a list' : `a ${typeof company}`}, not a string`;
  }
  const roles = payload[rolesClaim];
  if (roles !== undefined && typeof roles !== 'string' && !(Array.isArray(roles) && roles.every((item) => typeof item === 'string'))) {
    return `the ${rolesClaim} claim must be a list of role names or a string`;
  }
  return null;
}
