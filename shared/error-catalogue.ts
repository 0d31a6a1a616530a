/**
 * The error catalogue: every code the HTTP API answers with or a stored record can carry, in
 * one table per kind, each with what goes with it (HTTP status; or message and hint). The
 * codes are the public contract of DESIGN.md: keep their names exact, add more freely.
 *
 * - API errors (`{"error": {"code", ...}}`): `API_ERRORS`, code -> HTTP status.
 * - SMTP results (the test button's `code`, `lastTest.code`, a failed send): `SMTP_RESULTS`,
 *   code -> plain-language message and generic hint (the classifier may say more precisely).
 * - Settings warnings (pre-connection advice that does not stop a test): `SETTINGS_WARNINGS`.
 * Where an entry has a `meaning`, it says what the code stands for; the message a user sees is
 * written where the situation is known (it names the port, the address, the provider).
 * - Delivery outcomes only stored on a message: `DEFAULT_PROVIDER_ERRORS`, `DELIVERY_ERRORS`.
 */

/** API error codes and their HTTP status. */
export const API_ERRORS = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  OAUTH_NOT_CONFIGURED: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  SCOPE_LIMIT_REACHED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  SMTP_TEST_FAILED: 422,
  IMAP_TEST_FAILED: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
} as const satisfies Record<string, number>;
export type ApiErrorCode = keyof typeof API_ERRORS;

interface Explained {
  /** What happened, in plain language. */
  message: string;
  /** What to do about it. */
  hint: string;
}

/**
 * Result codes of the SMTP conversation (DESIGN section 2): the test's answer, a scope's last
 * test and a failed send. Plain-language message and generic hint of each code; provider
 * hints and the classifier's own words take precedence. The order is the order of the API's enum.
 */
