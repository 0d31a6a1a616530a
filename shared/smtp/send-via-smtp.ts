/**
 * Sends one prepared message through a company's SMTP server (DESIGN section 3).
 *
 * Uses nodemailer's SMTPConnection (dot-stuffing, pipelining, SIZE/8BITMIME/SMTPUTF8 handled)
 * but never lets it resolve DNS: it gets the IP checked by the destination guard as `host`
 * and the hostname only as TLS `servername`, with our short timeouts instead of its defaults.
 * It is handed the raw message, so no file or URL is ever read (what `disableFileAccess` and
 * `disableUrlAccess` guard against in the Mailer API, which is not used here).
 *
 * Implements the port of smtp-port.ts: failures throw `SmtpSendError`, never after the server
 * answered 250 to the end of DATA. The steps: `preflight` and `openConnection` (destination
 * guard, connect, TLS, AUTH), `deliverMessage` (MAIL FROM ... DATA), and around them either a
 * connection of its own (`sendOnce`) or one from the pool (`sendPooled`).
 */
import { Readable } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import XOAuth2 from 'nodemailer/lib/xoauth2';
import { withSecretsRedacted } from '../security/secret-scope';
import { classifySmtpFailure, type SmtpFailure } from './classify-smtp-reply';
import { checkDestination, type HostResolver } from './destination-guard';
import { redactDeep, redactText } from './redact-secrets';
import { defaultClientName } from './smtp-client-name';
import { SmtpConnectionPool, type PooledConnection } from './smtp-connection-pool';
import { mailboxKey } from '../outbound/mailbox-limits';
import { SmtpSendError, type SmtpMessage, type SmtpSendResult } from './smtp-port';
import { preflight, settingsSecrets } from './smtp-preflight';
import { SEND_TIMEOUTS, withTimeouts, type SmtpTimeouts } from './smtp-timeouts';
import { smtpTlsOptions, type ExtraCas } from './smtp-tls';
import type { OutboundPolicy, SmtpServerSettings, SmtpStage } from './types';

export interface SendViaSmtpOptions {
  policy: OutboundPolicy;
  resolver?: HostResolver;
  timeouts?: Partial<SmtpTimeouts>;
  /** Reuse connections between messages; without it each message gets its own connection. */
  pool?: SmtpConnectionPool;
  /** Extra trusted CA certificates (tests, local mode); certificate checking stays on. */
  tlsCa?: ExtraCas;
  clientName?: string;
}

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
  /** The largest message the server announced in EHLO (`SIZE`), once connected. */
  sizeLimit?: number | null;
}

/** What every step of one send needs. */
interface SendContext {
  settings: SmtpServerSettings;
  message: SmtpMessage;
  options: SendViaSmtpOptions;
  secrets: string[];
  timeouts: SmtpTimeouts;
  /** When the whole send must have ended. */
  deadlineAt: number;
}

export function sendViaSmtp(settings: SmtpServerSettings, message: SmtpMessage, options: SendViaSmtpOptions): Promise<SmtpSendResult> {
  const secrets = settingsSecrets(settings);
  return withSecretsRedacted(secrets, () => {
    const timeouts = withTimeouts(SEND_TIMEOUTS, options.timeouts);
    const context: SendContext = { settings, message, options, secrets, timeouts, deadlineAt: Date.now() + timeouts.total };
    return options.pool ? sendPooled(context, options.pool) : sendOnce(context);
  });
}

/** A connection of its own for this message, closed afterwards. */
async function sendOnce(context: SendContext): Promise<SmtpSendResult> {
  const progress: Progress = { stage: 'policy', dataSent: false };
  const connection = await openConnection(context, progress);
  try {
    return await deliverMessage(context, connection, progress);
  } finally {
    // QUIT when the session is still open; a connection that already failed is just closed.
    try {
      if (!connection.destroyed) connection.quit();
    } catch {
      connection.close();
    }
  }
}

