/**
 * Vocabulary of the SMTP capability: the stages of the test conversation and the stable
 * result codes (DESIGN section 2). These strings are the public contract.
 */
import type { AdviceCode, SmtpResultCode } from '../error-catalogue';

export const SMTP_SECURITY = ['ssl', 'starttls', 'none'] as const;
export type SmtpSecurity = (typeof SMTP_SECURITY)[number];

export const SMTP_STAGES = [
  'policy',
  'dns',
  'connect',
  'tls',
  'greeting',
  'ehlo',
  // Getting an OAuth2 access token (capability 7); it happens before the connection.
  'oauth',
  'auth',
  'mail_from',
  'rcpt',
  'data',
  'done',
] as const;
export type SmtpStage = (typeof SMTP_STAGES)[number];

// The result codes, with their message and hint, are in the error catalogue.
export { SMTP_RESULT_CODES, type SmtpResultCode } from '../error-catalogue';

/**
 * How much one sending mailbox may do (capability 11): connections at once, messages a minute,
 * recipients a day. `null` is no limit of ours (the server's own still applies).
 */
export interface SmtpLimits {
  maxConnections: number | null;
  perMinute: number | null;
  perDay: number | null;
}

/** What is needed to talk to a company's mail server. `password` is plaintext only in memory. */
export interface SmtpServerSettings {
  host: string;
  port: number;
  security: SmtpSecurity;
  username?: string;
  password?: string;
  fromAddress: string;
  fromName?: string;
  /** `oauth2`: log in with SASL XOAUTH2 as `username` with `accessToken` instead of a password. */
  auth?: 'password' | 'oauth2';
  /** The OAuth2 access token (only in memory, only for `auth: oauth2`). */
  accessToken?: string;
  /** Which stored OAuth2 connection gives the access token (saved `oauth2` settings). */
  oauth?: OAuthIdentity;
  /** The mailbox's sending limits, held across every worker (saved settings; none in a test). */
  limits?: SmtpLimits;
}

export const OAUTH_PROVIDERS = ['microsoft', 'google'] as const;
export type OAuthProvider = (typeof OAUTH_PROVIDERS)[number];
export const OAUTH_FLOWS = ['delegated', 'app'] as const;
export type OAuthFlow = (typeof OAUTH_FLOWS)[number];

/** A scope's stored OAuth2 connection, as much as is needed to get an access token for it. */
export interface OAuthIdentity {
  companyId: string;
  scope: string;
  /** The SMTP revision of the settings the connection belongs to. */
  revision: number;
  provider: OAuthProvider;
  flow: OAuthFlow;
  account: string;
  tenantId: string | null;
  /** Delegated flow only; null for the app flow. */
  refreshTokenCiphertext: string | null;
  /** Grows with every refresh token stored; the conditional write-back compares it. */
  tokenVersion: number;
  /** The connection was granted the IMAP scopes too (refreshes ask for them). */
  inbound?: boolean;
}

/** Where connections may go: set from SMTP_ALLOWED_PORTS / SMTP_ALLOWED_PRIVATE_CIDRS. */
export interface OutboundPolicy {
  /** `'*'` allows any port. */
  allowedPorts: number[] | '*';
  /** CIDRs exempt from the private/loopback/etc. block (e.g. `127.0.0.0/8`). */
  allowedPrivateCidrs: string[];
  /** Whether `security: none` (plaintext) may be used at all. */
  allowPlaintext: boolean;
  /**
   * Accept untrusted TLS certificates (still encrypting) from servers inside
   * `allowedPrivateCidrs` only: local mail servers with self-signed certificates in local mode.
   * Off on AWS, where no private range is allowed anyway.
   */
  acceptUntrustedCertificatesInAllowedCidrs: boolean;
}

/** The answer of the "test settings" button (DESIGN section 2). */
export interface SmtpTestResult {
  ok: boolean;
  stage: SmtpStage;
  code: SmtpResultCode;
  message: string;
  hint: string | null;
  smtpResponse: string | null;
  durationMs: number;
  egressIps: string[];
  /** The SMTP dialogue, credentials redacted, one line per entry (`C: ...` / `S: ...` / `*  ...`). */
  transcript: string[];
  /** Pre-connection advice that did not stop the test (e.g. port 2525 rarely supported). */
  warnings: SettingsAdvice[];
  /** The largest message the server takes, as its EHLO announced (`SIZE`); null when it named none. */
  sizeLimit: number | null;
}

/** A known-bad or doubtful choice, found before any connection (DESIGN section 1). */
export interface SettingsAdvice {
  severity: 'error' | 'warning';
  code: AdviceCode;
  field: string;
  message: string;
  hint: string;
}
