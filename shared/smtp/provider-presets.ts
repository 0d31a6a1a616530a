/**
 * Provider presets (DESIGN section 1): host, port and security for the providers most
 * companies use, and the hints an admin needs for each, in the provider's own words. Plain
 * data so that `GET /v1/email-providers` can return it as it is.
 */
import type { SmtpResultCode } from '../error-catalogue';
import type { SmtpLimits, SmtpSecurity } from './types';

export type ProviderId = 'google' | 'microsoft365' | 'other';

export interface ProviderServerPreset {
  host: string;
  port: number;
  security: SmtpSecurity;
  recommended: boolean;
}

export interface ProviderPreset {
  id: ProviderId;
  name: string;
  /** Host, port and security to offer; empty for `other`. */
  servers: ProviderServerPreset[];
  /** What the admin must know before the first test. */
  hints: string[];
  /** Hints keyed by the result codes of a test, used by the reply classifier. */
  codeHints: Partial<Record<SmtpResultCode, string>>;
  documentationUrl: string | null;
}

export const PROVIDER_PRESETS: readonly ProviderPreset[] = [
  {
    id: 'google',
    name: 'Gmail / Google Workspace',
    servers: [
      { host: 'smtp.gmail.com', port: 465, security: 'ssl', recommended: true },
      { host: 'smtp.gmail.com', port: 587, security: 'starttls', recommended: false },
    ],
    hints: [
      'Username is the full address of the mailbox, e.g. jobs@company.com.',
      'Google no longer accepts the normal account password here: turn on 2-Step Verification for the mailbox and create an app password (Google Account > Security > App passwords).',
      'To send as a different address (an alias or group), add it under Gmail Settings > Accounts > "Send mail as" first.',
      'Do not use smtp-relay.gmail.com (needs your sending IPs registered in the Admin console) or aspmx.l.google.com (delivers only to Google mailboxes).',
    ],
    codeHints: {
      AUTH_FAILED:
        'Google rejected the username or password. Use the full address as username and an app password (16 characters, created under Google Account > Security > App passwords), not the normal password.',
      APP_PASSWORD_REQUIRED:
        'Google requires an app password for this account: turn on 2-Step Verification, then create one under Google Account > Security > App passwords and enter it here instead of the normal password.',
      SENDER_NOT_ALLOWED:
        'Gmail only sends as addresses added under Settings > Accounts > "Send mail as". Add the From address there, or use the mailbox address itself.',
      RATE_LIMITED:
        'Google is slowing this account down (too many messages or logins in a short time). Mail is retried automatically; see "Gmail sending limits in Google Workspace".',
      SENDER_QUOTA_EXCEEDED:
        'Google\'s daily sending limit for this account is used up (550 5.4.5: 2,000 messages a day on Google Workspace, 500 on a consumer Gmail account). It resets within 24 hours; until then mail goes through the default provider (or waits, when fallback is off).',
      AUTH_DISABLED:
        'Your Google Workspace admin has turned off SMTP/IMAP access or app passwords for this user. Ask them to allow it in the Admin console (Security > Less secure apps / app passwords).',
    },
    documentationUrl: 'https://support.google.com/a/answer/176600',
  },
  {
    id: 'microsoft365',
    name: 'Microsoft 365 / Exchange Online',
    servers: [{ host: 'smtp.office365.com', port: 587, security: 'starttls', recommended: true }],
    hints: [
      'Username is the full address of a licensed mailbox; shared mailboxes have no login of their own: log in as a user with "Send As" permission on the shared mailbox.',
      'SMTP AUTH must be enabled for the mailbox (Microsoft 365 admin center > Users > Mail > Manage email apps > Authenticated SMTP) and must not be disabled for the organisation.',
      'Security defaults and Conditional Access policies block basic authentication; the mailbox must be excluded, or use an app password where MFA is on.',
      'Microsoft turns basic SMTP AUTH off by default at the end of December 2026; OAuth2 will be needed after that.',
      'Do not use <domain>.mail.protection.outlook.com (direct send / relay): it does not accept mail from a third-party service for your users.',
    ],
    codeHints: {
      AUTH_FAILED:
        'Microsoft 365 rejected the username or password (535 5.7.3). Check both; the username is the full address of the mailbox that logs in.',
      AUTH_DISABLED:
        'SMTP AUTH is disabled for this mailbox or for the whole tenant. Your Microsoft 365 admin can enable "Authenticated SMTP" for the mailbox (admin center > Users > Mail > Manage email apps) and check Set-TransportConfig -SmtpClientAuthenticationDisabled.',
      AUTH_BLOCKED_BY_POLICY:
        'Microsoft 365 blocked the login by policy: Security defaults or a Conditional Access policy do not allow basic authentication for this user. Your admin must exclude this mailbox (or use an app password where MFA is enforced).',
      SENDER_NOT_ALLOWED:
        'The login user has no "Send As" permission for the From address. In the Exchange admin center, give the login user "Send As" on that mailbox (for shared mailboxes: Mailboxes > shared mailbox > Delegation > Send As), then wait up to an hour.',
      RELAY_DENIED:
        'Microsoft 365 refused to relay the message for this sender (550 5.7.64 TenantAttribution). Use smtp.office365.com on port 587 with a mailbox login, not the mail.protection.outlook.com endpoint.',
      RATE_LIMITED:
        'Microsoft 365 is slowing this mailbox down (more than 3 connections at once or 30 messages a minute). Mail is retried automatically.',
      SENDER_QUOTA_EXCEEDED:
        'The mailbox has reached Microsoft 365\'s daily limit (10,000 recipients a day, 554 5.2.0 SubmissionQuotaExceeded). It resets within 24 hours; until then mail goes through the default provider (or waits, when fallback is off).',
      SENDER_THROTTLED:
        'Microsoft 365 has throttled this mailbox after continuous errors (550 5.2.251-5.2.255) and refuses its mail. A Microsoft 365 admin must find the cause (e.g. many invalid recipients) and release the mailbox in the Exchange admin center (Restricted entities) or through Microsoft support.',
    },
    documentationUrl:
      'https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission',
  },
  {
    id: 'other',
    name: 'Other mail server',
    servers: [],
    hints: [
      'Ask your IT for the SMTP submission server, usually port 587 with STARTTLS or port 465 with SSL/TLS.',
      'If your server restricts which IP addresses may connect, allowlist the egress IP addresses shown on this page.',
      'The login user must be allowed to send as the From address.',
    ],
    codeHints: {},
    documentationUrl: null,
  },
];

