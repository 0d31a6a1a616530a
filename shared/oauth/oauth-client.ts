/**
 * A small OAuth2 client for the two providers SMTP XOAUTH2 needs (DESIGN capability 7), on
 * Node's own `fetch`: authorization URLs with PKCE S256, `state` and `nonce`; the code
 * exchange; refreshes (always with `scope`, which Microsoft requires: AADSTS900144); the
 * client-credentials grant of the Microsoft app flow against the tenant's own endpoint; and
 * the error bodies of both providers, translated once into `OAuthError` with a result code.
 *
 * nodemailer's built-in OAuth2 refresh is not used: it sends no `scope` and drops a rotated
 * refresh token, which Microsoft expects to be stored (research notes of issue 9).
 */
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import type { OAuthProvider } from '../email-settings/model';
import type { SmtpResultCode } from '../smtp/types';
import { GOOGLE_SCOPES, MICROSOFT_APP_SCOPE, MICROSOFT_DELEGATED_SCOPES, MICROSOFT_IMAP_SCOPE, type ProviderClient } from './oauth-config';

const TOKEN_TIMEOUT_MS = 10_000;

export type OAuthErrorCode = Extract<SmtpResultCode, 'OAUTH_NOT_CONFIGURED' | 'OAUTH_CONSENT_REQUIRED' | 'OAUTH_REAUTHORIZE_REQUIRED' | 'TEMPORARY_FAILURE' | 'UNKNOWN'>;

/** What the provider said, for IT: `error`, `error_description`, the AADSTS number. */
export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly provider: OAuthProvider;
  /** The provider's own words, one line: `invalid_grant: AADSTS70000: ...` (null when it said nothing). */
  readonly providerResponse: string | null;
  readonly aadsts: number | null;
  readonly temporary: boolean;

  constructor(fields: { code: OAuthErrorCode; provider: OAuthProvider; message: string; providerResponse?: string | null; aadsts?: number | null }) {
    super(fields.message);
    this.name = 'OAuthError';
    this.code = fields.code;
    this.provider = fields.provider;
    this.providerResponse = fields.providerResponse ?? null;
    this.aadsts = fields.aadsts ?? null;
    this.temporary = fields.code === 'TEMPORARY_FAILURE';
  }
}

export const isOAuthError = (error: unknown): error is OAuthError => error instanceof OAuthError;

export interface TokenResponse {
  accessToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** A new refresh token when the provider issued (or rotated) one. */
  refreshToken: string | null;
  idToken: string | null;
}

export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

export const codeChallengeOf = (verifier: string): string => createHash('sha256').update(verifier).digest('base64url');

/** With `inbound`, Microsoft's IMAP scope too (Google's mail.google.com covers IMAP already). */
export const delegatedScopes = (provider: OAuthProvider, inbound = false): string =>
  provider === 'microsoft' ? (inbound ? `${MICROSOFT_DELEGATED_SCOPES} ${MICROSOFT_IMAP_SCOPE}` : MICROSOFT_DELEGATED_SCOPES) : GOOGLE_SCOPES;

/** The URL the user's browser is sent to (authorization code with PKCE S256). */
export function authorizationUrl(
  client: ProviderClient,
  input: { redirectUri: string; state: string; nonce: string; codeVerifier: string; loginHint?: string; inbound?: boolean },
): string {
  const url = new URL(client.authorizeUrl('common'));
  const params: Record<string, string> = {
    client_id: client.clientId,
    response_type: 'code',
    redirect_uri: input.redirectUri,
    scope: delegatedScopes(client.provider, input.inbound),
    state: input.state,
    nonce: input.nonce,
    code_challenge: codeChallengeOf(input.codeVerifier),
    code_challenge_method: 'S256',
  };
  if (client.provider === 'microsoft') params.response_mode = 'query';
  // Google issues a refresh token only with both of these.
  if (client.provider === 'google') Object.assign(params, { access_type: 'offline', prompt: 'consent' });
  if (input.loginHint) params.login_hint = input.loginHint;
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.toString();
}

