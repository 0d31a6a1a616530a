import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { optionalEnv } from '../config';

export const ROLES = ['admin', 'recruiter'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: the company (tenant) and roles from the verified JWT. */
export interface Caller {
  companyId: string;
  roles: Role[];
  subject: string | null;
}

type Claims = Record<string, string | number | boolean | string[]>;

/**
 * Reads the caller from the claims API Gateway's JWT authorizer verified (the local server
 * fills the same place). API Gateway hands array claims over flattened to a string such as
 * `[admin recruiter]`, so every form is accepted.
 */
export function callerFromEvent(event: APIGatewayProxyEventV2WithJWTAuthorizer): Caller | null {
  const claims = event.requestContext?.authorizer?.jwt?.claims as Claims | undefined;
  if (!claims) return null;
  const companyId = claims[optionalEnv('TENANT_CLAIM', 'company_id')];
  if (typeof companyId !== 'string' && typeof companyId !== 'number') return null;
  const id = String(companyId).trim();
  if (id === '') return null;
  const roles = parseRoles(claims[optionalEnv('ROLES_CLAIM', 'roles')]);
  const sub = claims.sub;
  return { companyId: id, roles, subject: typeof sub === 'string' ? sub : null };
}

export function parseRoles(value: unknown): Role[] {
  let items: unknown[] = [];
  if (Array.isArray(value)) items = value;
  else if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('[') && text.endsWith(']')) {
      try {
        const parsed: unknown = JSON.parse(text);
        items = Array.isArray(parsed) ? parsed : [];
      } catch {
        items = text.slice(1, -1).split(/[\s,]+/);
      }
    } else {
      items = text.split(/[\s,]+/);
    }
  }
  const known = new Set<string>(ROLES);
  return [...new Set(items.map((item) => String(item).trim().toLowerCase()).filter((item) => known.has(item)))] as Role[];
}
