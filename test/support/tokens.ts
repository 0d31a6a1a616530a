/**
 * Tokens the local authorizer must refuse: another secret, expired, another issuer, no
 * company claim. (Good tokens come from `TestBackend.token`.)
 */
import { SignJWT } from 'jose';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../infra/local/local-jwt';

const key = (secret: string) => new TextEncoder().encode(secret);

export async function tokenSignedWith(secret: string, claims: Record<string, unknown>, overrides: { issuer?: string; expiresAt?: number } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('e2e')
    .setIssuer(overrides.issuer ?? LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(overrides.expiresAt ?? Math.floor(Date.now() / 1000) + 600)
    .sign(key(secret));
}

export async function badTokens(secret: string, companyId: string): Promise<Record<string, string>> {
  const claims = { company_id: companyId, roles: ['admin'] };
  return {
    'signed with another secret': await tokenSignedWith(`${secret}-not`, claims),
    expired: await tokenSignedWith(secret, claims, { expiresAt: Math.floor(Date.now() / 1000) - 120 }),
    'another issuer': await tokenSignedWith(secret, claims, { issuer: 'someone-else' }),
    'no company claim': await tokenSignedWith(secret, { roles: ['admin'] }),
    'not a JWT': 'not-a-jwt',
  };
}