export const SMTP_RESULTS = {
  OK: { message: 'The server accepted the login and the sender.', hint: '' },
  DESTINATION_BLOCKED: {
    message: 'The mail server address is not allowed.',
    hint: 'Enter the public host name of your mail server.',
  },
  PORT_NOT_ALLOWED: {
    message: 'This port is not allowed for outgoing mail.',
    hint: 'Use 587 (STARTTLS) or 465 (SSL/TLS).',
  },
  HOST_NOT_SUPPORTED: {
    message: 'This server cannot be used to send mail from this service.',
    hint: 'Use your provider\'s SMTP submission server.',
  },
  DNS_NOT_FOUND: {
    message: 'The server name does not exist.',
    hint: 'Check the spelling of the server name.',
  },
  CONNECTION_REFUSED: {
    message: 'The server refused the connection: nothing accepts connections on this port.',
    hint: 'Check the port (usually 587 or 465). If it is right, a firewall may block this service: ask your IT to allow the egress IP addresses listed here.',
  },
  CONNECTION_TIMEOUT: {
    message: 'The server did not answer the connection attempt.',
    hint: 'A firewall probably drops the connection. Check host and port, and ask your IT to allow the egress IP addresses listed here.',
  },
  GREETING_TIMEOUT: {
    message: 'The server accepted the connection but never sent its SMTP greeting.',
    hint: 'Check the port and security setting (465 needs SSL/TLS, 587 needs STARTTLS); the port may belong to another service.',
  },
  TLS_MISMATCH: {
    message: 'The security setting does not match what the server expects on this port.',
    hint: 'Use SSL/TLS with port 465 and STARTTLS with port 587.',
  },
  TLS_CERTIFICATE_INVALID: {
    message: 'The server\'s TLS certificate is not valid.',
    hint: 'The certificate must be issued by a public certificate authority for exactly this host name and not be expired. Ask your IT to renew or fix it, or use the host name the certificate is issued for.',
  },
  STARTTLS_UNAVAILABLE: {
    message: 'The server does not offer STARTTLS on this port.',
    hint: 'Use port 465 with SSL/TLS if the server supports it, or ask your IT to enable STARTTLS.',
  },
  AUTH_UNAVAILABLE: {
    message: 'The server offers no login on this connection.',
    hint: 'This is often a relay or an incoming-mail server, or a port that accepts logins only after STARTTLS. Use the provider\'s submission server (587 with STARTTLS or 465 with SSL/TLS) with a mailbox login.',
  },
  AUTH_FAILED: {
    message: 'The server rejected the username or password.',
    hint: 'Check the username (usually the full address) and the password.',
  },
  AUTH_DISABLED: {
    message: 'Password login (SMTP AUTH) is turned off for this mailbox or organisation.',
    hint: 'Ask your mail administrator to enable SMTP AUTH for this mailbox.',
  },
  AUTH_BLOCKED_BY_POLICY: {
    message: 'A security policy blocked the login.',
    hint: 'Ask your mail administrator to allow SMTP AUTH for this mailbox under the organisation\'s security policies.',
  },
  APP_PASSWORD_REQUIRED: {
    message: 'The account needs an app password instead of its normal password.',
    hint: 'Create an app password for the mailbox and enter it here.',
  },
  SENDER_NOT_ALLOWED: {
    message: 'The server does not allow this login to send as the From address.',
    hint: 'Give the login user permission to send as the From address, or use the login\'s own address as From.',
  },
  RECIPIENT_REJECTED: {
    message: 'The server rejected the recipient address.',
    hint: 'Check the recipient address.',
  },
  RELAY_DENIED: {
    message: 'The server refused to relay the mail: it does not let this sender (or a client without login) send to other domains.',
    hint: 'Log in with a mailbox of the server (relay without login is not supported), and send from an address of that mailbox.',
  },
  RATE_LIMITED: {
    message: 'The server is limiting how much mail this account may send right now.',
    hint: 'Wait a while and try again.',
  },
  SENDER_QUOTA_EXCEEDED: {
    message: 'The mailbox has used up what its provider lets it send in a day.',
    hint: 'Nothing is broken: mail goes through the default provider until the quota resets (or waits for it when fallback is off). To send more through this mailbox, ask your provider for a higher limit or spread the mail over more mailboxes.',
  },
  SENDER_THROTTLED: {
    message: 'The provider throttles this mailbox after too many errors and refuses mail from it for everyone.',
    hint: 'An administrator must act: Microsoft 365 keeps refusing the mailbox (550 5.2.251 to 5.2.255) until the cause (many invalid recipients or failed logins) is fixed and the mailbox is released in the Microsoft 365 admin center or by Microsoft support.',
  },
  MESSAGE_TOO_LARGE: {
    message: 'The message is larger than the mail server accepts.',
    hint: 'Send smaller attachments (or a link to the file) through this server, or ask your IT to raise the server\'s message size limit. The configuration itself is fine.',
  },
  TEMPORARY_FAILURE: {
    message: 'The server reported a temporary problem.',
    hint: 'Try again in a few minutes.',
  },
  PROTOCOL_ERROR: {
    message: 'The server answered something that is not valid SMTP.',
    hint: 'Check that host and port point to an SMTP submission server; give the transcript to your IT.',
  },
  UNKNOWN: {
    message: 'The test failed for a reason that could not be identified.',
    hint: 'Give the server\'s reply and the transcript to your IT.',
  },
  OAUTH_NOT_CONFIGURED: {
    message: 'Signing in with this provider is not set up on this service.',
    hint: 'The operator must register an OAuth client for the provider (see the README).',
  },
  OAUTH_CONSENT_REQUIRED: {
    message: 'The provider did not grant access: consent is missing or was withdrawn.',
    hint: 'Have an administrator of your organisation approve the app, then connect again.',
  },
  OAUTH_REAUTHORIZE_REQUIRED: {
    message: 'The sign-in has expired or was revoked.',
    hint: 'Connect the mailbox again (sign in once more).',
  },
} as const satisfies Record<string, Explained>;
export type SmtpResultCode = keyof typeof SMTP_RESULTS;
export const SMTP_RESULT_CODES = Object.keys(SMTP_RESULTS) as [SmtpResultCode, ...SmtpResultCode[]];

const SMTP_RESULT_CODE_SET: ReadonlySet<string> = new Set(SMTP_RESULT_CODES);
export const isSmtpResultCode = (code: string): code is SmtpResultCode => SMTP_RESULT_CODE_SET.has(code);

/**
 * Result codes of reading a company mailbox over IMAP (DESIGN capability 12) beyond those it
 * shares with the SMTP test (`IMAP_REUSED_CODES`): the inbound test's `code` and a failing
 * mailbox's `failure.code`. Microsoft 365 and Gmail answer these situations in their own words;
 * the hints name the admin's step.
 */
