/**
 * The operator's OAuth2 clients (DESIGN capability 7), read from the environment once.
 * A provider is configured when its client id and secret are both known. Plain `http`
 * authority and token URLs are accepted only on loopback (local runs and tests); anything else
 * stops the function at start-up with a message naming the variable.
 *
 * On AWS the client secrets come from Secrets Manager (`OAUTH_CLIENT_SECRETS_ARN`, a JSON
 * secret `{ "microsoftClientSecret", "googleClientSecret" }`), read at the first use and cached
 * for the life of the process; locally from `OAUTH_MICROSOFT_CLIENT_SECRET` /
 * `OAUTH_GOOGLE_CLIENT_SECRET`.
 */
import { oauthEnvConfig, type OAuthEnvConfig } from '../config/concerns';
import type { OAuthProvider } from '../email-settings/model';
import type { SmtpSecurity } from '../smtp/types';

export const MICROSOFT_DELEGATED_SCOPES = 'openid email offline_access https://outlook.office.com/SMTP.Send';
/** Reading the mailbox over IMAP too (capability 12); app-only, `.default` covers IMAP.AccessAsApp. */
export const MICROSOFT_IMAP_SCOPE = 'https://outlook.office.com/IMAP.AccessAsUser.All';
export const MICROSOFT_APP_SCOPE = 'https://outlook.office365.com/.default';
export const GOOGLE_SCOPES = 'openid email https://mail.google.com/';

export interface ProviderSmtp {
  host: string;
  port: number;
  security: SmtpSecurity;
}

export interface ProviderClient {
  provider: OAuthProvider;
  clientId: string;
  /** Resolved lazily (Secrets Manager on AWS), cached. */
  clientSecret(): Promise<string>;
  /** Authorization endpoint for a tenant (Microsoft) or the one endpoint (Google). */
  authorizeUrl(tenant: string): string;
  tokenUrl(tenant: string): string;
  /** Microsoft only: the admin-consent endpoint of a tenant. */
  adminConsentUrl(tenant: string): string;
  /** Whether an id_token's `iss` is this provider's (Microsoft: `{authority}/{tid}/v2.0`). */
  issuerMatches(issuer: string, tenantIdClaim: string | undefined): boolean;
  smtp: ProviderSmtp;
  /** The provider's IMAP server, for reading the mailbox with the same sign-in (capability 12). */
  imap: ProviderSmtp;
}

export interface OAuthSettings {
  /** Only configured providers are here. */
  clients: Partial<Record<OAuthProvider, ProviderClient>>;
  redirectUris: string[];
}

/** Reads the secrets once from their source; the result is shared by every caller. */
export type ClientSecretSource = (provider: OAuthProvider) => Promise<string | undefined>;

export function oauthSettingsFromEnv(secretSource?: ClientSecretSource, env: OAuthEnvConfig = oauthEnvConfig()): OAuthSettings {
  const clients: OAuthSettings['clients'] = {};
  const secretFor = (provider: OAuthProvider, fromEnv: string | undefined) => {
    if (fromEnv) return () => Promise.resolve(fromEnv);
    if (!secretSource) return null;
    let cached: Promise<string> | undefined;
    return () =>
      (cached ??= secretSource(provider).then((secret) => {
        if (!secret) throw new Error(`The OAuth client secret of ${provider} is missing from the secret store`);
        return secret;
      }));
  };

  const microsoftId = env.microsoftClientId;
  const microsoftSecret = secretFor('microsoft', env.microsoftClientSecret);
  const authority = checkedUrl('OAUTH_MICROSOFT_AUTHORITY', env.microsoftAuthority).replace(/\/+$/, '');
  const microsoftSmtp = parseSmtp('OAUTH_MICROSOFT_SMTP', env.microsoftSmtp);
  const microsoftImap = parseSmtp('OAUTH_MICROSOFT_IMAP', env.microsoftImap);
  if (microsoftId && microsoftSecret) {
    clients.microsoft = {
      provider: 'microsoft',
      clientId: microsoftId,
      clientSecret: microsoftSecret,
      authorizeUrl: (tenant) => `${authority}/${encodeURIComponent(tenant)}/oauth2/v2.0/authorize`,
      tokenUrl: (tenant) => `${authority}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`,
      adminConsentUrl: (tenant) => `${authority}/${encodeURIComponent(tenant)}/v2.0/adminconsent`,
      issuerMatches: (issuer, tid) => tid !== undefined && issuer === `${authority}/${tid}/v2.0`,
      smtp: microsoftSmtp,
      imap: microsoftImap,
    };
  }

  const googleId = env.googleClientId;
  const googleSecret = secretFor('google', env.googleClientSecret);
  const authUrl = checkedUrl('OAUTH_GOOGLE_AUTH_URL', env.googleAuthUrl);
  const tokenUrl = checkedUrl('OAUTH_GOOGLE_TOKEN_URL', env.googleTokenUrl);
  const googleSmtp = parseSmtp('OAUTH_GOOGLE_SMTP', env.googleSmtp);
  const googleImap = parseSmtp('OAUTH_GOOGLE_IMAP', env.googleImap);
  if (googleId && googleSecret) {
    // Google's issuer is the authorization server's origin, with or without the scheme.
    const origin = new URL(authUrl).origin;
    clients.google = {
      provider: 'google',
      clientId: googleId,
      clientSecret: googleSecret,
      authorizeUrl: () => authUrl,
      tokenUrl: () => tokenUrl,
      adminConsentUrl: () => {
        throw new Error('Google has no admin-consent flow');
      },
      issuerMatches: (issuer) => issuer === origin || issuer === new URL(origin).host,
      smtp: googleSmtp,
      imap: googleImap,
    };
  }

  const redirectUris = env.redirectUris.map((uri) => checkedRedirectUri(uri));
  return { clients, redirectUris };
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export const isLoopbackHttp = (url: URL): boolean => url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);

/** https anywhere; plain http only on loopback. Throws at start-up otherwise. */
function checkedUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name} must be an absolute URL, got "${value}"`);
  }
  if (url.protocol !== 'https:' && !isLoopbackHttp(url)) {
    throw new Error(`${name} must use https (plain http only on 127.0.0.1, localhost or [::1]), got "${value}"`);
  }
  return value;
}

function checkedRedirectUri(value: string): string {
  try {
    new URL(value);
  } catch {
    throw new Error(`OAUTH_REDIRECT_URIS holds "${value}", which is not an absolute URL`);
  }
  return value;
}

/** `host:port:security`, e.g. `smtp.office365.com:587:starttls` (SMTP) or `outlook.office365.com:993:ssl` (IMAP). */
function parseSmtp(name: string, value: string): ProviderSmtp {
  const match = /^(.+):(\d{1,5}):(ssl|starttls|none)$/.exec(value.trim());
  if (!match) throw new Error(`${name} must look like host:port:security (security ssl, starttls or none), got "${value}"`);
  return { host: match[1], port: Number(match[2]), security: match[3] as SmtpSecurity };
}
