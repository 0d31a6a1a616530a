import { jwtVerify, SignJWT } from 'jose';

/** Local tokens: HS256 with LOCAL_JWT_SECRET, the same claims the deployed authorizer passes on. */
export interface LocalTokenClaims {
  companyId: string;
  roles: string[];
  subject?: string;
}

export const LOCAL_ISSUER = 'recruiting-mail-local';
export const LOCAL_AUDIENCE = 'recruiting-mail-api';

export async function signLocalToken(secret: string, claims: LocalTokenClaims, expiresIn = '12h'): Promise<string> {
  return new SignJWT({
    [process.env.TENANT_CLAIM ?? 'company_id']: claims.companyId,
    [process.env.ROLES_CLAIM ?? 'roles']: claims.roles,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.subject ?? `local-${claims.roles.join('-')}`)
    .setIssuer(LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

/** Verifies as API Gateway's JWT authorizer does: signature, issuer, audience, expiry. */
export async function verifyLocalToken(secret: string, token: string): Promise<Record<string, unknown>> {
  const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
    algorithms: ['HS256'],
    issuer: LOCAL_ISSUER,
    audience: LOCAL_AUDIENCE,
  });
  return payload as Record<string, unknown>;
}
