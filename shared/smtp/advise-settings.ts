/**
 * Known-bad and doubtful SMTP settings, found before any connection (DESIGN section 1).
 * An `error` stops the test before connecting (its `code` is a result code of section 2);
 * a `warning` is reported beside the test result, because the server itself may prove it fine.
 */
import { normaliseIpLiteral } from './destination-guard';
import { detectProvider } from './provider-presets';
import { SETTINGS_WARNINGS, type SettingsWarningCode } from '../error-catalogue';
import type { SettingsAdvice, SmtpServerSettings } from './types';

/** A warning, with its field from the error catalogue. */
export const settingsWarning = (code: SettingsWarningCode, message: string, hint: string): SettingsAdvice => ({
  severity: 'warning',
  code,
  field: SETTINGS_WARNINGS[code].field,
  message,
  hint,
});

/** A host name as compared: without surrounding space, case or a trailing dot. */
export const normalizeHost = (host: string): string => host.trim().toLowerCase().replace(/\.$/, '');

interface HostRule {
  matches: (host: string) => boolean;
  message: string;
  hint: string;
}

const UNSUPPORTED_HOSTS: HostRule[] = [
  {
    matches: (host) => host === 'smtp-relay.gmail.com',
    message: 'smtp-relay.gmail.com is Google Workspace\'s relay service, which only accepts mail from IP addresses registered in your Admin console.',
    hint: 'Use smtp.gmail.com (port 465 SSL/TLS or 587 STARTTLS) with the mailbox address and an app password.',
  },
  {
    matches: (host) => host === 'aspmx.l.google.com' || /^alt\d\.aspmx\.l\.google\.com$/.test(host),
    message: 'aspmx.l.google.com is Google\'s incoming mail server: it delivers only to Google mailboxes and does not send to candidates.',
    hint: 'Use smtp.gmail.com (port 465 SSL/TLS or 587 STARTTLS) with the mailbox address and an app password.',
  },
  {
    matches: (host) => host.endsWith('.mail.protection.outlook.com'),
    message: 'This is Microsoft 365 direct send / relay (mail.protection.outlook.com), which does not accept mail from a third-party service for your users.',
    hint: 'Use smtp.office365.com, port 587, STARTTLS, with the login of a mailbox that may send as this address.',
  },
];

const looksLikeAddress = (value: string) => /^[^@\s]+@[^@\s]+$/.test(value);

export function adviseSmtpSettings(settings: SmtpServerSettings): SettingsAdvice[] {
  const advice: SettingsAdvice[] = [];
  const host = normalizeHost(settings.host);
  const provider = detectProvider(host);

  // IP literals are judged by the destination guard; this catches URLs, ports and addresses.
  if (normaliseIpLiteral(host) === null && (/[\s/:@]/.test(host) || host.length === 0)) {
    advice.push({
      severity: 'error',
      code: 'HOST_NOT_SUPPORTED',
      field: 'smtp.host',
      message: `"${settings.host}" is not a server name.`,
      hint: 'Enter only the SMTP server name, for example smtp.gmail.com or smtp.office365.com, without "smtp://", a port or an address.',
    });
  }
  for (const rule of UNSUPPORTED_HOSTS) {
    if (rule.matches(host)) {
      advice.push({ severity: 'error', code: 'HOST_NOT_SUPPORTED', field: 'smtp.host', message: rule.message, hint: rule.hint });
    }
  }

  if (settings.port === 25) {
    advice.push(
      settingsWarning(
        'PORT_25_BLOCKED',
        'Port 25 is blocked for outgoing connections on AWS and by many networks, and servers usually do not accept logins on it.',
        'Use the submission port: 587 with STARTTLS or 465 with SSL/TLS.',
      ),
    );
  } else if (settings.port === 2525) {
    advice.push(
      settingsWarning(
        'PORT_RARELY_SUPPORTED',
        'Port 2525 is not a standard port and few mail servers listen on it.',
        'Use 587 with STARTTLS or 465 with SSL/TLS unless your provider documents 2525.',
      ),
    );
  }

  if (settings.security === 'ssl' && settings.port === 587) {
    advice.push({
      severity: 'warning',
      code: 'TLS_MISMATCH',
      field: 'smtp.security',
      message: 'Port 587 normally uses STARTTLS, not SSL/TLS from the start.',
      hint: 'Choose STARTTLS for port 587, or port 465 for SSL/TLS.',
    });
  } else if (settings.security === 'starttls' && settings.port === 465) {
    advice.push({
      severity: 'warning',
      code: 'TLS_MISMATCH',
      field: 'smtp.security',
      message: 'Port 465 normally uses SSL/TLS from the start, not STARTTLS.',
      hint: 'Choose SSL/TLS for port 465, or port 587 for STARTTLS.',
    });
  }
  if (settings.security === 'none') {
    advice.push(
      settingsWarning(
        'PLAINTEXT',
        'Without encryption the password and every message travel in clear text.',
        'Choose STARTTLS (port 587) or SSL/TLS (port 465); most servers refuse logins without it.',
      ),
    );
  }

  const username = settings.username?.trim() ?? '';
  if (username === '') {
    advice.push(
      settingsWarning(
        'USERNAME_MISSING',
        'No username: the server must accept mail without a login, which few do.',
        provider === 'microsoft365'
          ? 'Shared mailboxes have no login of their own: enter a licensed user that has "Send As" permission on this mailbox, and that user\'s password.'
          : 'Enter the login of the mailbox (usually its full address). For a shared mailbox, use a user that may send as it.',
      ),
    );
  } else if (looksLikeAddress(username) && username.toLowerCase() !== settings.fromAddress.trim().toLowerCase()) {
    advice.push(
      settingsWarning(
        'SEND_AS_REQUIRED',
        `The From address ${settings.fromAddress} differs from the login ${username}.`,
        provider === 'google'
          ? 'Add the From address under Gmail Settings > Accounts > "Send mail as" for the login mailbox.'
          : provider === 'microsoft365'
            ? 'Give the login user "Send As" permission on the From mailbox in the Exchange admin center.'
            : 'The login user must be allowed to send as the From address; ask your IT.',
      ),
    );
  }
  return advice;
}
