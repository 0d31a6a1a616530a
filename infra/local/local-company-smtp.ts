/**
 * A stand-in for a customer company's own mail server, so that the README's walk-through can be
 * followed on a laptop: smtp-server on 127.0.0.1 with STARTTLS (a self-signed certificate kept
 * under the data folder), one login, and every mail it accepts written as an `.eml` file under
 * the data folder. It can be switched off and on while the backend runs, to see the fallback to
 * the default provider.
 *
 * It also plays the company's mailbox forwarding (the other half of the redirect check): mail
 * that the default provider "sent" to the mailbox address is redirected, unchanged in From and
 * Subject, to the inbound address of the scope whose `address` it is, as the company's redirect
 * rule would do.
 */
import { makeSelfSignedCertificate } from './self-signed-certificate';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';
import { SMTPServer } from 'smtp-server';
import type { LocalSesStoredEmail } from './local-ses';

export interface CompanyMailboxLogin {
  username: string;
  password: string;
}

/** The printed login of the stand-in, used verbatim in the README walk-through. */
export const LOCAL_COMPANY_LOGIN: CompanyMailboxLogin = { username: 'jobs@acme.com', password: 'local-company-password' };

export interface LocalCompanySmtp {
  /** The port it listens on while running (kept across off/on). */
  port: number;
  login: CompanyMailboxLogin;
  /** Folder of the `.eml` files it received. */
  receivedDir: string;
  running(): boolean;
  /** Stops listening (connections are refused, as for a server that is down). */
  switchOff(): Promise<void>;
  switchOn(): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalCompanySmtpOptions {
  /** 0 picks a free port (tests); `npm start` passes `COMPANY_SMTP_PORT` (default 1587). */
  port: number;
  /** Its certificate, key and received mail live under here. */
  directory: string;
  login?: CompanyMailboxLogin;
  /** Start switched off. */
  off?: boolean;
}

const AUTH_FAILED = '535 5.7.8 Error: authentication failed: authentication failure';

export async function startLocalCompanySmtp(options: LocalCompanySmtpOptions): Promise<LocalCompanySmtp> {
  const login = options.login ?? LOCAL_COMPANY_LOGIN;
  const receivedDir = join(options.directory, 'received');
  mkdirSync(receivedDir, { recursive: true });
  const tls = localCertificate(join(options.directory, 'tls'));
  let received = 0;

  const newServer = () => {
    const server = new SMTPServer({
      name: 'mail.acme.localhost',
      banner: 'local stand-in for the company mail server',
      logger: false,
      disableReverseLookup: true,
      key: tls.key,
      cert: tls.cert,
      authMethods: ['PLAIN', 'LOGIN'],
      size: 35 * 1024 * 1024,
      closeTimeout: 500,
      onAuth(auth, _session, callback) {
        if (auth.username !== login.username || auth.password !== login.password) {
          return callback(Object.assign(new Error(AUTH_FAILED.slice(4)), { responseCode: 535 }));
        }
        callback(null, { user: login.username });
      },
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
            return callback(Object.assign(new Error('5.3.4 Message too big'), { responseCode: 552 }));
          }
          received += 1;
          const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${received}.eml`;
          writeFileSync(join(receivedDir, name), Buffer.concat(chunks));
          callback(null, `Ok: queued as ${name}`);
        });
      },
    });
    // An aborted TLS handshake is reported here; without a listener it would crash the process.
    server.on('error', () => undefined);
    return server;
  };

  let server: SMTPServer | null = null;
  let port = options.port;
  const switchOn = async () => {
    if (server) return;
    const next = newServer();
    await new Promise<void>((resolve, reject) => {
      next.server.once('error', reject);
      next.listen(port, '127.0.0.1', () => resolve());
    });
    port = (next.server.address() as AddressInfo).port;
    server = next;
  };
  const switchOff = async () => {
    const current = server;
    if (!current) return;
    server = null;
    await new Promise<void>((resolve) => current.close(() => resolve()));
  };
  // A port is taken even when starting switched off, so that the banner and settings stay true.
  await switchOn();
  if (options.off) await switchOff();

  return {
    get port() {
      return port;
    },
    login,
    receivedDir,
    running: () => server !== null,
    switchOff,
    switchOn,
    stop: switchOff,
  };
}

/** A self-signed certificate for 127.0.0.1 and localhost, made once and kept under `dir`. */
function localCertificate(dir: string): { key: string; cert: string } {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  if (existsSync(keyFile) && existsSync(certFile)) return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
  mkdirSync(dir, { recursive: true });
  const generated = makeSelfSignedCertificate({ days: 825, ownCa: false });
  writeFileSync(keyFile, generated.key, { mode: 0o600 });
  writeFileSync(certFile, generated.cert);
  return generated;
}

/** One mail as the local default provider's store lists it (the fields the redirect needs). */
export type DefaultProviderMail = Pick<LocalSesStoredEmail, 'messageId' | 'from' | 'replyTo' | 'subject' | 'body' | 'at'> & { destination: { to: string[] } };

/** Whether one of the recipients (`Name <address>` or a bare address) is the mailbox itself. */
function addressedTo(recipients: string[], mailbox: string): boolean {
  return recipients.some((recipient) => addressparser(recipient, { flatten: true }).some((parsed) => parsed.address.toLowerCase() === mailbox));
}

/**
 * The company mailbox's redirect rule: every mail the default provider sent to the mailbox's
 * address goes on, From and Subject unchanged, to the inbound address of the company's scope
 * whose `address` is the mailbox (found with `inboundAddressFor`). Polls the store; `stop()`
 * ends it.
 */
export function startCompanyMailboxForwarding(options: {
  mailbox: string;
  defaultProviderMails: (since?: number) => Promise<DefaultProviderMail[]>;
  inboundAddressFor: (mailbox: string) => Promise<string | null>;
  inboundSmtpPort: number;
  intervalMs?: number;
}): { stop(): Promise<void> } {
  const mailbox = options.mailbox.toLowerCase();
  const seen = new Set<string>();
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: options.inboundSmtpPort, secure: false, ignoreTLS: true, disableFileAccess: true, disableUrlAccess: true });
  // Only what is sent from now on: the store may hold mail from an earlier run. Each poll asks
  // from the second of the newest mail seen (the store filters `at >= since`; `seen` drops repeats).
  let since = Math.floor(Date.now() / 1000) - 1;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const forwardNew = async () => {
    const mails = await options.defaultProviderMails(since);
    for (const mail of mails) {
      since = Math.max(since, Math.floor(mail.at));
      if (seen.has(mail.messageId)) continue;
      seen.add(mail.messageId);
      if (!addressedTo(mail.destination.to, mailbox)) continue;
      const target = await options.inboundAddressFor(mailbox);
      if (!target) continue;
      await transport.sendMail({
        envelope: { from: mailbox, to: [target] },
        from: mail.from,
        to: mail.destination.to.join(', '),
        replyTo: mail.replyTo.length > 0 ? mail.replyTo.join(', ') : undefined,
        subject: mail.subject,
        text: mail.body.text,
        html: mail.body.html,
        headers: { 'Resent-From': mailbox, 'Resent-To': target },
      });
    }
  };
  const timer = setInterval(() => {
    running = running.then(async () => {
      if (stopped) return;
      await forwardNew().catch((error: Error) => {
        process.stderr.write(`company mailbox forwarding: ${error.message}\n`);
      });
    });
  }, options.intervalMs ?? 500);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      transport.close();
    },
  };
}