/** Microsoft's admin-consent URL of a tenant (app flow); the answer carries `admin_consent`, `tenant`, `state`. */
export function adminConsentUrl(client: ProviderClient, input: { tenant: string; redirectUri: string; state: string }): string {
  const url = new URL(client.adminConsentUrl(input.tenant));
  url.searchParams.set('client_id', client.clientId);
  url.searchParams.set('redirect_uri', input.redirectUri);
  url.searchParams.set('state', input.state);
  url.searchParams.set('scope', MICROSOFT_APP_SCOPE);
  return url.toString();
}

export async function exchangeCode(client: ProviderClient, input: { code: string; redirectUri: string; codeVerifier: string; inbound?: boolean }): Promise<TokenResponse> {
  return tokenRequest(client, client.tokenUrl('common'), {
    grant_type: 'authorization_code',
    code: input.code,
    redirect_uri: input.redirectUri,
    code_verifier: input.codeVerifier,
    ...(client.provider === 'microsoft' ? { scope: delegatedScopes('microsoft', input.inbound) } : {}),
  });
}

/** Delegated flow: Microsoft's `/common` endpoint serves a refresh token of any tenant. */
export async function refreshAccessToken(client: ProviderClient, refreshToken: string, inbound = false): Promise<TokenResponse> {
  return tokenRequest(client, client.tokenUrl('common'), {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    // Microsoft answers AADSTS900144 without it; Google accepts it.
    scope: delegatedScopes(client.provider, inbound),
  });
}

/** App flow: the tenant's own endpoint (`/common` answers AADSTS9001023), scope `.default`. */
export async function clientCredentials(client: ProviderClient, tenant: string): Promise<TokenResponse> {
  return tokenRequest(client, client.tokenUrl(tenant), { grant_type: 'client_credentials', scope: MICROSOFT_APP_SCOPE });
}

async function tokenRequest(client: ProviderClient, url: string, params: Record<string, string>): Promise<TokenResponse> {
  const body = new URLSearchParams({ ...params, client_id: client.clientId, client_secret: await client.clientSecret() });
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
    });
  } catch (error) {
    throw new OAuthError({
      code: 'TEMPORARY_FAILURE',
      provider: client.provider,
      message: `The sign-in service of ${providerName(client.provider)} could not be reached (${(error as Error).message}).`,
    });
  }
  const text = await response.text();
  let json: Record<string, unknown> | null = null;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = null;
  }
  if (!response.ok || !json || typeof json.access_token !== 'string') throw providerError(client.provider, response.status, json);
  const expiresIn = Number(json.expires_in ?? 3600);
  return {
    accessToken: json.access_token,
    expiresAt: Date.now() + (Number.isFinite(expiresIn) ? expiresIn : 3600) * 1000,
    refreshToken: typeof json.refresh_token === 'string' ? json.refresh_token : null,
    idToken: typeof json.id_token === 'string' ? json.id_token : null,
  };
}

const providerName = (provider: OAuthProvider) => (provider === 'microsoft' ? 'Microsoft' : 'Google');

const CONSENT_AADSTS = new Set([65001, 65004, 90094, 90099, 500011, 700016, 7000112, 50105]);
const REAUTHORIZE_AADSTS = new Set([70000, 70008, 700082, 700084, 50173, 50076, 50079, 50078, 53003, 54005, 70043]);
const CLIENT_AADSTS = new Set([7000215, 7000222, 700027, 50011, 900144, 9001023]);

/**
 * Microsoft: `{ error, error_description: "AADSTS70000: ...\r\nTrace ID: ...", error_codes: [70000] }`;
 * Google: `{ error: "invalid_grant", error_description: "Token has been expired or revoked." }`.
 */
