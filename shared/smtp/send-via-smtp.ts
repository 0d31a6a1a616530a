/**
 * Sends one prepared message through a company's SMTP server (DESIGN section 3).
 *
 * Uses nodemailer's SMTPConnection (dot-stuffing, pipelining, SIZE/8BITMIME/SMTPUTF8 handled)
 * but never lets it resolve DNS: it gets the IP checked by the destination guard as `host`
 * and the hostname only as TLS `servername`, with our short timeouts instead of its defaults.
 * It is handed the raw message, so no file or URL is ever read (what `disableFileAccess` and
 * `disableUrlAccess` guard against in the Mailer API, which is not used here).
 *
 * Failures throw `SmtpSendError`; `dataAccepted` is true only when the server answered 250 to
 * the end of DATA, and then nothing is thrown at all, so a thrown error never means "sent".
 * `dataSent` tells the one ambiguous case: the whole message went out but no answer came.
 */
import { Readable } from 'node:stream';
import tls from 'node:tls';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import XOAuth2 from 'nodemailer/lib/xoauth2';
import { accessTokenForms, mergeSecretForms } from '../oauth/xoauth2';
import { adviseSmtpSettings } from '../email-settings/advise-settings';
import { classifySmtpFailure, type SmtpFailure } from './classify-smtp-reply';
import { checkDestination, type HostResolver } from './destination-guard';
import { withSecretsRedacted } from '../security/secret-scope';
import { redactDeep, redactText, secretForms } from './redact-secrets';
import { SmtpConnectionPool, type PooledConnection } from './smtp-connection-pool';
import { SEND_TIMEOUTS, withTimeouts, type SmtpTimeouts } from './smtp-timeouts';
import { defaultClientName } from './test-smtp-settings';
import { SMTP_RESULT_CODES, type OutboundPolicy, type SmtpResultCode, type SmtpServerSettings, type SmtpStage } from './types';

export interface SmtpMessage {
  envelope: { from: string; to: string[] };
  /** The complete RFC 5322 message. */
  raw: Buffer | string;
  /**
   * Called after the server's 354, before the first byte of the message goes out: from then on
   * the server may get the message, so a caller that must never send twice records it here.
   */
  beforeData?: () => Promise<void>;
}

export interface SendViaSmtpOptions {
  policy: OutboundPolicy;
  resolver?: HostResolver;
  timeouts?: Partial<SmtpTimeouts>;
  /** Reuse connections between messages; without it each message gets its own connection. */
  pool?: SmtpConnectionPool;
  /** Extra trusted CA certificates (tests, local mode); certificate checking stays on. */
  tlsCa?: string | Buffer | Array<string | Buffer>;
  clientName?: string;
}

export interface SmtpSendResult {
  accepted: true;
  /** The server's reply to the end of DATA (`250 2.0.0 Ok: queued as ...`). */
  response: string;
  /** The Message-ID header of the message, or the one the server says it assigned (Microsoft 365). */
  messageId?: string;
  acceptedRecipients: string[];
  rejectedRecipients: string[];
}

export class SmtpSendError extends Error {
  readonly code: SmtpResultCode;
  readonly stage: SmtpStage;
  readonly smtpResponse: string | null;
  /** Always false: an accepted message is a result, not an error. Kept for callers' checks. */
  readonly dataAccepted: boolean;
  /** The whole message was sent but no final reply came: it may have been accepted. */
  readonly dataSent: boolean;
  /** Whether the same attempt may succeed later (4xx, dropped connection). */
  readonly temporary: boolean;
  readonly hint: string;

  constructor(fields: {
    code: SmtpResultCode;
    stage: SmtpStage;
    message: string;
    hint: string;
    smtpResponse: string | null;
    dataSent: boolean;
    temporary: boolean;
  }) {
    super(fields.message);
    this.name = 'SmtpSendError';
    this.code = fields.code;
    this.stage = fields.stage;
    this.smtpResponse = fields.smtpResponse;
    this.dataAccepted = false;
    this.dataSent = fields.dataSent;
    this.temporary = fields.temporary;
    this.hint = fields.hint;
  }
}

export const isSmtpSendError = (error: unknown): error is SmtpSendError => error instanceof SmtpSendError;