/**
 * Sending limits per provider (DESIGN capability 11): Microsoft 365 SMTP AUTH allows 3
 * connections at once, 30 messages a minute and 10,000 recipients a day; Google Workspace
 * 2,000 messages a day with no connection limit of its own (60 a minute keeps clear of its
 * "unusual rate" throttling), a consumer Gmail account 500. Unknown servers get Microsoft's
 * numbers: the strictest common submission server, so a default never gets a mailbox refused.
 */
export const PROVIDER_LIMITS = {
  microsoft365: { maxConnections: 3, perMinute: 30, perDay: 10_000 },
  google: { maxConnections: null, perMinute: 60, perDay: 2_000 },
  gmail: { maxConnections: null, perMinute: 60, perDay: 500 },
  other: { maxConnections: 3, perMinute: 30, perDay: 10_000 },
} as const satisfies Record<ProviderId | 'gmail', SmtpLimits>;

const CONSUMER_GMAIL = /@(gmail|googlemail)\.com$/i;

/** The preset limits for a server and login: by provider, consumer Gmail by its address. */
export function presetLimits(host: string, username: string | null | undefined, serverText?: string): SmtpLimits {
  const provider = detectProvider(host, serverText);
  if (provider === 'google' && CONSUMER_GMAIL.test((username ?? '').trim())) return { ...PROVIDER_LIMITS.gmail };
  return { ...PROVIDER_LIMITS[provider] };
}

const GOOGLE_HOST = /(^|\.)(gmail|googlemail|google)\.com\.?$/i;
const MICROSOFT_HOST = /(^|\.)(office365\.com|outlook\.com|office\.com|microsoft\.com|hotmail\.com|live\.com)\.?$/i;
// Texts the providers put in their greeting and replies (e.g. "gsmtp", "[BN9PR03CA0123.namprd03.prod.outlook.com]").
const GOOGLE_REPLY = /\bgsmtp\b|google\.com|support\.google/i;
const MICROSOFT_REPLY = /outlook\.com|office365|Microsoft ESMTP|protection\.outlook|aka\.ms|SmtpClientAuthentication|TenantAttribution/i;

/** Which provider a server belongs to, by its host name and, optionally, by what it said. */
export function detectProvider(host: string, serverText?: string): ProviderId {
  if (GOOGLE_HOST.test(host.trim())) return 'google';
  if (MICROSOFT_HOST.test(host.trim())) return 'microsoft365';
  if (serverText) {
    if (GOOGLE_REPLY.test(serverText)) return 'google';
    if (MICROSOFT_REPLY.test(serverText)) return 'microsoft365';
  }
  return 'other';
}

export function providerPreset(id: ProviderId): ProviderPreset {
  const preset = PROVIDER_PRESETS.find((entry) => entry.id === id);
  if (!preset) throw new Error(`Unknown provider ${id}`);
  return preset;
}

export interface ProviderPresetView {
  id: ProviderId;
  name: string;
  host: string | null;
  port: number | null;
  security: SmtpSecurity | null;
  hints: string[];
}

/** The presets as `GET /v1/email-providers` shows them: the recommended server, other choices as hints. */
export function providerPresetsView(): ProviderPresetView[] {
  return PROVIDER_PRESETS.map((preset) => {
    const recommended = preset.servers.find((server) => server.recommended) ?? null;
    const alternatives = preset.servers
      .filter((server) => server !== recommended)
      .map((server) => `Also possible: ${server.host}, port ${server.port}, ${server.security === 'ssl' ? 'SSL/TLS' : server.security === 'starttls' ? 'STARTTLS' : 'no encryption'}.`);
    return {
      id: preset.id,
      name: preset.name,
      host: recommended?.host ?? null,
      port: recommended?.port ?? null,
      security: recommended?.security ?? null,
      hints: [...preset.hints, ...alternatives],
    };
  });
}
