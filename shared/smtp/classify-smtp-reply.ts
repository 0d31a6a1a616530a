/**
 * Turns a failed SMTP conversation step (a reply line, a socket/TLS error, a timeout) into a
 * stable result code with a plain-language message and an actionable hint, in the provider's
 * words where the provider is known. Decisions rest on the enhanced status code (RFC 3463)
 * and the reply text: the 3-digit code alone is too coarse (Microsoft answers 535 for a wrong
 * password, a disabled SMTP AUTH and a Conditional Access block alike).
 */
import { detectProvider, providerPreset, type ProviderId } from './provider-presets';
import { SMTP_RESULTS, type SmtpResultCode } from '../error-catalogue';
import type { SmtpSecurity, SmtpStage } from './types';

export type SmtpFailure =
  /** The server answered with a negative (4xx/5xx) or otherwise unexpected reply. */
  | { kind: 'reply'; stage: SmtpStage; reply: string }
  /** The stage's timeout (or the whole test's deadline) ran out. */
  | { kind: 'timeout'; stage: SmtpStage }
  /** The server closed the connection without a reply. */
  | { kind: 'closed'; stage: SmtpStage }
  /** A socket or TLS error (`ECONNREFUSED`, `ERR_SSL_WRONG_VERSION_NUMBER`, `CERT_HAS_EXPIRED`...). */
  | { kind: 'socket_error'; stage: SmtpStage; errorCode?: string; errorMessage: string }
  /** Bytes that are not an SMTP reply. */
  | { kind: 'malformed_reply'; stage: SmtpStage; reply: string }
  /** EHLO listed no AUTH, or no mechanism this client can use. */
  | { kind: 'auth_not_offered'; stage: SmtpStage; mechanisms: string[] }
  /** EHLO listed no STARTTLS although `security: starttls`. */
  | { kind: 'starttls_not_offered'; stage: SmtpStage }
  /** The message is larger than the server announced in EHLO `SIZE`: refused before MAIL FROM. */
  | { kind: 'too_large'; stage: SmtpStage; sizeLimit: number; messageSize: number };

export interface FailureContext {
  host: string;
  port: number;
  security: SmtpSecurity;
  /** What the server said so far (greeting, EHLO), to recognise the provider. */
  serverText?: string;
  /** A TLS handshake on the same port succeeded after the plain connection got no greeting. */
  speaksImplicitTls?: boolean;
  /** The largest message the server announced in EHLO (`SIZE`), when it did. */
  sizeLimit?: number | null;
  /** The size of the message being sent, when there is one. */
  messageSize?: number;
}

export interface SmtpClassification {
  code: SmtpResultCode;
  message: string;
  hint: string;
  /** Whether trying again later may succeed without changing anything (4xx, dropped connection). */
  temporary: boolean;
}

export interface ParsedReply {
  /** The 3-digit code of the last line. */
  code: number;
  /** The enhanced status code (`5.7.139`), when the server sent one. */
  enhanced: string | null;
  /** The text of every line, joined by a space. */
  text: string;
}

const LINE = /^(\d{3})[ -]?(.*)$/;
const ENHANCED = /^([245]\.\d{1,3}\.\d{1,3})\b\s*/;

/** Parses a (possibly multi-line) reply; null when it does not look like SMTP. */
export function parseSmtpReply(reply: string): ParsedReply | null {
  const lines = reply.split(/\r?\n/).filter((line) => line.length > 0);
  if (lines.length === 0) return null;
  let code = 0;
  let enhanced: string | null = null;
  const texts: string[] = [];
  for (const line of lines) {
    const match = LINE.exec(line);
    if (!match) return null;
    code = Number(match[1]);
    let text = match[2];
    const enhancedMatch = ENHANCED.exec(text);
    if (enhancedMatch) {
      enhanced ??= enhancedMatch[1];
      text = text.slice(enhancedMatch[0].length);
    }
    texts.push(text.trim());
  }
  return { code, enhanced, text: texts.join(' ').trim() };
}

interface Verdict {
  code: SmtpResultCode;
  /** Overrides the generic message of the code. */
  message?: string;
  /** Overrides the generic (and provider) hint of the code. */
  hint?: string;
  temporary?: boolean;
}

const has = (text: string, pattern: RegExp) => pattern.test(text);