type NodemailerError = Error & {
  code?: string;
  originalCode?: string;
  command?: string;
  response?: string;
  timeoutType?: string;
};

/** Where a message is in its conversation, so that an error can name its stage. */
interface Progress {
  stage: SmtpStage;
  dataSent: boolean;
}

const KNOWN_CODES = new Set<string>(SMTP_RESULT_CODES);

export function sendViaSmtp(settings: SmtpServerSettings, message: SmtpMessage, options: SendViaSmtpOptions): Promise<SmtpSendResult> {
  const secrets = mergeSecretForms(secretForms(settings.username, settings.password), accessTokenForms(settings.username, settings.accessToken));
  return withSecretsRedacted(secrets, () => sendInSecretScope(settings, message, options, secrets));
}

async function sendInSecretScope(
  settings: SmtpServerSettings,
  message: SmtpMessage,
  options: SendViaSmtpOptions,
  secrets: string[],
): Promise<SmtpSendResult> {
  const timeouts = withTimeouts(SEND_TIMEOUTS, options.timeouts);
  const context = { host: settings.host, port: settings.port, security: settings.security };
  const fail = (failure: SmtpFailure, progress: Progress, smtpResponse: string | null): SmtpSendError => {
    // Redacted before classifying: the classifier may quote or cut the server's text.
    const classification = classifySmtpFailure(redactDeep(failure, secrets), context);
    return new SmtpSendError({
      code: classification.code,
      stage: failure.stage,
      message: redactText(classification.message, secrets),
      hint: classification.hint,
      smtpResponse: smtpResponse === null ? null : redactText(smtpResponse, secrets),
      // A reply to the end of DATA other than 250 is a clear "not accepted" (a 451 may be
      // retried, a 554 SendAsDenied is the server's verdict): only silence leaves it unknown.
      dataSent: progress.dataSent && smtpResponse === null,
      temporary: classification.temporary,
    });
  };
  const deadlineAt = Date.now() + timeouts.total;

  const open = async (progress: Progress): Promise<SMTPConnection> => {
    const refusal = preflight(settings, options.policy);
    if (refusal) throw refusal;
    progress.stage = 'dns';
    const destination = await checkDestination(settings.host, settings.port, options.policy, {
      resolver: options.resolver,
      dnsTimeoutMs: timeouts.dns,
    });
    if (!destination.ok) {
      throw new SmtpSendError({ ...destination, smtpResponse: null, dataSent: false, temporary: destination.code === 'TEMPORARY_FAILURE' });
    }
    progress.stage = 'connect';
    const tlsOptions = {
      ...(destination.servername ? { servername: destination.servername } : {}),
      ca: options.tlsCa ? withPublicRoots(options.tlsCa) : undefined,
      rejectUnauthorized: !(options.policy.acceptUntrustedCertificatesInAllowedCidrs && destination.inAllowedPrivateRange),
      minVersion: 'TLSv1.2' as const,
    };
    const connection = new SMTPConnection({
      host: destination.address,
      port: settings.port,
      ...(destination.servername ? { servername: destination.servername } : {}),
      secure: settings.security === 'ssl',
      requireTLS: settings.security === 'starttls',
      ignoreTLS: settings.security === 'none',
      name: options.clientName ?? defaultClientName(),
      connectionTimeout: timeouts.connect + (settings.security === 'ssl' ? timeouts.tls : 0),
      greetingTimeout: timeouts.greeting,
      // Inactivity limit; the reply to the end of DATA is the longest legitimate wait.
      socketTimeout: Math.max(timeouts.command, timeouts.data),
      socketCloseTimeout: 1000,
      dnsTimeout: timeouts.dns,
      tls: tlsOptions,
      logger: false,
    });
    // SMTPConnection emits 'error' as well as calling back; without a listener it would throw.
    connection.on('error', () => undefined);
    try {
      await operation<void>(connection, deadlineAt, (done) => connection.connect((error) => done(error ?? null)));
      const username = settings.username?.trim() ?? '';
      if (username !== '') {
        progress.stage = 'auth';
        if (!connection.allowsAuth) throw fail({ kind: 'auth_not_offered', stage: 'auth', mechanisms: [] }, progress, null);
        // XOAUTH2 with the access token we own: without a refresh token or provisionCallback
        // nodemailer never refreshes by itself (a refused token is retried by the caller).
        const credentials = settings.accessToken
          ? ({ method: 'XOAUTH2', user: username, oauth2: new XOAuth2({ user: username, accessToken: settings.accessToken }) } as unknown as SMTPConnection.AuthenticationOAuth2)
          : { user: username, pass: settings.password ?? '' };
        await operation<void>(connection, deadlineAt, (done) => connection.login(credentials, (error) => done(error)));
      }
      return connection;
    } catch (error) {
      connection.close();
      if (error instanceof SmtpSendError) throw error;
      throw fromNodemailer(error as NodemailerError, progress, fail);
    }
  };

  const deliver = async (connection: SMTPConnection, progress: Progress): Promise<SmtpSendResult> => {
    progress.stage = 'mail_from';
    const raw = typeof message.raw === 'string' ? Buffer.from(message.raw, 'utf8') : message.raw;
    // Reading the stream starts only after the server's 354, and its end means every byte
    // was handed to the socket: from then on a missing reply leaves the outcome unknown.
    // (A 'data' listener would start the flow at once, so the first read marks the stage.)
    let started = false;
    const body = new Readable({
      read() {
        if (started) return;
        started = true;
        progress.stage = 'data';
        const sendBytes = () => {
          this.push(raw);
          this.push(null);
        };
        if (!message.beforeData) return sendBytes();
        message.beforeData().then(sendBytes, (error: Error) => this.destroy(error));
      },
    });
    body.once('end', () => {
      progress.dataSent = true;
    });
    try {
      const info = await operation<SMTPConnection.SentMessageInfo>(connection, deadlineAt, (done) =>
        connection.send({ from: message.envelope.from, to: message.envelope.to, size: raw.length }, body, done),
      );
      return {
        accepted: true,
        response: redactText(info.response, secrets),
        messageId: info.serverMessageId ?? messageIdOf(raw),
        acceptedRecipients: info.accepted,
        rejectedRecipients: info.rejected,
      };
    } catch (error) {
      throw fromNodemailer(error as NodemailerError, progress, fail);
    }
  };

  if (!options.pool) {
    const progress: Progress = { stage: 'policy', dataSent: false };
    const connection = await open(progress);
    try {
      return await deliver(connection, progress);
    } finally {
      // QUIT when the session is still open; a connection that already failed is just closed.
      try {
        if (!connection.destroyed) connection.quit();
      } catch {
        connection.close();
      }
    }
  }

  const pool = options.pool;
  const key = SmtpConnectionPool.keyOf(settings);
  for (let attempt = 0; ; attempt += 1) {
    const progress: Progress = { stage: 'policy', dataSent: false };
    const { pooled, reused } = await pool.acquire(key, () => open(progress));
    try {
      const result = await deliver(pooled.connection, progress);
      pool.release(key, pooled, true);
      return result;
    } catch (error) {
      pool.release(key, pooled, false);
      // A reused connection the server had already dropped fails before the first command
      // gets an answer: nothing was sent, so one fresh connection may try again.
      if (attempt === 0 && reused && staleConnection(error, pooled, progress)) continue;
      throw error;
    }
  }
}

