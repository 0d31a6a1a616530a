/**
 * Company mail servers for the end-to-end tests: smtp-server on 127.0.0.1 with real TLS
 * (implicit TLS or STARTTLS) and AUTH, whose replies a test can script, and a TCP server that
 * accepts and never greets. The backend trusts the fixture certificate through the PEM file
 * named by `SMTP_TLS_EXTRA_CA_FILE` (see `trustedCaFixture`); certificate checking stays on.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { makeCertificate, smtpReply, startRawServer, type TlsFixture } from './smtp-helpers';

export interface TrustedCaFixture extends TlsFixture {
  /**
   * The backend's environment that trusts this CA and keeps certificate checking on (local mode
   * would otherwise accept untrusted certificates of local servers), as a customer's private CA.
   */
  backendEnv: Record<string, string>;
  /** Deletes the temporary folder of the CA file. */
  remove(): void;
}

/**
 * A certificate for 127.0.0.1 and localhost that is its own CA, written as a PEM file into a new
 * temporary folder (name starting with `prefix`) for the backend to trust.
 */
export function trustedCaFixture(prefix: string): TrustedCaFixture {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const fixture = makeCertificate({ names: ['localhost', 'mail.test.local'] });
  const caFile = join(dir, 'smtp-fixture-ca.pem');
  writeFileSync(caFile, fixture.cert);
  return {
    ...fixture,
    backendEnv: { SMTP_TLS_ACCEPT_UNTRUSTED_IN_ALLOWED_CIDRS: 'false', SMTP_TLS_EXTRA_CA_FILE: caFile },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * smtp-server options for a STARTTLS server with one login (`535 5.7.8` for any other), for a
 * test that answers DATA its own way.
 */
export function starttlsLoginOptions(tls: TlsFixture, user: string, password: string): SMTPServerOptions {
  return {
    logger: false,
    disableReverseLookup: true,
    secure: false,
    key: tls.key,
    cert: tls.cert,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) return callback(null, { user });
      callback(Object.assign(new Error('5.7.8 Error: authentication failed'), { responseCode: 535 }));
    },
  };
}

export interface ReceivedMail {
  /** The login the session used, if any. */
  user: string | null;
  envelope: { from: string; to: string[] };
  raw: Buffer;
  parsed: ParsedMail;
}

export interface MailServer {
  port: number;
  security: 'ssl' | 'starttls';
  received: ReceivedMail[];
  /** TCP connections accepted so far. */
  connections(): number;
  /** Times a client reached the end of DATA (accepted or not). */
  dataAttempts(): number;
  /** Logins answered `535 5.7.8` whatever the password (the admin changed it on the server). */
  refusedLogins: Set<string>;
  /** The next RCPT TO of this address gets these replies, one per attempt, then is accepted. */
  scriptRcpt(address: string, ...replies: string[]): void;
  /** The end of DATA of a message to this address gets these replies, one per attempt. */
  scriptData(address: string, ...replies: string[]): void;
  close(): Promise<void>;
}

export interface MailServerOptions {
  security: 'ssl' | 'starttls';
  tls: TlsFixture;
  /** username → password. */
  users: Record<string, string>;
  /** Refuse MAIL FROM other than the login, as Postfix's `reject_sender_login_mismatch` does. */
  senderMustBeLogin?: boolean;
  /** Offer no AUTH at all (a relay, or a port meant for server-to-server mail). */
  noAuth?: boolean;
  /** Do not offer STARTTLS (a plaintext-only server). */
  noStartTls?: boolean;
  /**
   * Also offer SASL XOAUTH2 and accept a token when this says it is valid (asked of the local
   * authorization server). `refuseLike` picks how a refused token is answered: Microsoft's
   * `535 5.7.3` at once, or Google's `334 <base64 JSON>`, an empty line, then `535 5.7.8`.
   */
  xoauth2?: { verify(user: string, accessToken: string): boolean; refuseLike: 'microsoft' | 'google' };
}

const AUTH_FAILED_REPLY = '535 5.7.8 Error: authentication failed: authentication failure';

export async function startMailServer(options: MailServerOptions): Promise<MailServer> {
  let connections = 0;
  let dataAttempts = 0;
  const received: ReceivedMail[] = [];
  const refusedLogins = new Set<string>();
  const rcptScript = new Map<string, string[]>();
  const dataScript = new Map<string, string[]>();
  const nextScripted = (script: Map<string, string[]>, address: string) => script.get(address.toLowerCase())?.shift();

  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    secure: options.security === 'ssl',
    key: options.tls.key,
    cert: options.tls.cert,
    authMethods: options.xoauth2 ? ['PLAIN', 'LOGIN', 'XOAUTH2'] : ['PLAIN', 'LOGIN'],
    size: 25 * 1024 * 1024,
    closeTimeout: 500,
    ...(options.noAuth ? { disabledCommands: ['AUTH'], authOptional: true } : {}),
    ...(options.noStartTls ? { hideSTARTTLS: true, authOptional: true, allowInsecureAuth: true } : {}),
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    onAuth(auth, _session, callback) {
      const username = auth.username ?? '';
      if (auth.method === 'XOAUTH2') {
        if (options.xoauth2 && !refusedLogins.has(username) && options.xoauth2.verify(username, auth.accessToken ?? '')) return callback(null, { user: username });
        if (options.xoauth2?.refuseLike === 'google') {
          return callback(null, { data: { status: '400', schemes: 'Bearer', scope: 'https://mail.google.com/' } } as never);
        }
        return callback(smtpReply('535 5.7.3 Authentication unsuccessful [SN4PR0601CA0002.namprd06.prod.outlook.com]'));
      }
      if (refusedLogins.has(username) || options.users[username] === undefined || options.users[username] !== auth.password) {
        return callback(smtpReply(AUTH_FAILED_REPLY));
      }
      callback(null, { user: username });
    },
    onMailFrom(address, session, callback) {
      if (options.senderMustBeLogin && session.user && address.address.toLowerCase() !== String(session.user).toLowerCase()) {
        return callback(smtpReply(`553 5.7.1 <${address.address}>: Sender address rejected: not owned by user ${session.user}`));
      }
      callback();
    },
    onRcptTo(address, _session, callback) {
      const line = nextScripted(rcptScript, address.address);
      callback(line ? smtpReply(line) : undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        dataAttempts += 1;
        const to = session.envelope.rcptTo.map((rcpt) => rcpt.address);
        const scripted = to.map((address) => nextScripted(dataScript, address)).find((line) => line !== undefined);
        if (scripted) return callback(smtpReply(scripted));
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            received.push({
              user: typeof session.user === 'string' ? session.user : null,
              envelope: { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to },
              raw,
              parsed,
            });
            callback(null, `Ok: queued as E2E${received.length}`);
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  // An aborted TLS handshake is reported here; without a listener it would crash the process.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    security: options.security,
    received,
    connections: () => connections,
    dataAttempts: () => dataAttempts,
    refusedLogins,
    scriptRcpt: (address, ...replies) => rcptScript.set(address.toLowerCase(), replies),
    scriptData: (address, ...replies) => dataScript.set(address.toLowerCase(), replies),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A server that accepts TCP connections and never says anything (a firewall or wrong service). */
export const startSilentServer = (): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> =>
  startRawServer(() => undefined);
