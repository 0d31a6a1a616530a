/**
 * Vocabulary of the SMTP capability: the stages of the test conversation and the stable
 * result codes (DESIGN section 2). These strings are the public contract.
 */
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

export const SMTP_RESULT_CODES = [
  'OK',
  'DESTINATION_BLOCKED',
  'PORT_NOT_ALLOWED',
  'HOST_NOT_SUPPORTED',
  'DNS_NOT_FOUND',
  'CONNECTION_REFUSED',
  'CONNECTION_TIMEOUT',
  'GREETING_TIMEOUT',
  'TLS_MISMATCH',
  'TLS_CERTIFICATE_INVALID',
  'STARTTLS_UNAVAILABLE',
  'AUTH_UNAVAILABLE',
  'AUTH_FAILED',
  'AUTH_DISABLED',
  'AUTH_BLOCKED_BY_POLICY',
  'APP_PASSWORD_REQUIRED',
  'SENDER_NOT_ALLOWED',
  'RECIPIENT_REJECTED',
  'RELAY_DENIED',
  'RATE_LIMITED',
  'TEMPORARY_FAILURE',
  'PROTOCOL_ERROR',
  'UNKNOWN',
  // OAuth2 (capability 7): no client for the provider, consent missing, refresh token dead.
  'OAUTH_NOT_CONFIGURED',
  'OAUTH_CONSENT_REQUIRED',
  'OAUTH_REAUTHORIZE_REQUIRED',
] as const;
export type SmtpResultCode = (typeof SMTP_RESULT_CODES)[number];

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
}

/** A scope's stored OAuth2 connection, as much as is needed to get an access token for it. */
export interface OAuthIdentity {
  companyId: string;
  scope: string;
  /** The SMTP revision of the settings the connection belongs to. */
  revision: number;
  provider: 'microsoft' | 'google';
  flow: 'delegated' | 'app';
  account: string;
  tenantId: string | null;
  /** Delegated flow only; null for the app flow. */
  refreshTokenCiphertext: string | null;
  /** Grows with every refresh token stored; the conditional write-back compares it. */
  tokenVersion: number;
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
}

/** A known-bad or doubtful choice, found before any connection (DESIGN section 1). */
export interface SettingsAdvice {
  severity: 'error' | 'warning';
  code: string;
  field: string;
  message: string;
  hint: string;
}