function staleConnection(error: unknown, pooled: PooledConnection, progress: Progress): boolean {
  return (
    error instanceof SmtpSendError &&
    !progress.dataSent &&
    progress.stage === 'mail_from' &&
    error.smtpResponse === null &&
    (pooled.connection.destroyed || !pooled.usable || error.code === 'PROTOCOL_ERROR')
  );
}

/** Refusals that need no connection: known-bad hosts and plaintext where it is not allowed. */
function preflight(settings: SmtpServerSettings, policy: OutboundPolicy): SmtpSendError | null {
  const blocking = adviseSmtpSettings(settings).find((advice) => advice.severity === 'error');
  if (blocking) {
    return new SmtpSendError({
      code: (KNOWN_CODES.has(blocking.code) ? blocking.code : 'HOST_NOT_SUPPORTED') as SmtpResultCode,
      stage: 'policy',
      message: blocking.message,
      hint: blocking.hint,
      smtpResponse: null,
      dataSent: false,
      temporary: false,
    });
  }
  if (settings.security === 'none' && !policy.allowPlaintext) {
    return new SmtpSendError({
      code: 'DESTINATION_BLOCKED',
      stage: 'policy',
      message: 'Unencrypted SMTP (security "none") is not allowed by this service.',
      hint: 'Choose STARTTLS (usually port 587) or SSL/TLS (usually port 465).',
      smtpResponse: null,
      dataSent: false,
      temporary: false,
    });
  }
  return null;
}

