/**
 * A small SMTP client for the "test settings" probe, on plain `net`/`tls`.
 *
 * Why not nodemailer's SMTPConnection here: the probe must report the exact stage that
 * failed (connect vs TLS vs greeting vs EHLO...), record a redacted transcript line by line
 * and bound every wait by the stage's own timeout and the test's overall deadline.
 * SMTPConnection folds connect, TLS and greeting into one 'CONN' phase and its errors do
 * not say which one failed. Sending real mail (send-via-smtp.ts) does use SMTPConnection.
 *
 * Every wait rejects with a `ProbeFailure` that carries an `SmtpFailure` for the classifier.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { SmtpFailure } from './classify-smtp-reply';
import type { SmtpTlsOptions } from './smtp-tls';
import type { SmtpStage } from './types';

export class ProbeFailure extends Error {
  readonly failure: SmtpFailure;
  /** The server's reply, when the failure is one. */
  readonly reply: string | null;

  constructor(failure: SmtpFailure) {
    super(`SMTP probe failed at ${failure.stage}: ${failure.kind}`);
    this.name = 'ProbeFailure';
    this.failure = failure;
    this.reply = failure.kind === 'reply' || failure.kind === 'malformed_reply' ? failure.reply : null;
  }
}

export interface SmtpReply {
  code: number;
  /** Each line as received (`250-SIZE 35882577`). */
  lines: string[];
}

export const replyText = (reply: SmtpReply) => reply.lines.join('\n');

// Limits against a hostile or broken server: one line, one reply, the whole transcript.
const MAX_LINE = 4096;
const MAX_REPLY_LINES = 200;
const MAX_TRANSCRIPT = 300;
const MAX_TRANSCRIPT_LINE = 1000;

interface PendingRead {
  stage: SmtpStage;
  resolve: (reply: SmtpReply) => void;
  reject: (error: ProbeFailure) => void;
  timer: NodeJS.Timeout;
}

/** The shared TLS options (smtp-tls.ts) and the name the certificate must match. */
export type TlsUpgradeOptions = SmtpTlsOptions & { host: string };

export class SmtpProbeSession {
  /** Why the server's certificate was not trusted, when it was accepted anyway. */
  untrustedCertificate: string | null = null;

  readonly transcript: string[] = [];
  private socket: net.Socket;
  private buffer = '';
  private replyLines: string[] = [];
  private readonly queued: SmtpReply[] = [];
  private pending: PendingRead | null = null;
  /** Set once the connection is unusable; later reads fail with it at once. */
  private broken: ((stage: SmtpStage) => SmtpFailure) | null = null;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  private readonly onError = (error: NodeJS.ErrnoException) =>
    this.breakWith((stage) => ({ kind: 'socket_error', stage, errorCode: error.code, errorMessage: error.message }));
  private readonly onClose = () => this.breakWith((stage) => ({ kind: 'closed', stage }));

  private constructor(
    socket: net.Socket,
    /** Removes secrets from what the server says before any of it is cut short or kept. */
    private readonly redact: (text: string) => string,
  ) {
    this.socket = socket;
    this.attach(socket);
  }