/** A pooled connection; one retry on a fresh one when a reused connection turns out dropped. */
async function sendPooled(context: SendContext, pool: SmtpConnectionPool): Promise<SmtpSendResult> {
  const key = SmtpConnectionPool.keyOf(context.settings);
  for (let attempt = 0; ; attempt += 1) {
    const progress: Progress = { stage: 'policy', dataSent: false };
    const slot = { mailbox: mailboxKey(context.settings), maxConnections: context.settings.limits?.maxConnections ?? null };
    const { pooled, reused } = await pool.acquire(key, () => openConnection(context, progress), slot);
    try {
      const result = await deliverMessage(context, pooled.connection, progress);
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

/** A classified, redacted `SmtpSendError` for a failure at the current step. */
function sendError(context: SendContext, failure: SmtpFailure, progress: Progress, smtpResponse: string | null): SmtpSendError {
  const { settings, secrets } = context;
  // Redacted before classifying: the classifier may quote or cut the server's text.
  const classification = classifySmtpFailure(redactDeep(failure, secrets), {
    host: settings.host,
    port: settings.port,
    security: settings.security,
    sizeLimit: progress.sizeLimit ?? null,
    messageSize: rawSize(context.message),
  });
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
    sizeLimit: progress.sizeLimit ?? null,
  });
}

const rawSize = (message: SmtpMessage): number => (typeof message.raw === 'string' ? Buffer.byteLength(message.raw, 'utf8') : message.raw.length);

/** nodemailer keeps the EHLO `SIZE` it read in a field of its own (0 when none was announced). */
const announcedSize = (connection: SMTPConnection): number | null => (connection as unknown as { _maxAllowedSize?: number })._maxAllowedSize || null;

/** Preflight, destination guard, connection (TLS as configured) and login. */
async function openConnection(context: SendContext, progress: Progress): Promise<SMTPConnection> {
  const { settings, options, timeouts, deadlineAt } = context;
  const { refusal } = preflight(settings, options.policy);
  if (refusal) throw new SmtpSendError({ ...refusal, smtpResponse: null, dataSent: false, temporary: false });
  progress.stage = 'dns';
  const destination = await checkDestination(settings.host, settings.port, options.policy, {
    resolver: options.resolver,
    dnsTimeoutMs: timeouts.dns,
  });
  if (!destination.ok) {
    throw new SmtpSendError({ ...destination, smtpResponse: null, dataSent: false, temporary: destination.code === 'TEMPORARY_FAILURE' });
  }
  progress.stage = 'connect';
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
    tls: smtpTlsOptions(destination, options.policy, options.tlsCa),
    logger: false,
  });
  // SMTPConnection emits 'error' as well as calling back; without a listener it would throw.
  connection.on('error', () => undefined);
  try {
    await operation<void>(connection, deadlineAt, (done) => connection.connect((error) => done(error ?? null)));
    const username = settings.username?.trim() ?? '';
    if (username !== '') {
      progress.stage = 'auth';
      if (!connection.allowsAuth) throw sendError(context, { kind: 'auth_not_offered', stage: 'auth', mechanisms: [] }, progress, null);
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
    throw fromNodemailer(context, error as NodemailerError, progress);
  }
}

/** One message on an open, logged-in connection: MAIL FROM, RCPT TO, DATA. */
async function deliverMessage(context: SendContext, connection: SMTPConnection, progress: Progress): Promise<SmtpSendResult> {
  const { message, secrets, deadlineAt } = context;
  progress.stage = 'mail_from';
  progress.sizeLimit = announcedSize(connection);
  const raw = typeof message.raw === 'string' ? Buffer.from(message.raw, 'utf8') : message.raw;
  // Reading the stream starts only after the server's 354, and its end means every byte
  // was handed to the socket: from then on a missing reply leaves the outcome unknown.
  // (A 'data' listener would start the flow at once, so the first read marks the stage.)
  let started = false;
  // A failing beforeData is our own (storage) error: it stops the data and is thrown as it is,
  // never classified as the server's answer.
  let hookError: Error | undefined;
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
      message.beforeData().then(sendBytes, (error: Error) => {
        hookError = error;
        this.destroy(error);
      });
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
      sizeLimit: progress.sizeLimit ?? null,
    };
  } catch (error) {
    throw hookError ?? fromNodemailer(context, error as NodemailerError, progress);
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

/** Translates a nodemailer error, once, into the stage and failure the classifier reads. */
function fromNodemailer(context: SendContext, error: NodemailerError, progress: Progress): SmtpSendError {
  if (error instanceof SmtpSendError) return error;
  const stage = stageOf(error, progress);
  const response = typeof error.response === 'string' && /^\d{3}/.test(error.response) ? error.response : null;
  let failure: SmtpFailure;
  const tooLarge = error.code === 'EMESSAGE' ? /larger than allowed (\d+)/.exec(error.message) : null;
  if (response) {
    failure = { kind: 'reply', stage, reply: response };
  } else if (tooLarge) {
    // nodemailer refuses before MAIL FROM what exceeds the server's EHLO SIZE.
    progress.sizeLimit = Number(tooLarge[1]);
    failure = { kind: 'too_large', stage: 'mail_from', sizeLimit: Number(tooLarge[1]), messageSize: rawSize(context.message) };
  } else if (error.code === 'ETIMEDOUT') {
    failure = { kind: 'timeout', stage };
  } else if (error.code === 'ECONNECTION' && /closed/i.test(error.message)) {
    failure = { kind: 'closed', stage };
  } else if (error.code === 'EPROTOCOL') {
    failure = { kind: 'malformed_reply', stage, reply: error.response ?? '' };
  } else {
    failure = { kind: 'socket_error', stage, errorCode: error.originalCode ?? error.code, errorMessage: error.message };
  }
  return sendError(context, failure, progress, response);
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