/**
 * One line of the reply tables, in the spirit of nodemailer's own error table: when it
 * applies, and the verdict. A rule applies when its `stages` (if any) include the stage and
 * any one of `codes`, `enhanced` or `text` matches (a rule with none of them applies to every
 * reply at its stages). An `enhanced` entry ending in a dot is a class (`4.3.` is 4.3.x).
 */
interface ReplyRule {
  stages?: readonly SmtpStage[];
  /** A further condition that must hold as well (e.g. the 3-digit code together with the enhanced one). */
  only?: (reply: ParsedReply) => boolean;
  codes?: readonly number[];
  enhanced?: readonly string[];
  text?: RegExp;
  verdict: Verdict | ((reply: ParsedReply, context: FailureContext) => Verdict);
}

function applies(rule: ReplyRule, stage: SmtpStage, reply: ParsedReply): boolean {
  if (rule.stages && !rule.stages.includes(stage)) return false;
  if (rule.only && !rule.only(reply)) return false;
  if (!rule.codes && !rule.enhanced && !rule.text) return true;
  const enhanced = reply.enhanced ?? '';
  return (
    (rule.codes?.includes(reply.code) ?? false) ||
    (rule.enhanced?.some((entry) => (entry.endsWith('.') ? enhanced.startsWith(entry) : enhanced === entry)) ?? false) ||
    (rule.text?.test(reply.text) ?? false)
  );
}

function firstVerdict(rules: readonly ReplyRule[], stage: SmtpStage, reply: ParsedReply, context: FailureContext): Verdict {
  const rule = rules.find((candidate) => applies(candidate, stage, reply));
  // Both tables end with a rule that applies to everything.
  const verdict = rule?.verdict ?? { code: 'UNKNOWN' };
  return typeof verdict === 'function' ? verdict(reply, context) : verdict;
}