/** Translates a nodemailer error, once, into the stage and failure the classifier reads. */
function fromNodemailer(
  error: NodemailerError,
  progress: Progress,
  fail: (failure: SmtpFailure, progress: Progress, smtpResponse: string | null) => SmtpSendError,
): SmtpSendError {
  if (error instanceof SmtpSendError) return error;
  const stage = stageOf(error, progress);
  const response = typeof error.response === 'string' && /^\d{3}/.test(error.response) ? error.response : null;
  let failure: SmtpFailure;
  if (response) {
    failure = { kind: 'reply', stage, reply: response };
  } else if (error.code === 'ETIMEDOUT') {
    failure = { kind: 'timeout', stage };
  } else if (error.code === 'ECONNECTION' && /closed/i.test(error.message)) {
    failure = { kind: 'closed', stage };
  } else if (error.code === 'EPROTOCOL') {
    failure = { kind: 'malformed_reply', stage, reply: error.response ?? '' };
  } else {
    failure = { kind: 'socket_error', stage, errorCode: error.originalCode ?? error.code, errorMessage: error.message };
  }
  return fail(failure, progress, response);
}

const TLS_ERROR = /^(ERR_SSL_|ERR_TLS_|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_)/;

function stageOf(error: NodemailerError, progress: Progress): SmtpStage {
  const command = (error.command ?? '').toUpperCase();
  if (command === 'EHLO' || command === 'HELO' || command === 'LHLO') return 'ehlo';
  if (command === 'STARTTLS') return 'tls';
  if (command.startsWith('AUTH')) return 'auth';
  if (command === 'MAIL FROM' || command === 'RSET') return 'mail_from';
  if (command === 'RCPT TO') return 'rcpt';
  if (command === 'DATA') return 'data';
  if (progress.stage !== 'connect') return progress.stage;
  // Before the greeting SMTPConnection reports every failure as 'CONN': tell them apart.
  const systemCode = error.originalCode ?? '';
  if (error.code === 'ETLS' || TLS_ERROR.test(systemCode)) return 'tls';
  // connectionTimeout spans TCP and, for implicit TLS, the handshake: both are 'connect' here.
  if (error.timeoutType === 'CONNECT_TIMEOUT') return 'connect';
  if (error.timeoutType === 'GREETING_TIMEOUT') return 'greeting';
  if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH'].includes(systemCode)) return 'connect';
  return 'greeting';
}

/**
 * Runs one SMTPConnection call. Its callback is not always called: failures while connecting
 * (TLS errors, timeouts, a dropped socket) arrive only as an 'error' or 'end' event, so those
 * settle the call too, as does the whole send's deadline (which also closes the connection).
 */
function operation<T>(
  connection: SMTPConnection,
  deadlineAt: number,
  start: (done: (error: Error | null, value?: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | null, value?: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      connection.off('error', onError);
      connection.off('end', onEnd);
      if (error) reject(error);
      else resolve(value as T);
    };
    const onError = (error: Error) => finish(error);
    const onEnd = () => finish(Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION' }));
    const timer = setTimeout(() => {
      finish(Object.assign(new Error('The whole send took too long'), { code: 'ETIMEDOUT' }));
      connection.close();
    }, Math.max(1, deadlineAt - Date.now()));
    connection.on('error', onError);
    connection.once('end', onEnd);
    start((error, value) => finish(error, value));
  });
}

function messageIdOf(raw: Buffer): string | undefined {
  const headerEnd = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, headerEnd >= 0 ? headerEnd : Math.min(raw.length, 64 * 1024)).toString('utf8');
  const match = /^message-id:\s*(<[^>\r\n]+>)/im.exec(head);
  return match?.[1];
}

function withPublicRoots(ca: string | Buffer | Array<string | Buffer>): Array<string | Buffer> {
  return [...tls.rootCertificates, ...(Array.isArray(ca) ? ca : [ca])];
}