export const IMAP_RESULTS = {
  IMAP_DISABLED: {
    message: 'The server accepted the sign-in but IMAP access is turned off for this mailbox.',
    hint: 'Microsoft 365: an Exchange admin runs `Set-CASMailbox -Identity <mailbox> -ImapEnabled $true` (Exchange Online PowerShell). Gmail: Settings > See all settings > Forwarding and POP/IMAP > Enable IMAP; Google Workspace: the admin allows IMAP access in the Admin console (Apps > Google Workspace > Gmail > End user access).',
  },
  IMAP_MAILBOX_ACCESS_DENIED: {
    message: 'The app signed in, but Exchange does not let it open this mailbox.',
    hint: 'For the app flow an Exchange admin registers the app\'s service principal (`New-ServicePrincipal -AppId <client id> -ObjectId <enterprise app object id>`) and grants it the mailbox (`Add-MailboxPermission -Identity <mailbox> -User <service principal id> -AccessRights FullAccess`); the app needs the `IMAP.AccessAsApp` application permission of Office 365 Exchange Online with admin consent. IMAP must also be enabled for the mailbox (`Set-CASMailbox -ImapEnabled $true`).',
  },
  IMAP_FOLDER_NOT_FOUND: {
    message: 'The folder does not exist in this mailbox.',
    hint: 'Check the folder name (usually INBOX); names of other folders are case-sensitive and sub-folders are written with the server\'s separator, e.g. INBOX/Bewerbungen or INBOX.Bewerbungen.',
  },
} as const satisfies Record<string, Explained>;
export type ImapOnlyResultCode = keyof typeof IMAP_RESULTS;
/** The SMTP test's codes that mean the same for IMAP (connection, TLS, login, OAuth). */
export const IMAP_REUSED_CODES = [
  'OK',
  'DESTINATION_BLOCKED',
  'PORT_NOT_ALLOWED',
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
  'TEMPORARY_FAILURE',
  'PROTOCOL_ERROR',
  'UNKNOWN',
  'OAUTH_NOT_CONFIGURED',
  'OAUTH_CONSENT_REQUIRED',
  'OAUTH_REAUTHORIZE_REQUIRED',
] as const satisfies readonly SmtpResultCode[];
export type ImapResultCode = (typeof IMAP_REUSED_CODES)[number] | ImapOnlyResultCode;
export const IMAP_RESULT_CODES = [...IMAP_REUSED_CODES, ...(Object.keys(IMAP_RESULTS) as ImapOnlyResultCode[])] as [ImapResultCode, ...ImapResultCode[]];

/** The plain-language message and generic hint of an IMAP result code. */
export const explainImapResult = (code: ImapResultCode): Explained =>
  code in IMAP_RESULTS ? IMAP_RESULTS[code as ImapOnlyResultCode] : SMTP_RESULTS[code as SmtpResultCode];

/**
 * Why the redirect check failed, when we know it (the check's `redirect.code`): the company's
 * mail system refused to forward the test mail.
 */
export const REDIRECT_RESULTS = {
  FORWARDING_BLOCKED: {
    message: 'The company\'s mail system refused to forward the test mail to the inbound address (550 5.7.520: external forwarding is not allowed).',
    hint: 'Microsoft 365 blocks automatic forwarding to outside addresses by default. An admin allows it in Microsoft 365 Defender > Policies & rules > Threat policies > Anti-spam > Anti-spam outbound policy: set "Automatic forwarding rules" to "On - Forwarding is enabled" (best in a custom policy for this mailbox only). Or read the mailbox instead of forwarding: PUT /v1/email-settings/{scope}/inbound with `mode: imap`, which needs no forwarding rule.',
  },
} as const satisfies Record<string, Explained>;
export type RedirectResultCode = keyof typeof REDIRECT_RESULTS;

/**
 * Warnings found before any connection (DESIGN section 1), reported beside a test's result.
 * Some advice uses an SMTP result code instead (`TLS_MISMATCH` as a warning, `HOST_NOT_SUPPORTED`
 * as an error that stops the test); each entry names the field it is about.
 */