/** Permanent (5xx and unexpected) replies; the order matters (most specific first). */
const PERMANENT_REPLY_RULES: readonly ReplyRule[] = [
  // Microsoft 365: 5.7.139 covers both "SMTP AUTH disabled" and "blocked by policy".
  { text: /SmtpClientAuthentication is disabled|basic authentication is disabled/i, verdict: { code: 'AUTH_DISABLED' } },
  { enhanced: ['5.7.30'], text: /basic authentication is not supported/i, verdict: { code: 'AUTH_DISABLED' } },
  {
    enhanced: ['5.7.139'],
    text: /did not meet the criteria to be authenticated|security defaults|conditional access/i,
    verdict: ({ text }) =>
      has(text, /credentials were incorrect/i)
        ? {
            code: 'AUTH_BLOCKED_BY_POLICY',
            message:
              'Microsoft 365 refused the login (5.7.139). Either the password is wrong or a security policy does not allow basic authentication for this user.',
          }
        : { code: 'AUTH_BLOCKED_BY_POLICY' },
  },
  // Gmail: 534 5.7.9 app password required; 534 5.7.14 "log in via your web browser" (sign-in blocked).
  { enhanced: ['5.7.9'], text: /application-specific password|app password/i, verdict: { code: 'APP_PASSWORD_REQUIRED' } },
  {
    enhanced: ['5.7.14'],
    text: /log in via your web browser/i,
    verdict: {
      code: 'AUTH_BLOCKED_BY_POLICY',
      message: 'Google blocked this sign-in and asks for a login in a web browser first.',
      hint: 'Sign in to the mailbox once in a browser, then use an app password (Google Account > Security > App passwords) here.',
    },
  },
  // Daily quotas: Microsoft 365 `554 5.2.0 ...SubmissionQuotaExceededException`, Gmail `550 5.4.5
  // Daily user sending limit exceeded`. The mailbox is fine; it has sent its day's worth.
  {
    enhanced: ['5.4.5'],
    text: /SubmissionQuotaExceeded|daily (user )?sending (quota|limit)|sending (quota|limit) exceeded/i,
    verdict: { code: 'SENDER_QUOTA_EXCEEDED' },
  },
  // Microsoft 365 uses 5.2.251-5.2.255 for a mailbox it throttles after continuous errors, and
  // 5.2.252 also for "SendAsDenied": the text decides (send-as wording means a permission).
  {
    enhanced: ['5.2.251', '5.2.252', '5.2.253', '5.2.254', '5.2.255'],
    verdict: ({ text }) => (SEND_AS_TEXT.test(text) ? { code: 'SENDER_NOT_ALLOWED' } : { code: 'SENDER_THROTTLED' }),
  },
  // Too large: `552 5.3.4` (message too big for the system), `5.2.3` (exceeds an administrative limit).
  { enhanced: ['5.3.4', '5.2.3'], text: /message (size|length) exceeds|message too (big|large)|exceeds (the )?(fixed |maximum )*(message )?size/i, verdict: tooLarge },
  // Sender / send-as permission.
  {
    enhanced: ['5.7.60', '5.2.252'],
    text: /SendAsDenied|not owned by user|does not have permissions? to send as|not authori[sz]ed to send (as|on behalf)|sender address rejected/i,
    verdict: { code: 'SENDER_NOT_ALLOWED' },
  },
  // Relay.
  {
    enhanced: ['5.7.64'],
    text: /relay access denied|TenantAttribution|relaying denied|relay not permitted|unable to relay|relaying not allowed/i,
    verdict: { code: 'RELAY_DENIED' },
  },
  // TLS negotiation problems reported by the server.
  {
    text: /must issue a STARTTLS|STARTTLS first|STARTTLS is required|encryption required|requires TLS/i,
    verdict: {
      code: 'TLS_MISMATCH',
      message: 'The server only accepts this after STARTTLS, but the connection is not encrypted.',
      hint: 'Choose STARTTLS (usually port 587) or SSL/TLS (port 465) instead of no encryption.',
    },
  },
  {
    stages: ['tls'],
    verdict: ({ text }) => ({
      code: 'STARTTLS_UNAVAILABLE',
      message: has(text, /TLS not available/i)
        ? 'The server announced STARTTLS but could not start it (a problem on the server side).'
        : 'The server refused to start TLS.',
      hint: 'Ask your IT to check the server\'s TLS certificate and configuration, or use SSL/TLS on port 465 if the server offers it.',
    }),
  },
  // Authentication.
  {
    stages: ['auth'],
    codes: [504],
    enhanced: ['5.5.4'],
    text: /authentication not enabled|unrecognized authentication|mechanism not supported|not supported/i,
    verdict: {
      code: 'AUTH_UNAVAILABLE',
      message: 'The server does not accept logins this way.',
      hint: 'The server does not support password login here (on this port, or at all). Ask your IT which port accepts SMTP AUTH, usually 587 with STARTTLS.',
    },
  },
  // Gmail and Postfix 535 5.7.8, Microsoft 535 5.7.3, and any other permanent refusal of AUTH.
  { stages: ['auth'], verdict: { code: 'AUTH_FAILED' } },
  {
    stages: ['mail_from', 'rcpt', 'data'],
    enhanced: ['5.7.57'],
    text: /authentication required|not authenticated/i,
    verdict: { code: 'AUTH_FAILED', message: 'The server requires a login before sending.', hint: 'Enter the username and password of the mailbox.' },
  },
  // What is left, by stage.
  {
    stages: ['greeting'],
    verdict: {
      code: 'CONNECTION_REFUSED',
      message: 'The server refused the session in its greeting.',
      hint: 'The server may not accept connections from this service. Ask your IT to allow the egress IP addresses listed here.',
    },
  },
  { stages: ['ehlo'], verdict: { code: 'PROTOCOL_ERROR' } },
  { stages: ['mail_from'], verdict: { code: 'SENDER_NOT_ALLOWED' } },
  // 5.1.1 "user unknown" and the like; relay and policy texts were matched above.
  { stages: ['rcpt'], verdict: { code: 'RECIPIENT_REJECTED' } },
  {
    stages: ['data'],
    verdict: { code: 'UNKNOWN', message: 'The server refused the message.', hint: 'The server\'s reply says why; give it to your IT.' },
  },
  { verdict: ({ code }) => (code >= 200 && code < 400 ? { code: 'PROTOCOL_ERROR' } : { code: 'UNKNOWN' }) },
];

const SEND_AS_TEXT = /SendAs|send as|on behalf|not owned by user/i;

const megabytes = (bytes: number) => `${(bytes / 1_000_000).toFixed(1)} MB`;

/**
 * MESSAGE_TOO_LARGE, stating the server's limit: the one it announced in EHLO, else one its
 * refusal names (`... exceeds fixed limit 10240000`).
 */