export function providerError(provider: OAuthProvider, status: number, json: Record<string, unknown> | null): OAuthError {
  const error = typeof json?.error === 'string' ? json.error : null;
  const rawDescription = typeof json?.error_description === 'string' ? json.error_description : '';
  // Microsoft appends trace and correlation ids on further lines: the first line says it all.
  const description = rawDescription.split(/\r?\n/)[0].trim();
  const codes = Array.isArray(json?.error_codes) ? (json!.error_codes as unknown[]).map(Number).filter(Number.isFinite) : [];
  const aadstsMatch = /AADSTS(\d+)/.exec(rawDescription);
  const aadsts = aadstsMatch ? Number(aadstsMatch[1]) : (codes[0] ?? null);
  const providerResponse = error ? `${error}${description ? `: ${description}` : ''}` : status ? `HTTP ${status}` : null;
  const name = providerName(provider);

  let code: OAuthErrorCode;
  let message: string;
  if (status >= 500 || status === 429 || error === 'temporarily_unavailable') {
    code = 'TEMPORARY_FAILURE';
    message = `The sign-in service of ${name} is unavailable for the moment.`;
  } else if (error === 'invalid_client' || error === 'unauthorized_client' || (aadsts !== null && CLIENT_AADSTS.has(aadsts))) {
    code = error === 'unauthorized_client' && provider === 'google' ? 'OAUTH_CONSENT_REQUIRED' : 'OAUTH_NOT_CONFIGURED';
    message =
      code === 'OAUTH_CONSENT_REQUIRED'
        ? `${name} does not allow this app for the account.`
        : `${name} refused this service's OAuth client (${providerResponse}).`;
  } else if (
    error === 'consent_required' ||
    error === 'admin_policy_enforced' ||
    error === 'access_denied' ||
    (aadsts !== null && CONSENT_AADSTS.has(aadsts))
  ) {
    code = 'OAUTH_CONSENT_REQUIRED';
    message = `${name} did not grant access: consent is missing or was withdrawn.`;
  } else if (error === 'invalid_grant' || error === 'interaction_required' || (aadsts !== null && REAUTHORIZE_AADSTS.has(aadsts))) {
    code = 'OAUTH_REAUTHORIZE_REQUIRED';
    message = `The sign-in with ${name} has expired or was revoked.`;
  } else {
    code = 'UNKNOWN';
    message = `${name} refused to issue an access token.`;
  }
  return new OAuthError({ code, provider, message, providerResponse, aadsts });
}

/**
 * The mailbox of the signed-in user, from the id_token (`email`, else `preferred_username`).
 * It came straight from the token endpoint over TLS, so its signature is not checked (OpenID
 * Connect Core 3.1.3.7 allows this); `iss`, `aud`, `exp` and `nonce` are.
 */
export function accountFromIdToken(
  client: ProviderClient,
  idToken: string | null,
  expected: { nonce: string; now: Date },
): { account: string; tenantId: string | null } {
  const refuse = (why: string) =>
    new OAuthError({ code: 'UNKNOWN', provider: client.provider, message: `The sign-in answer of ${providerName(client.provider)} is not usable: ${why}.` });
  if (!idToken) throw refuse('it carries no id_token (is the `openid` scope granted?)');
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(idToken);
  } catch {
    throw refuse('the id_token is malformed');
  }
  const tid = typeof claims.tid === 'string' ? claims.tid : undefined;
  if (typeof claims.iss !== 'string' || !client.issuerMatches(claims.iss, tid)) throw refuse('the id_token comes from another issuer');
  const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audience.includes(client.clientId)) throw refuse('the id_token is meant for another client');
  if (typeof claims.exp !== 'number' || claims.exp * 1000 < expected.now.getTime() - 5 * 60_000) throw refuse('the id_token has expired');
  if (claims.nonce !== expected.nonce) throw refuse('the id_token does not answer this sign-in (nonce)');
  const email = typeof claims.email === 'string' && claims.email.includes('@') ? claims.email : null;
  const preferred = typeof claims.preferred_username === 'string' && claims.preferred_username.includes('@') ? claims.preferred_username : null;
  const account = email ?? preferred;
  if (!account) throw refuse('the id_token names no mailbox (`email` or `preferred_username`)');
  return { account: account.trim(), tenantId: client.provider === 'microsoft' ? (tid ?? null) : null };
}
