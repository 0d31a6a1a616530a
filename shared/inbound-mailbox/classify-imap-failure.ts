/**
 * What an IMAP failure means, for the IT admin who must fix it: the result code and a hint
 * naming the step, recognising what Microsoft 365 and Gmail answer (IMAP off for the mailbox,
 * the app not allowed into it, password logins no longer accepted), folders that do not exist,
 * and the certificate and connection problems the SMTP test knows too.
 */
import { explainImapResult, type ImapResultCode } from '../error-catalogue';
import type { OAuthFlow, OAuthProvider } from '../smtp/types';
import type { ImapFailure } from './mailbox-reader';
import type { ImapAuth, ImapStage } from './model';

export interface ImapFailureContext {
  host: string;
  port: number;
  security: 'ssl' | 'starttls' | 'none';
  auth: ImapAuth;
  folder: string;
  username: string;
  oauth?: { provider: OAuthProvider; flow: OAuthFlow };
}

export interface ImapVerdict {
  stage: ImapStage;
  code: ImapResultCode;
  message: string;
  hint: string;
}

/** Which provider runs the server: by the host name, else by the OAuth connection. */
export function imapProviderOf(host: string, oauth?: { provider: OAuthProvider }): OAuthProvider | null {
  const name = host.trim().toLowerCase().replace(/\.$/, '');
  if (/(^|\.)(office365\.com|outlook\.com|office\.com)$/.test(name)) return 'microsoft';
  if (/(^|\.)(gmail\.com|googlemail\.com|google\.com)$/.test(name)) return 'google';
  return oauth?.provider ?? null;
}

/** Microsoft's "User is authenticated but not connected.", Gmail's "[ALERT] ... IMAP access is disabled", Dovecot's nologin. */
const IMAP_OFF = /authenticated but not connected|IMAP (access )?(is )?(disabled|not enabled)|not enabled for IMAP|enable IMAP|IMAP use/i;
const NO_SUCH_FOLDER = /NONEXISTENT|TRYCREATE|doesn'?t exist|does not exist|not exist|unknown mailbox|no such (mailbox|folder)|mailbox not found|folder not found/i;
const CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/;

export function classifyImapFailure(failure: ImapFailure, context: ImapFailureContext): ImapVerdict {
  const provider = imapProviderOf(context.host, context.oauth);
  const words = `${failure.serverCode ?? ''} ${failure.serverText ?? ''}`.trim();
  const verdict = (code: ImapResultCode, hint?: string, message?: string): ImapVerdict => {
    const explained = explainImapResult(code);
    const said = failure.serverText ? ` The server said: "${failure.serverText}".` : '';
    return { stage: failure.stage, code, message: (message ?? explained.message) + said, hint: hint ?? explained.hint };
  };
  const appFlow = context.oauth?.provider === 'microsoft' && context.oauth.flow === 'app';
  const imapOff = () => (appFlow ? verdict('IMAP_MAILBOX_ACCESS_DENIED') : verdict('IMAP_DISABLED'));
  const errorCode = failure.errorCode ?? '';

  switch (failure.stage) {
    case 'connect':
      if (errorCode === 'ECONNREFUSED') {
        return verdict('CONNECTION_REFUSED', `Check the port (993 for SSL/TLS, 143 for STARTTLS) and the host (the IMAP server, e.g. outlook.office365.com or imap.gmail.com). If both are right, a firewall blocks this service: ask your IT to allow the egress IP addresses listed here on port ${context.port}.`);
      }
      return verdict('CONNECTION_TIMEOUT', `A firewall probably drops the connection. Check host and port, and ask your IT to allow the egress IP addresses listed here on port ${context.port}.`);
    case 'tls':
      if (failure.message.includes('STARTTLS') || errorCode === '') {
        if (/STARTTLS/i.test(failure.message)) return verdict('STARTTLS_UNAVAILABLE', 'Use port 993 with SSL/TLS if the server supports it, or ask your IT to enable STARTTLS on port 143.');
      }
      if (CERTIFICATE.test(errorCode)) {
        return verdict('TLS_CERTIFICATE_INVALID', undefined, `The server's TLS certificate is not valid (${errorCode}: ${failure.message}).`);
      }
      if (/wrong version number|WRONG_VERSION|packet length too long|unknown protocol/i.test(`${errorCode} ${failure.message}`)) {
        return verdict('TLS_MISMATCH', 'Use SSL/TLS with port 993 and STARTTLS with port 143.');
      }
      return verdict('TLS_MISMATCH', 'The secure connection could not be set up. Use SSL/TLS with port 993 and STARTTLS with port 143.', `The TLS handshake failed (${errorCode || failure.message}).`);
    case 'greeting':
      if (context.security !== 'ssl' && context.port === 993) {
        return verdict('TLS_MISMATCH', 'Port 993 expects SSL/TLS from the start: choose security "ssl", or port 143 with STARTTLS.');
      }
      return verdict('GREETING_TIMEOUT', 'The port may belong to another service, or expect SSL/TLS from the start: use 993 with SSL/TLS or 143 with STARTTLS.', 'The server accepted the connection but never sent its IMAP greeting.');
    case 'auth':
      return classifyLogin(failure, context, provider, words, verdict, imapOff);
    case 'folder':
      if (IMAP_OFF.test(words)) return imapOff();
      if (NO_SUCH_FOLDER.test(words)) {
        return verdict('IMAP_FOLDER_NOT_FOUND', undefined, `The folder "${context.folder}" does not exist in the mailbox ${context.username}.`);
      }
      return verdict('PROTOCOL_ERROR', 'Give the server\'s answer to your IT.', `The server refused to open the folder "${context.folder}".`);
    default:
      return verdict('UNKNOWN');
  }
}

