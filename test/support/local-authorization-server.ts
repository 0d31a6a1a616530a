/**
 * A small OAuth2/OIDC authorization server on 127.0.0.1 that plays Microsoft's identity
 * platform and Google's, for what a generic mock server cannot play: PKCE S256 verification,
 * refresh tokens that rotate on every use (Microsoft) or not (Google), Microsoft's
 * `scope`-required refreshes (AADSTS900144), the client-credentials grant only on a tenant's
 * own endpoint (AADSTS9001023 on /common), admin consent, and the providers' real error JSON.
 *
 * Microsoft: `{base}/{tenant}/oauth2/v2.0/authorize|token`, `{base}/{tenant}/v2.0/adminconsent`
 * (the base is OAUTH_MICROSOFT_AUTHORITY). Google: `{base}/google/auth`, `{base}/google/token`.
 * The authorize endpoints sign in `accountFor(loginHint)` at once and redirect with a code.
 * Access tokens are opaque; `verifyAccessToken` is what the test SMTP server asks.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';

export interface AuthorizationServerOptions {
  microsoft: { clientId: string; clientSecret: string; tenantId: string };
  google: { clientId: string; clientSecret: string };
  /** Seconds an access token lives (default 3600). */
  accessTokenLifetime?: number;
  /**
   * Microsoft: a refresh token used once stops working (stricter than Microsoft, whose old
   * token lives on for a while), so that a client that keeps the first token fails at once.
   */
  strictRotation?: boolean;
  /** Listen on this port (default: any free one). */
  port?: number;
}

type Provider = 'microsoft' | 'google';

interface IssuedCode {
  provider: Provider;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  nonce: string;
  account: string;
  scope: string;
}

interface AccessToken {
  provider: Provider;
  account: string;
  /** Epoch ms. */
  expiresAt: number;
  app: boolean;
}

export interface LocalAuthorizationServer {
  url: string;
  microsoftAuthority: string;
  googleAuthUrl: string;
  googleTokenUrl: string;
  /** Whether `token` is a live access token of this user (for XOAUTH2 on the test SMTP server). */
  verifyAccessToken(user: string, token: string): boolean;
  /** Every refresh token ever issued, newest last, with whether it still works. */
  refreshTokens(): Array<{ token: string; provider: Provider; account: string; revoked: boolean }>;
  /** Revokes every refresh token of the account (password change, user removed the app). */
  revokeAccount(account: string): void;
  /** Ends every access token issued so far now (the provider's clock ran ahead of ours). */
  expireAccessTokens(): void;
  /** Tenants that granted admin consent (app flow). */
  consentedTenants: Set<string>;
  /** Requests to the token endpoints, in order (grant types), for assertions. */
  tokenRequests: Array<{ provider: Provider; grantType: string; scope: string | null; tenant: string | null }>;
  /** Everything the server sent in a response body, for leak checks. */
  everyTokenIssued(): string[];
  close(): Promise<void>;
}

const newToken = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;