function tooLarge(reply: ParsedReply | null, context: FailureContext): Verdict {
  const named = reply ? /(\d{5,})/.exec(reply.text) : null;
  const limit = context.sizeLimit ?? (named ? Number(named[1]) : null);
  const size = context.messageSize ? ` (${megabytes(context.messageSize)})` : '';
  const limitText = limit ? `: it accepts at most ${limit} bytes (${megabytes(limit)})` : '';
  return {
    code: 'MESSAGE_TOO_LARGE',
    message: `The message${size} is larger than the mail server accepts${limitText}.`,
    hint: `${limit ? `Keep messages through this server under ${megabytes(limit)} (attachments grow by about a third when sent)` : 'Send smaller attachments through this server'}, or ask your IT to raise the server's message size limit. The configuration itself is fine.`,
  };
}

const LOGIN_DELAY_HINT =
  'Mail servers answer logins late on purpose after failed attempts (Dovecot waits up to 15 s; Microsoft 365 and Gmail throttle too). Wait a few minutes, then test again with the correct password. If it happens on the first try, ask your IT whether the authentication service is overloaded.';

/**
 * 4xx replies: always RATE_LIMITED or TEMPORARY_FAILURE (retried with backoff, never a reason
 * to fall back or to mark the settings failing on its own). A 4xx reply is temporary whatever
 * its text (a greylisting Postfix says "Sender address rejected: Greylisted"): the text only
 * chooses which temporary code and hint.
 */
const TEMPORARY_REPLY_RULES: readonly ReplyRule[] = [
  {
    text: /grey ?list|gray ?list|greylisted|graylisted/i,
    verdict: {
      code: 'TEMPORARY_FAILURE',
      message: 'The server greylists: it turns away the first attempt from an unknown sender and accepts a later retry.',
      hint: 'Nothing to change: mail is retried automatically after a few minutes, and a test run again in a few minutes passes.',
      temporary: true,
    },
  },
  {
    enhanced: ['4.2.1', '4.5.3', '4.7.28', '4.4.2', '4.3.2'],
    text: /too many|\brate\b|throttl|limit exceeded|quota|concurrent connections|try again later/i,
    verdict: { code: 'RATE_LIMITED', temporary: true },
  },
  // `421 4.7.0` closes the session to slow a sender down (Gmail, Microsoft 365); a 454 4.7.0 at
  // AUTH or STARTTLS is the server's own trouble (below).
  { enhanced: ['4.7.0'], only: ({ code }) => code === 421, verdict: { code: 'RATE_LIMITED', temporary: true } },
  // Postfix answers `454 4.7.0 Temporary authentication failure` when its authentication
  // service (Dovecot) is slow, typically while it delays logins after failed attempts.
  {
    stages: ['auth'],
    verdict: { code: 'TEMPORARY_FAILURE', message: 'The server could not check the login right now.', hint: LOGIN_DELAY_HINT, temporary: true },
  },
  {
    stages: ['tls'],
    verdict: {
      code: 'TEMPORARY_FAILURE',
      message: 'The server announced STARTTLS but could not start it right now (a problem on the server side).',
      hint: 'Try again in a few minutes; if it persists, ask your IT to check the server\'s TLS certificate and configuration.',
      temporary: true,
    },
  },
  {
    enhanced: ['4.3.'],
    verdict: {
      code: 'TEMPORARY_FAILURE',
      message: 'The mail server reported a temporary problem of its own.',
      hint: 'Mail is retried automatically; if it persists, give the server\'s reply to your IT.',
      temporary: true,
    },
  },
  { verdict: { code: 'TEMPORARY_FAILURE', temporary: true } },
];

/** The verdict for a server reply: the first rule of its table that applies. */
function classifyReply(stage: SmtpStage, reply: ParsedReply, context: FailureContext): Verdict {
  const transient = reply.code >= 400 && reply.code < 500;
  return firstVerdict(transient ? TEMPORARY_REPLY_RULES : PERMANENT_REPLY_RULES, stage, reply, context);
}

const CERT_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