function classifyLogin(
  failure: ImapFailure,
  context: ImapFailureContext,
  provider: OAuthProvider | null,
  words: string,
  verdict: (code: ImapResultCode, hint?: string, message?: string) => ImapVerdict,
  imapOff: () => ImapVerdict,
): ImapVerdict {
  if (IMAP_OFF.test(words) || failure.serverCode === 'CONTACTADMIN') return imapOff();
  if (/UNAVAILABLE|try again later|temporar/i.test(words)) return verdict('TEMPORARY_FAILURE');
  if (/No matching authentication method|Login is disabled|LOGINDISABLED|PRIVACYREQUIRED/i.test(`${failure.message} ${words}`)) {
    return verdict('AUTH_UNAVAILABLE', 'The server offers no login this service can use on this connection: use SSL/TLS (993) or STARTTLS (143), and OAuth2 for Microsoft 365 and Gmail.');
  }
  if (provider === 'microsoft' && context.auth === 'password') {
    return verdict(
      'AUTH_DISABLED',
      'Microsoft 365 no longer accepts passwords for IMAP (basic authentication is turned off): connect the mailbox with Microsoft (POST …/oauth/microsoft/start with "inbound": true) and choose auth "oauth2".',
      'Microsoft 365 refused the password login.',
    );
  }
  if (provider === 'microsoft') {
    const appSteps = context.oauth?.flow === 'app' ? explainImapResult('IMAP_MAILBOX_ACCESS_DENIED').hint : 'If IMAP is enabled, connect the mailbox again with "inbound": true so that the token carries IMAP.AccessAsUser.All.';
    return verdict('IMAP_DISABLED', `${explainImapResult('IMAP_DISABLED').hint.split(' Gmail:')[0]} ${appSteps}`, 'Microsoft 365 refused the token for IMAP: IMAP is off for the mailbox, or the token lacks the IMAP permission.');
  }
  if (provider === 'google' && context.auth === 'password') {
    return verdict('AUTH_FAILED', 'Gmail takes no account password over IMAP: use an app password (with 2-step verification on), or better connect the mailbox with Google and choose auth "oauth2". Also check that IMAP is enabled in Gmail\'s settings.');
  }
  if (provider === 'google') {
    return verdict('AUTH_FAILED', 'Google refused the token: check that IMAP is enabled (Gmail settings > Forwarding and POP/IMAP), that the Workspace admin trusts the app (https://mail.google.com/ scope), and connect the mailbox again if it persists.');
  }
  return verdict('AUTH_FAILED', 'Check the username (usually the full address) and the password.', 'The server rejected the username or password.');
}
