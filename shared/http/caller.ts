import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { apiAuthConfig, type ApiAuthConfig } from '../config/concerns';
import { companyIdFromClaim, rolesFromClaim, type Role } from './tenant-claims';

export { ROLES, type Role } from './tenant-claims';

/** Who is calling: the company (tenant) and roles from the verified JWT. */
export interface Caller {
  companyId: string;
  roles: Role[];
  subject: string | null;
}

/**
 * Reads the caller from the claims API Gateway's JWT authorizer verified (the local server
 * fills the same place), by the tenant identity rule of tenant-claims.ts. Null when there are
 * no claims at all; a claim that breaks the rule throws 401 UNAUTHORIZED saying why.
 */
export function callerFromEvent(event: APIGatewayProxyEventV2WithJWTAuthorizer, auth: ApiAuthConfig = apiAuthConfig()): Caller | null {
  const claims = event.requestContext?.authorizer?.jwt?.claims as Record<string, unknown> | undefined;
  if (!claims) return null;
  const { tenantClaim, rolesClaim } = auth;
  const companyId = companyIdFromClaim(claims[tenantClaim], tenantClaim);
  const roles = rolesFromClaim(claims[rolesClaim], rolesClaim);
  const sub = claims.sub;
  return { companyId, roles, subject: typeof sub === 'string' ? sub : null };
}

/** The product's roles in a roles claim (see tenant-claims.ts); a claim of another shape throws 401. */
export const parseRoles = (value: unknown, auth: ApiAuthConfig = apiAuthConfig()): Role[] => rolesFromClaim(value, auth.rolesClaim);