function classifyTlsError(failure: { errorCode?: string; errorMessage: string }, context: FailureContext): Verdict | null {
  const code = failure.errorCode ?? '';
  const text = failure.errorMessage;
  if (CERT_ERRORS.has(code) || /certificate|self[- ]signed/i.test(text)) {
    const detail =
      code === 'CERT_HAS_EXPIRED'
        ? 'has expired'
        : code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH'
          ? `is not issued for ${context.host}`
          : code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN'
            ? 'is self-signed'
            : 'is not trusted';
    return {
      code: 'TLS_CERTIFICATE_INVALID',
      message: `The server's TLS certificate ${detail} (${code || text}).`,
    };
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long|unknown protocol|http request/i.test(text)) {
    return {
      code: 'TLS_MISMATCH',
      message: `The server on port ${context.port} does not speak SSL/TLS from the start.`,
      hint:
        context.port === 587 || context.port === 25 || context.port === 2525
          ? `Port ${context.port} uses STARTTLS: choose STARTTLS, or port 465 for SSL/TLS.`
          : 'Choose STARTTLS for this port, or the port your provider documents for SSL/TLS (usually 465).',
    };
  }
  if (/unsupported protocol|no protocols available|version too low|dh key too small|handshake failure|no shared cipher/i.test(text)) {
    return {
      code: 'TLS_MISMATCH',
      message: 'The server and this service found no common TLS version or cipher (the server may only offer outdated TLS).',
      hint: 'Ask your IT to enable TLS 1.2 or newer on the mail server.',
    };
  }
  return null;
}

function classifyFailure(failure: SmtpFailure, context: FailureContext): Verdict {
  switch (failure.kind) {
    case 'reply': {
      const parsed = parseSmtpReply(failure.reply);
      if (!parsed) return { code: 'PROTOCOL_ERROR' };
      return classifyReply(failure.stage, parsed, context);
    }
    case 'malformed_reply': {
      if (failure.stage === 'greeting' && /^(\+OK|\* OK|HTTP\/|SSH-)/.test(failure.reply)) {
        return {
          code: 'PROTOCOL_ERROR',
          message: `The server on port ${context.port} is not a mail submission (SMTP) server.`,
          hint: 'Check the port: SMTP submission is usually 587 (STARTTLS) or 465 (SSL/TLS), not the IMAP, POP3 or web port.',
        };
      }
      return { code: 'PROTOCOL_ERROR' };
    }
    case 'auth_not_offered':
      if (failure.mechanisms.length > 0) {
        return {
          code: 'AUTH_UNAVAILABLE',
          message: `The server offers no password login this service supports (it offers ${failure.mechanisms.join(', ')}).`,
          hint: failure.mechanisms.some((m) => /XOAUTH2|OAUTHBEARER/i.test(m))
            ? 'The server accepts only OAuth2 logins here. Ask your IT whether password (basic) SMTP AUTH can be enabled for this mailbox.'
            : 'Ask your IT to enable PLAIN or LOGIN authentication over TLS.',
        };
      }
      return { code: 'AUTH_UNAVAILABLE' };
    case 'starttls_not_offered':
      return { code: 'STARTTLS_UNAVAILABLE' };
    case 'too_large':
      return tooLarge(null, { ...context, sizeLimit: failure.sizeLimit, messageSize: failure.messageSize });
    case 'timeout':
      return classifyTimeout(failure.stage, context);
    case 'closed':
      return endedByServer(failure.stage, context, failure.stage === 'greeting' || failure.stage === 'tls', {
        early: {
          message: 'The server closed the connection without greeting.',
          hint: 'The server may not accept connections from this service. Ask your IT to allow the egress IP addresses listed here.',
        },
        late: 'The server closed the connection unexpectedly',
      });
    case 'socket_error': {
      const errorCode = failure.errorCode ?? '';
      if (failure.stage === 'tls' || failure.stage === 'connect' || /SSL|TLS|CERT/.test(errorCode)) {
        const tlsVerdict = classifyTlsError(failure, context);
        if (tlsVerdict) return tlsVerdict;
      }
      if (errorCode === 'ECONNREFUSED') return { code: 'CONNECTION_REFUSED' };
      if (errorCode === 'ETIMEDOUT') return classifyTimeout(failure.stage, context);
      if (errorCode === 'EHOSTUNREACH' || errorCode === 'ENETUNREACH') {
        return { code: 'CONNECTION_REFUSED', message: 'The mail server\'s network cannot be reached from this service.' };
      }
      if (errorCode === 'ECONNRESET' || errorCode === 'EPIPE') {
        return endedByServer(failure.stage, context, failure.stage === 'tls' || failure.stage === 'connect' || failure.stage === 'greeting', {
          early: {
            message: 'The server reset the connection.',
            hint: 'The server or a firewall may not accept connections from this service. Ask your IT to allow the egress IP addresses listed here.',
          },
          late: 'The server reset the connection',
        });
      }
      return { code: 'UNKNOWN', message: `The connection failed: ${failure.errorMessage}` };
    }
  }
}