export const SETTINGS_WARNINGS = {
  PORT_25_BLOCKED: { field: 'smtp.port', meaning: 'Port 25 is blocked for outgoing connections on AWS and by many networks.' },
  PORT_RARELY_SUPPORTED: { field: 'smtp.port', meaning: 'Port 2525 is not a standard port.' },
  PLAINTEXT: { field: 'smtp.security', meaning: 'Without encryption the password and every message travel in clear text.' },
  USERNAME_MISSING: { field: 'smtp.username', meaning: 'No username: the server must accept mail without a login.' },
  SEND_AS_REQUIRED: { field: 'smtp.fromAddress', meaning: 'The From address differs from the login.' },
  TLS_CERTIFICATE_UNTRUSTED: { field: 'smtp.host', meaning: 'The certificate was accepted only because the server is in an allowed private range.' },
  FROM_DIFFERS_FROM_ADDRESS: {
    field: 'address',
    meaning: "Mail goes out from another address than the scope's `address` (the mailbox that forwards replies here), e.g. after signing in with another account.",
  },
} as const satisfies Record<string, { field: string; meaning: string }>;
export type SettingsWarningCode = keyof typeof SETTINGS_WARNINGS;
/** The code of a piece of settings advice: a warning's own code, or a result code for an error. */
export type AdviceCode = SettingsWarningCode | SmtpResultCode;

/**
 * Failures of the default provider (SES), stored on a message and a scope's `failure`.
 * `temporary`: whether the send worker retries with backoff.
 */
export const DEFAULT_PROVIDER_ERRORS = {
  /** The provider refused this message or our account/identity; sending it again will not help. */
  DEFAULT_PROVIDER_REJECTED: { temporary: false, meaning: 'The default provider refused the message.' },
  /** Throttling, a 5xx, a network failure (not temporary only when it may have accepted the message). */
  DEFAULT_PROVIDER_UNAVAILABLE: { temporary: true, meaning: 'The default provider could not be reached or is throttling.' },
} as const satisfies Record<string, { temporary: boolean; meaning: string }>;
export type DefaultProviderErrorCode = keyof typeof DEFAULT_PROVIDER_ERRORS;
export const DEFAULT_PROVIDER_ERROR_CODES = Object.keys(DEFAULT_PROVIDER_ERRORS) as [DefaultProviderErrorCode, ...DefaultProviderErrorCode[]];

/** Outcomes of a message that are neither an SMTP result nor a provider's error. */
export const DELIVERY_ERRORS = {
  /** The server got the whole message but never confirmed it: it may have been delivered, so it is not sent again. */
  DELIVERY_UNCERTAIN: { temporary: false, meaning: 'The message may have been delivered; it is not sent again.' },
  /** A bounce (DSN) for the message came back to the inbound address. */
  BOUNCED: { temporary: false, meaning: 'Delivery to the recipient failed after the server accepted the message.' },
  /**
   * Attempts that ended without any server's answer (an exception of ours, a worker that
   * stopped): retried a few times, then `failed` with this code, until resent by hand.
   */
  DELIVERY_ERROR: { temporary: false, meaning: 'Delivery stopped on an error that is not a mail server\'s answer, too many times; resend it by hand.' },
} as const satisfies Record<string, { temporary: boolean; meaning: string }>;
export type DeliveryErrorCode = keyof typeof DELIVERY_ERRORS;

/**
 * Why the default provider refused a message before any SES call (DESIGN section 10): stored
 * on the message with the message and hint below.
 */
export const DEFAULT_PROVIDER_GUARD_ERRORS = {
  RECIPIENT_SUPPRESSED: {
    message: 'Not sent: an earlier mail to this address through the default provider bounced permanently or was marked as spam.',
    hint: 'Check the address with the candidate. If it is right again, an admin can lift the suppression (DELETE /v1/suppressions/{address}); mail through your own server is not suppressed.',
  },
  DEFAULT_PROVIDER_PAUSED: {
    message: "Not sent: your company's mail through the default provider is paused because too many of its recent mails bounced or were marked as spam.",
    hint: 'Clean the list of addresses (remove those that bounce), or send through your own server (mode smtp). Sending resumes by itself once the rates fall under the limits within the window, or when an operator lifts the pause.',
  },
} as const satisfies Record<string, Explained>;
export type DefaultProviderGuardErrorCode = keyof typeof DEFAULT_PROVIDER_GUARD_ERRORS;

/** What a stored message's `error.code` can be. */
export type MessageErrorCode = SmtpResultCode | DefaultProviderErrorCode | DeliveryErrorCode | DefaultProviderGuardErrorCode;
/** What a scope's stored send `failure.code` can be: the same codes as a message's. */
export type SendFailureCode = MessageErrorCode;