export async function startLocalAuthorizationServer(options: AuthorizationServerOptions): Promise<LocalAuthorizationServer> {
  const lifetime = options.accessTokenLifetime ?? 3600;
  const codes = new Map<string, IssuedCode>();
  const accessTokens = new Map<string, AccessToken>();
  const refreshTokens = new Map<string, { provider: Provider; account: string; revoked: boolean; scope: string }>();
  const consentedTenants = new Set<string>();
  const tokenRequests: LocalAuthorizationServer['tokenRequests'] = [];
  const issued: string[] = [];
  const signingKey = randomBytes(32);
  let base = '';

  const microsoftError = (error: string, aadsts: number, text: string) => ({
    error,
    error_description: `AADSTS${aadsts}: ${text} Trace ID: ${randomBytes(8).toString('hex')} Correlation ID: ${randomBytes(8).toString('hex')} Timestamp: ${new Date().toISOString()}`,
    error_codes: [aadsts],
    timestamp: new Date().toISOString(),
    trace_id: randomBytes(8).toString('hex'),
    correlation_id: randomBytes(8).toString('hex'),
  });

  const issueAccess = (provider: Provider, account: string, app: boolean) => {
    const token = newToken(provider === 'microsoft' ? 'eyJ0eXAiOi.ms.' : 'ya29.');
    accessTokens.set(token, { provider, account, expiresAt: Date.now() + lifetime * 1000, app });
    issued.push(token);
    return token;
  };
  const issueRefresh = (provider: Provider, account: string, scope: string) => {
    const token = newToken(provider === 'microsoft' ? '0.AAAA' : '1//0g');
    refreshTokens.set(token, { provider, account, revoked: false, scope });
    issued.push(token);
    return token;
  };
  const idToken = async (provider: Provider, clientId: string, account: string, nonce: string) => {
    const claims =
      provider === 'microsoft'
        ? { tid: options.microsoft.tenantId, preferred_username: account, nonce, name: 'Jobs Test' }
        : { email: account, email_verified: true, nonce };
    const issuer = provider === 'microsoft' ? `${base}/${options.microsoft.tenantId}/v2.0` : base;
    const jwt = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer)
      .setAudience(clientId)
      .setSubject(createHash('sha256').update(account).digest('hex').slice(0, 20))
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(signingKey);
    return jwt;
  };

  const handleAuthorize = (provider: Provider, url: URL, response: http.ServerResponse) => {
    const q = url.searchParams;
    const client = options[provider];
    const redirect = q.get('redirect_uri') ?? '';
    if (q.get('client_id') !== client.clientId || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge') || !q.get('state')) {
      response.writeHead(400, { 'content-type': 'text/plain' }).end('bad authorization request');
      return;
    }
    const code = newToken('code.');
    const account = q.get('login_hint') ?? (provider === 'microsoft' ? 'jobs@contoso.test' : 'jobs@gmail.test');
    codes.set(code, {
      provider,
      clientId: client.clientId,
      redirectUri: redirect,
      codeChallenge: q.get('code_challenge')!,
      nonce: q.get('nonce') ?? '',
      account,
      scope: q.get('scope') ?? '',
    });
    const back = new URL(redirect);
    back.searchParams.set('code', code);
    back.searchParams.set('state', q.get('state')!);
    response.writeHead(302, { location: back.toString() }).end();
  };

  const handleAdminConsent = (tenant: string, url: URL, response: http.ServerResponse) => {
    const q = url.searchParams;
    const actualTenant = tenant === 'organizations' || tenant === 'common' ? options.microsoft.tenantId : tenant;
    consentedTenants.add(actualTenant);
    const back = new URL(q.get('redirect_uri') ?? '');
    back.searchParams.set('admin_consent', 'True');
    back.searchParams.set('tenant', actualTenant);
    back.searchParams.set('state', q.get('state') ?? '');
    response.writeHead(302, { location: back.toString() }).end();
  };

  const handleToken = async (provider: Provider, tenant: string | null, form: URLSearchParams): Promise<[number, unknown]> => {
    const client = options[provider];
    const grantType = form.get('grant_type') ?? '';
    const scope = form.get('scope');
    tokenRequests.push({ provider, grantType, scope, tenant });
    if (form.get('client_id') !== client.clientId || form.get('client_secret') !== client.clientSecret) {
      return provider === 'microsoft'
        ? [401, microsoftError('invalid_client', 7000215, 'Invalid client secret provided.')]
        : [401, { error: 'invalid_client', error_description: 'Unauthorized' }];
    }
    if (grantType === 'authorization_code') {
      const code = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (!code || code.provider !== provider || code.redirectUri !== form.get('redirect_uri') || code.codeChallenge !== challenge) {
        return provider === 'microsoft'
          ? [400, microsoftError('invalid_grant', 70008, 'The provided authorization code or refresh token has expired due to inactivity.')]
          : [400, { error: 'invalid_grant', error_description: 'Bad Request' }];
      }
      return [
        200,
        {
          token_type: 'Bearer',
          scope: code.scope,
          expires_in: lifetime,
          access_token: issueAccess(provider, code.account, false),
          refresh_token: issueRefresh(provider, code.account, code.scope),
          id_token: await idToken(provider, client.clientId, code.account, code.nonce),
        },
      ];
    }
    if (grantType === 'refresh_token') {
      if (provider === 'microsoft' && !scope) {
        return [400, microsoftError('invalid_request', 900144, "The request body must contain the following parameter: 'scope'.")];
      }
      const stored = refreshTokens.get(form.get('refresh_token') ?? '');
      if (!stored || stored.revoked || stored.provider !== provider) {
        return provider === 'microsoft'
          ? [400, microsoftError('invalid_grant', 700082, 'The refresh token has expired due to inactivity.')]
          : [400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }];
      }
      const body: Record<string, unknown> = { token_type: 'Bearer', scope: stored.scope, expires_in: lifetime, access_token: issueAccess(provider, stored.account, false) };
      // Microsoft rotates on every refresh (the old one stays valid for a while); Google never does.
      if (provider === 'microsoft') {
        body.refresh_token = issueRefresh(provider, stored.account, stored.scope);
        if (options.strictRotation) stored.revoked = true;
      }
      return [200, body];
    }
    if (grantType === 'client_credentials' && provider === 'microsoft') {
      if (!tenant || tenant === 'common' || tenant === 'organizations') {
        return [400, microsoftError('invalid_request', 9001023, "The grant type 'client_credentials' is not supported over the /common or /consumers endpoints.")];
      }
      if (scope !== 'https://outlook.office365.com/.default') return [400, microsoftError('invalid_scope', 1002012, 'The provided value for scope is not valid.')];
      if (!consentedTenants.has(tenant)) {
        return [400, microsoftError('invalid_client', 7000229, 'The client application is missing service principal in the tenant.')];
      }
      return [200, { token_type: 'Bearer', expires_in: lifetime, access_token: issueAccess('microsoft', `app@${tenant}`, true) }];
    }
    return [400, { error: 'unsupported_grant_type' }];
  };

  /** RFC 7662 token introspection, as Dovecot's `passdb oauth2` asks it (introspection_mode = post). */
  const introspect = (token: string) => {
    const access = accessTokens.get(token);
    if (!access || access.expiresAt <= Date.now()) return { active: false };
    return { active: true, username: access.account, email: access.account, exp: Math.floor(access.expiresAt / 1000), token_type: 'Bearer' };
  };

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', base);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const parts = url.pathname.split('/').filter(Boolean);
        if (request.method === 'GET' && parts[0] === 'google' && parts[1] === 'auth') return handleAuthorize('google', url, response);
        if (request.method === 'GET' && parts[1] === 'oauth2' && parts[3] === 'authorize') return handleAuthorize('microsoft', url, response);
        if (request.method === 'GET' && parts[1] === 'v2.0' && parts[2] === 'adminconsent') return handleAdminConsent(parts[0], url, response);
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        let answer: [number, unknown] | null = null;
        if (request.method === 'POST' && parts[0] === 'introspect') answer = [200, introspect(form.get('token') ?? '')];
        if (request.method === 'POST' && parts[0] === 'google' && parts[1] === 'token') answer = await handleToken('google', null, form);
        if (request.method === 'POST' && parts[1] === 'oauth2' && parts[3] === 'token') answer = await handleToken('microsoft', parts[0], form);
        if (!answer) {
          response.writeHead(404).end();
          return;
        }
        response.writeHead(answer[0], { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(answer[1]));
      })().catch((error: Error) => response.writeHead(500).end(error.message));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    microsoftAuthority: base,
    googleAuthUrl: `${base}/google/auth`,
    googleTokenUrl: `${base}/google/token`,
    verifyAccessToken(user, token) {
      const access = accessTokens.get(token);
      if (!access || access.expiresAt <= Date.now()) return false;
      // App tokens may send as any mailbox the service principal was given (the test's shared mailbox).
      return access.app || access.account.toLowerCase() === user.toLowerCase();
    },
    refreshTokens: () => [...refreshTokens.entries()].map(([token, value]) => ({ token, provider: value.provider, account: value.account, revoked: value.revoked })),
    revokeAccount(account) {
      for (const value of refreshTokens.values()) if (value.account === account) value.revoked = true;
      for (const [token, value] of accessTokens) if (value.account === account) accessTokens.delete(token);
    },
    expireAccessTokens() {
      for (const value of accessTokens.values()) value.expiresAt = 0;
    },
    consentedTenants,
    tokenRequests,
    everyTokenIssued: () => [...issued],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