/**
 * The server ended the connection (closed or reset it). Before the conversation started, it
 * refuses us, or speaks implicit TLS where we expected a greeting; later, a protocol error that
 * is worth a retry.
 */
function endedByServer(stage: string, context: FailureContext, beforeConversation: boolean, said: { early: { message: string; hint: string }; late: string }): Verdict {
  if (!beforeConversation) {
    return { code: 'PROTOCOL_ERROR', message: `${said.late} (during ${stage}).`, hint: 'Try again; if it happens again, give the transcript to your IT.', temporary: true };
  }
  if (expectsImplicitTls(context)) return implicitTlsMismatch(context.port);
  return { code: 'CONNECTION_REFUSED', ...said.early };
}

/** Port 465 is implicit TLS by convention; any other port only when a handshake there proved it. */
const expectsImplicitTls = (context: FailureContext): boolean =>
  context.security !== 'ssl' && (context.port === 465 || context.speaksImplicitTls === true);

function implicitTlsMismatch(port: number): Verdict {
  return {
    code: 'TLS_MISMATCH',
    message: `Port ${port} expects SSL/TLS from the start, but the connection was made without it, so the server never greeted.`,
    hint: `Choose SSL/TLS for port ${port}, or use port 587 with STARTTLS.`,
  };
}

function classifyTimeout(stage: SmtpStage, context: FailureContext): Verdict {
  switch (stage) {
    case 'dns':
      return {
        code: 'TEMPORARY_FAILURE',
        message: 'Looking up the server name took too long.',
        hint: 'Try again in a few minutes.',
        temporary: true,
      };
    case 'connect':
      return { code: 'CONNECTION_TIMEOUT' };
    case 'greeting':
      if (expectsImplicitTls(context)) return implicitTlsMismatch(context.port);
      return { code: 'GREETING_TIMEOUT' };
    case 'tls':
      // A STARTTLS port answers an SSL/TLS client at once with its plain-text greeting (a
      // handshake error, TLS_MISMATCH); silence means the port speaks neither.
      return context.security === 'ssl'
        ? {
            code: 'GREETING_TIMEOUT',
            message: 'The server accepted the connection but answered neither the SSL/TLS handshake nor with a greeting.',
            hint: 'Check the host and port: this port does not behave like a mail server. A firewall may also be holding the connection; ask your IT to allow the egress IP addresses listed here.',
          }
        : { code: 'CONNECTION_TIMEOUT', message: 'The server stopped answering during the STARTTLS handshake.' };
    case 'auth':
      return { code: 'TEMPORARY_FAILURE', message: 'The server did not answer the login in time.', hint: LOGIN_DELAY_HINT, temporary: true };
    default:
      return {
        code: 'CONNECTION_TIMEOUT',
        message: `The server stopped answering (during ${stage}).`,
        hint: 'The server is slow or stalled. Try again; if it happens again, give the transcript to your IT.',
        temporary: true,
      };
  }
}

/** The provider's own hint for a code, if it has one. */
export function providerHint(provider: ProviderId, code: SmtpResultCode): string | undefined {
  return providerPreset(provider).codeHints[code];
}

export function classifySmtpFailure(failure: SmtpFailure, context: FailureContext): SmtpClassification {
  const verdict = classifyFailure(failure, context);
  const replyText = failure.kind === 'reply' || failure.kind === 'malformed_reply' ? failure.reply : '';
  const provider = detectProvider(context.host, `${context.serverText ?? ''}\n${replyText}`);
  const generic = SMTP_RESULTS[verdict.code];
  return {
    code: verdict.code,
    message: verdict.message ?? generic.message,
    hint: verdict.hint ?? providerHint(provider, verdict.code) ?? generic.hint,
    temporary: verdict.temporary ?? false,
  };
}
