/**
 * What a failed send through a company's server means, by its result code: whether the same
 * server is tried again, whether the message may fall back to the default provider, and
 * whether the scope's settings turn `failing`. One place, so that the send worker and the test
 * button judge the same answer alike.
 *
 * The rule for `failing`: only an answer about the configuration itself (where to connect, TLS,
 * the login, the sender, relaying) or Microsoft's mailbox throttling, which an admin must lift.
 * Whatever concerns one message (a recipient, its size, its content, a message-level policy, an
 * unexplained refusal) or the mailbox's pace and quota never does.
 */
import type { SmtpResultCode } from '../error-catalogue';

const CONFIGURATION_FAILURES: ReadonlySet<SmtpResultCode> = new Set<SmtpResultCode>([
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
  'RELAY_DENIED',
  'SENDER_THROTTLED',
  'PROTOCOL_ERROR',
  'OAUTH_CONSENT_REQUIRED',
  'OAUTH_REAUTHORIZE_REQUIRED',
  'OAUTH_NOT_CONFIGURED',
  // A server that kept answering 4xx through every retry (not a rate limit: see below).
  'TEMPORARY_FAILURE',
]);

/** Whether a send failing with this code turns the scope's settings `failing`. */
export const turnsSettingsFailing = (code: SmtpResultCode): boolean => CONFIGURATION_FAILURES.has(code);

/** "Slow down" and quota answers: the test button leaves the settings' status as it was. */
const LIMIT_ANSWERS: ReadonlySet<SmtpResultCode> = new Set<SmtpResultCode>(['RATE_LIMITED', 'SENDER_QUOTA_EXCEEDED']);
export const keepsStatus = (code: SmtpResultCode): boolean => LIMIT_ANSWERS.has(code);

/** A rejected recipient is the candidate's address, not the company's server: no fallback. */
export const fallsBack = (code: SmtpResultCode): boolean => code !== 'RECIPIENT_REJECTED';

/** The day's quota of the mailbox is used up: fall back (or wait for the quota when fallback is off). */
export const quotaUsedUp = (code: SmtpResultCode): boolean => code === 'SENDER_QUOTA_EXCEEDED';

/** How long a rate-limited message keeps waiting for its own server before it falls back. */
export const RATE_LIMITED_PATIENCE_MS = 24 * 3600 * 1000;

/**
 * Whether to try the same server again later: a temporary failure for its first
 * `maxSmtpAttempts`; a rate limit ("slow down") for as long as the message is less than a day
 * old, however many attempts that takes, since falling back would only send the rest of the
 * day's mail from another address.
 */
export function retriesSameServer(code: SmtpResultCode, smtpAttempts: number, maxSmtpAttempts: number, ageMs: number): boolean {
  if (code === 'RATE_LIMITED') return ageMs < RATE_LIMITED_PATIENCE_MS;
  return code === 'TEMPORARY_FAILURE' && smtpAttempts < maxSmtpAttempts;
}
