/**
 * Real local servers for the SMTP tests: smtp-server with real TLS (implicit and STARTTLS)
 * using certificates generated at test time, and raw `net` servers for misbehaviour. All
 * listen on 127.0.0.1 with ephemeral ports.
 */
import { makeSelfSignedCertificate } from '../../infra/local/self-signed-certificate';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { HostResolver } from '../../shared/smtp/destination-guard';
import type { OutboundPolicy, SmtpServerSettings } from '../../shared/smtp/types';

export interface TlsFixture {
  key: string;
  cert: string;
}

/** The committed certificate that expired in 2020 (selfsigned will not make an expired one). */
export function expiredCertificate(): TlsFixture {
  const dir = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));
  return { key: readFileSync(`${dir}expired-key.pem`, 'utf8'), cert: readFileSync(`${dir}expired-cert.pem`, 'utf8') };
}

/** A self-signed certificate that is its own CA: trusted only where a test passes it as `tlsCa`. */
export function makeCertificate(options: { names?: string[] } = {}): TlsFixture {
  return makeSelfSignedCertificate({ names: options.names ?? ['mail.test.local', 'localhost'], days: 30, ownCa: true });
}

export const testPolicy: OutboundPolicy = { allowedPorts: '*', allowedPrivateCidrs: ['127.0.0.0/8'], allowPlaintext: false, acceptUntrustedCertificatesInAllowedCidrs: false };

/** Settings for a test server at mail.test.local (see fakeResolver) with implicit TLS, as jobs@acme.test. */
export const testServerSettings = (port: number, password: string, overrides: Partial<SmtpServerSettings> = {}): SmtpServerSettings => ({
  host: 'mail.test.local',
  port,
  security: 'ssl',
  username: 'jobs@acme.test',
  password,
  fromAddress: 'jobs@acme.test',
  ...overrides,
});

/** Test DNS: names under .test.local resolve as listed, anything else does not exist. */
export function fakeResolver(table: Record<string, string[]>, calls: string[] = []): HostResolver {
  return async (hostname) => {
    calls.push(hostname);
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

export interface RunningSmtpServer {
  port: number;
  connections: () => number;
  received: Array<{ from: string; to: string[]; size: number }>;
  close: () => Promise<void>;
}

export async function startSmtpServer(options: SMTPServerOptions): Promise<RunningSmtpServer> {
  let connections = 0;
  const received: RunningSmtpServer['received'] = [];
  const userOnConnect = options.onConnect;
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    onData(stream, session, callback) {
      let size = 0;
      stream.on('data', (chunk: Buffer) => (size += chunk.length));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          size,
        });
        callback(null, 'Ok: queued as TEST123');
      });
    },
    ...options,
    onConnect(session, callback) {
      connections += 1;
      if (userOnConnect) userOnConnect(session, callback);
      else callback();
    },
  });
  // An aborted TLS handshake (the mismatch tests) is reported here; without a listener it crashes.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    connections: () => connections,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A raw TCP server with a custom behaviour (never greet, stall, talk garbage). */
export async function startRawServer(onSocket: (socket: net.Socket) => void): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Calls `onLine` with each CRLF-terminated line the socket receives (latin1, without the CRLF). */
export function onSmtpLines(socket: net.Socket, onLine: (line: string) => void): void {
  let buffer = '';
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    let index: number;
    while ((index = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, index);
      buffer = buffer.slice(index + 2);
      onLine(line);
    }
  });
}

/** A port nothing listens on: bound once, then released. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** An error for smtp-server callbacks that answers with exactly this reply. */
export function smtpReply(line: string): Error {
  const match = /^(\d{3}) (.*)$/.exec(line);
  if (!match) throw new Error(`not a reply: ${line}`);
  return Object.assign(new Error(match[2]), { responseCode: Number(match[1]) });
}

/**
 * A loopback port whose connections are never completed: a listener with a zero backlog that
 * never accepts, its queue already full, so the kernel drops further SYNs and a connect hangs
 * as it does towards a firewalled server. Node always accepts, so python3 holds the socket.
 * Null when python3 is not installed.
 */
export async function startUnansweredPort(): Promise<{ port: number; close: () => void } | null> {
  const { spawn } = await import('node:child_process');
  const script = [
    'import socket, sys, time',
    "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
    'held = []',
    'for _ in range(4):',
    '    c = socket.socket(); c.setblocking(False)',
    "    try: c.connect(('127.0.0.1', s.getsockname()[1]))",
    '    except BlockingIOError: pass',
    '    held.append(c)',
    'print(s.getsockname()[1], flush=True)',
    'sys.stdin.read()',
  ].join('\n');
  const child = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'ignore'] });
  return new Promise((resolve) => {
    child.once('error', () => resolve(null));
    child.stdout.once('data', (data: Buffer) => {
      resolve({ port: Number(data.toString().trim()), close: () => child.kill() });
    });
  });
}