  /** Opens a TCP connection to an already checked IP address (stage `connect`). */
  static connect(address: string, port: number, timeoutMs: number, redact: (text: string) => string = (text) => text): Promise<SmtpProbeSession> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: address, port });
      const fail = (failure: SmtpFailure) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new ProbeFailure(failure));
      };
      const timer = setTimeout(() => fail({ kind: 'timeout', stage: 'connect' }), timeoutMs);
      socket.once('error', (error: NodeJS.ErrnoException) =>
        fail({ kind: 'socket_error', stage: 'connect', errorCode: error.code, errorMessage: error.message }),
      );
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        const session = new SmtpProbeSession(socket, redact);
        session.note(`connected to ${address}:${port}`);
        resolve(session);
      });
    });
  }

  /**
   * Starts TLS on the current socket (stage `tls`): at once for implicit TLS, or after a
   * `220` to STARTTLS. Bytes the server sent before the handshake are discarded (RFC 3207:
   * they could be injected by a man in the middle).
   */
  upgradeToTls(options: TlsUpgradeOptions, timeoutMs: number): Promise<void> {
    const plain = this.socket;
    this.detach(plain);
    this.buffer = '';
    this.replyLines = [];
    this.queued.length = 0;
    return new Promise((resolve, reject) => {
      const secure = tls.connect({ socket: plain, ...options });
      const fail = (failure: SmtpFailure) => {
        clearTimeout(timer);
        secure.destroy();
        this.breakWith(() => failure);
        reject(new ProbeFailure(failure));
      };
      const timer = setTimeout(() => fail({ kind: 'timeout', stage: 'tls' }), timeoutMs);
      secure.once('error', (error: NodeJS.ErrnoException) =>
        fail({ kind: 'socket_error', stage: 'tls', errorCode: error.code, errorMessage: error.message }),
      );
      secure.once('close', () => fail({ kind: 'closed', stage: 'tls' }));
      secure.once('secureConnect', () => {
        clearTimeout(timer);
        secure.removeAllListeners('error');
        secure.removeAllListeners('close');
        this.socket = secure;
        this.attach(secure);
        this.note(`TLS established (${secure.getProtocol() ?? 'unknown'}, ${secure.getCipher()?.name ?? 'unknown cipher'})`);
        if (!secure.authorized) {
          this.untrustedCertificate = String(secure.authorizationError ?? 'untrusted certificate');
          this.note(`certificate NOT trusted (${this.untrustedCertificate}); accepted only because the server is in an allowed private range`);
        }
        resolve();
      });
    });
  }

  /** Waits for the next complete reply. */
  readReply(stage: SmtpStage, timeoutMs: number): Promise<SmtpReply> {
    const next = this.queued.shift();
    if (next) return Promise.resolve(next);
    if (this.broken) return Promise.reject(new ProbeFailure(this.broken(stage)));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = null;
        reject(new ProbeFailure({ kind: 'timeout', stage }));
      }, timeoutMs);
      this.pending = { stage, resolve, reject, timer };
    });
  }

  /** Sends one command line and waits for its reply; `shownAs` replaces the line in the transcript. */
  async command(line: string, stage: SmtpStage, timeoutMs: number, shownAs?: string): Promise<SmtpReply> {
    this.write(line, shownAs);
    return this.readReply(stage, timeoutMs);
  }

  /** Sends raw bytes (the message body) without recording them line by line. */
  writeRaw(data: string, shownAs: string): void {
    if (this.broken) return;
    this.note(shownAs);
    this.socket.write(data);
  }

  write(line: string, shownAs?: string): void {
    if (this.broken) return;
    this.record(`C: ${shownAs ?? line}`);
    this.socket.write(`${line}\r\n`);
  }

  note(text: string): void {
    this.record(`*  ${text}`);
  }

  /** Ends the session politely when it is still usable, and always frees the socket. */
  async close(quitTimeoutMs: number): Promise<void> {
    if (!this.broken && quitTimeoutMs > 0) {
      try {
        await this.command('QUIT', 'done', quitTimeoutMs);
      } catch {
        // The answer to QUIT changes nothing: the test result is already decided.
      }
    }
    this.destroy();
  }

  destroy(): void {
    this.breakWith((stage) => ({ kind: 'closed', stage }));
    this.socket.destroy();
  }

  private attach(socket: net.Socket): void {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  private detach(socket: net.Socket): void {
    socket.off('data', this.onData);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
  }

  private record(line: string): void {
    if (this.transcript.length >= MAX_TRANSCRIPT) return;
    line = this.redact(line);
    const shown = line.length > MAX_TRANSCRIPT_LINE ? `${line.slice(0, MAX_TRANSCRIPT_LINE)}…` : line;
    this.transcript.push(this.transcript.length === MAX_TRANSCRIPT - 1 ? '*  (transcript truncated)' : shown);
  }

  private receive(chunk: Buffer): void {
    // latin1 keeps every byte as one character, so binary garbage cannot throw or merge lines.
    this.buffer += chunk.toString('latin1');
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      this.receiveLine(line);
      if (this.broken) return;
    }
    if (this.buffer.length > MAX_LINE) this.malformed(this.redact(this.buffer).slice(0, 200));
  }

  private receiveLine(line: string): void {
    this.record(`S: ${printable(line)}`);
    const match = /^(\d{3})([ -]|$)/.exec(line);
    if (!match || line.length > MAX_LINE) {
      this.malformed([...this.replyLines, line].join('\n'));
      return;
    }
    this.replyLines.push(line);
    if (this.replyLines.length > MAX_REPLY_LINES) {
      this.malformed(this.replyLines.slice(0, 5).join('\n'));
      return;
    }
    if (match[2] === '-') return;
    const reply: SmtpReply = { code: Number(match[1]), lines: this.replyLines };
    this.replyLines = [];
    const pending = this.pending;
    if (pending) {
      this.pending = null;
      clearTimeout(pending.timer);
      pending.resolve(reply);
    } else {
      this.queued.push(reply);
    }
  }

  private malformed(text: string): void {
    const reply = this.redact(printable(this.redact(text)));
    this.breakWith((stage) => ({ kind: 'malformed_reply', stage, reply }));
    this.socket.destroy();
  }

  private breakWith(failureAt: (stage: SmtpStage) => SmtpFailure): void {
    if (!this.broken) this.broken = failureAt;
    const pending = this.pending;
    if (pending) {
      this.pending = null;
      clearTimeout(pending.timer);
      pending.reject(new ProbeFailure(this.broken(pending.stage)));
    }
  }
}

/** Control and non-ASCII bytes shown escaped, so a transcript stays one readable line each. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e\n]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
