/**
 * The servers the bench talks to, all on 127.0.0.1 with ephemeral ports: raw TCP servers
 * that misbehave on purpose, and smtp-server with real TLS from a certificate generated at
 * start (trusted by the client only through its `tlsCa` option).
 */
import { makeSelfSignedCertificate } from '../infra/local/self-signed-certificate';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { OutboundPolicy } from '../shared/smtp/types';

/**
 * The outbound policy for the bench's servers: loopback and any port allowed, as in local
 * mode; certificates are still checked (the bench's own CA is passed as `tlsCa`).
 */
export function loopbackPolicy({ allowPlaintext }: { allowPlaintext: boolean }): OutboundPolicy {
  return { allowedPorts: '*', allowedPrivateCidrs: ['127.0.0.0/8'], allowPlaintext, acceptUntrustedCertificatesInAllowedCidrs: false };
}

export interface Certificate {
  key: string;
  cert: string;
}

/** A self-signed certificate for localhost and 127.0.0.1 that is its own CA. */
export function makeCertificate(): Certificate {
  return makeSelfSignedCertificate({ days: 2, ownCa: true });
}

export interface LocalServer {
  port: number;
  /** TCP connections accepted so far. */
  connections: () => number;
  close: () => Promise<void>;
}

/** Tracks sockets so that closing the server also ends connections a client left open. */
function tracked(server: net.Server, onSocket: (socket: net.Socket) => void): { connections: () => number; destroyAll: () => void } {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on(server instanceof tls.Server ? 'secureConnection' : 'connection', onSocket);
  return {
    connections: () => connections,
    destroyAll: () => {
      for (const socket of sockets) socket.destroy();
    },
  };
}

async function listen(server: net.Server, onSocket: (socket: net.Socket) => void): Promise<LocalServer> {
  const { connections, destroyAll } = tracked(server, onSocket);
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        destroyAll();
        server.close(() => resolve());
      }),
  };
}

/** Accepts TCP and never says a word. */
export const startSilentServer = (): Promise<LocalServer> => listen(net.createServer(), () => undefined);

/** Greets like a mail server, then never answers EHLO (or anything after it). */
export const startStallingServer = (): Promise<LocalServer> =>
  listen(net.createServer(), (socket) => {
    socket.write('220 stall.bench.local ESMTP ready\r\n');
    socket.resume();
  });

/**
 * An implicit-TLS port (465-style): it waits for a TLS ClientHello, so a client that expects
 * a plaintext greeting (STARTTLS settings) hears nothing.
 */
export const startImplicitTlsServer = (certificate: Certificate): Promise<LocalServer> =>
  listen(tls.createServer({ key: certificate.key, cert: certificate.cert }), (socket) => {
    socket.write('220 tls.bench.local ESMTP ready\r\n');
    socket.resume();
  });

export interface LocalSmtpServer extends LocalServer {
  /** Messages received completely. */
  received: () => number;
}

export type SmtpServerSecurity = 'none' | 'starttls' | 'ssl';

/** smtp-server that requires AUTH (any credentials pass) and accepts every message, discarding it. */
export async function startSmtpServer(security: SmtpServerSecurity, certificate: Certificate): Promise<LocalSmtpServer> {
  let received = 0;
  let connections = 0;
  const options: SMTPServerOptions = {
    logger: false,
    disableReverseLookup: true,
    authMethods: ['PLAIN', 'LOGIN'],
    size: 25 * 1024 * 1024,
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username });
    },
    onData(stream, _session, callback) {
      stream.on('end', () => {
        received += 1;
        callback(null, 'Ok: queued');
      });
      stream.resume();
    },
    ...(security === 'none' ? { allowInsecureAuth: true, disabledCommands: ['STARTTLS'] } : { key: certificate.key, cert: certificate.cert }),
    ...(security === 'ssl' ? { secure: true } : {}),
  };
  const server = new SMTPServer(options);
  // An aborted TLS handshake is reported here; without a listener it would crash the bench.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    connections: () => connections,
    received: () => received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
