import { jwtVerify, SignJWT } from 'jose';
import { apiAuthConfig } from '../../shared/config/concerns';
import { rawClaimProblem } from '../../shared/http/tenant-claims';

/** Local tokens: HS256 with LOCAL_JWT_SECRET, the same claims the deployed authorizer passes on. */
export interface LocalTokenClaims {
  companyId: string;
  roles: string[];
  subject?: string;
}

export const LOCAL_ISSUER = 'recruiting-mail-local';
export const LOCAL_AUDIENCE = 'recruiting-mail-api';

export async function signLocalToken(secret: string, claims: LocalTokenClaims, expiresIn = '12h'): Promise<string> {
  const { tenantClaim, rolesClaim } = apiAuthConfig();
  return new SignJWT({ [tenantClaim]: claims.companyId, [rolesClaim]: claims.roles })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.subject ?? `local-${claims.roles.join('-')}`)
    .setIssuer(LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

/**
 * Clock skew tolerated for `exp`, `nbf` and `iat`, in seconds. API Gateway's JWT authorizer
 * checks the same claims; locally a token is accepted up to this long after `exp` and from
 * this long before `nbf`/`iat`.
 */
export const LOCAL_TOKEN_LEEWAY_SECONDS = 30;

/**
 * Verifies at least as strictly as API Gateway's JWT authorizer: HS256 signature, issuer,
 * audience, `exp` required, `nbf` and `iat` not in the future (all with the leeway above). And,
 * before the claims are flattened to strings as API Gateway does, the company and roles
 * claims must be strings (or a string list for roles), so that a JSON null or an object never
 * becomes a tenant named "null" or "[object]" (shared/http/tenant-claims.ts).
 */
export async function verifyLocalToken(secret: string, token: string, now: Date = new Date()): Promise<Record<string, unknown>> {
  const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
    algorithms: ['HS256'],
    issuer: LOCAL_ISSUER,
    audience: LOCAL_AUDIENCE,
    requiredClaims: ['exp'],
    clockTolerance: LOCAL_TOKEN_LEEWAY_SECONDS,
    currentDate: now,
  });
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (typeof payload.iat === 'number' && payload.iat > nowSeconds + LOCAL_TOKEN_LEEWAY_SECONDS) {
    throw new Error('"iat" claim timestamp check failed (issued in the future)');
  }
  const { tenantClaim, rolesClaim } = apiAuthConfig();
  const problem = rawClaimProblem(payload, tenantClaim, rolesClaim);
  if (problem) throw new Error(problem);
  return payload as Record<string, unknown>;
}
