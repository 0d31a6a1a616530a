/**
 * A hostile company mail server for the redaction tests: implicit TLS (a real handshake with
 * the fixture certificate) on 127.0.0.1, AUTH PLAIN, and at one chosen stage a reply that
 * echoes the password back in many encodings, either as a refusal (5xx) or inside an accepting
 * reply. It knows the password (as a server that logged it from an earlier login would), so it
 * can echo it even in the greeting.
 */
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { onSmtpLines, type TlsFixture } from '../support/smtp-helpers';

export type EchoStage = 'greeting' | 'ehlo' | 'auth' | 'mail_from' | 'rcpt';

export interface Echo {
  stage: EchoStage;
  /** Refuse at that stage (5xx), or accept with the echo in the reply text. */
  refuse: boolean;
}

export interface HostileServer {
  port: number;
  /** What to do on the next connections; null = behave. */
  echo: Echo | null;
  close(): Promise<void>;
}

/** The encodings the server uses, each as the bytes it sends. */
export function echoedForms(username: string, password: string, receivedAuth: string | null): Buffer[] {
  const utf8 = Buffer.from(password, 'utf8');
  const b64 = (bytes: Buffer) => Buffer.from(bytes.toString('base64'));
  const forms: Buffer[] = [
    utf8,
    b64(utf8),
    Buffer.from(utf8.toString('base64url')),
    b64(Buffer.from(`\u0000${username}\u0000${password}`, 'utf8')),
    // The password inside longer base64 blobs, at the two other byte alignments.
    b64(Buffer.concat([Buffer.from('x'), utf8, Buffer.from('!')])),
    b64(Buffer.concat([Buffer.from('xy'), utf8, Buffer.from('!?')])),
    b64(Buffer.from(`user=${username}\u0001auth=Bearer ${password}\u0001\u0001`, 'utf8')),
    Buffer.from(encodeURIComponent(password)),
    Buffer.from(encodeURIComponent(password).replace(/%20/g, '+').toLowerCase()),
    Buffer.from([...utf8].map((byte) => (byte > 0x20 && byte < 0x7f && byte !== 0x3d ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('')),
    Buffer.from(JSON.stringify(password)),
    Buffer.from(JSON.stringify(password).replace(/[^\x00-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)),
    Buffer.from([...utf8].map((byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('')),
    Buffer.from(utf8.toString('hex')),
    Buffer.from(utf8.toString('hex').toUpperCase()),
  ];
  // The same characters in ISO-8859-1, where they fit.
  if (/^[\u0000-\u00ff]*$/.test(password)) forms.push(Buffer.from(password, 'latin1'));
  if (receivedAuth) forms.push(Buffer.from(receivedAuth));
  return forms;
}

export async function startHostileServer(options: { tls: TlsFixture; username: string; password: string }): Promise<HostileServer> {
  const sockets = new Set<tls.TLSSocket>();
  const state: HostileServer = { port: 0, echo: null, close: async () => undefined };

  const server = tls.createServer({ key: options.tls.key, cert: options.tls.cert }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    const echo = state.echo;
    let receivedAuth: string | null = null;
    const reply = (stage: EchoStage | null, code: number, text: string, extra: string[] = []) => {
      const echoing = echo && echo.stage === stage;
      const finalCode = echoing && echo.refuse ? (stage === 'auth' ? 535 : stage === 'greeting' ? 554 : 550) : code;
      const lines: Buffer[] = [];
      if (echoing) {
        for (const form of echoedForms(options.username, options.password, receivedAuth)) {
          lines.push(Buffer.concat([Buffer.from(`${finalCode}-you said `), form, Buffer.from(` (${form.length} bytes)`)]));
        }
      }
      for (const line of extra) lines.push(Buffer.from(`${finalCode}-${line}`));
      // The last line echoes the raw password once more.
      const last = echoing ? Buffer.concat([Buffer.from(`${finalCode} ${text} `), Buffer.from(options.password, 'utf8')]) : Buffer.from(`${finalCode} ${text}`);
      lines.push(last);
      socket.write(Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\r\n')])));
    };

    reply('greeting', 220, 'hostile.test ESMTP');
    let inData = false;
    onSmtpLines(socket, (line) => {
      if (inData) {
        if (line === '.') {
          inData = false;
          reply(null, 250, 'queued');
        }
        return;
      }
      const verb = line.split(' ')[0].toUpperCase();
      if (verb === 'EHLO') reply('ehlo', 250, 'SIZE 10240000', ['hostile.test', 'AUTH PLAIN']);
      else if (verb === 'AUTH') {
        receivedAuth = line.split(' ')[2] ?? null;
        reply('auth', 235, '2.7.0 Authentication successful');
      } else if (verb === 'MAIL') reply('mail_from', 250, '2.1.0 Ok');
      else if (verb === 'RCPT') reply('rcpt', 250, '2.1.5 Ok');
      else if (verb === 'DATA') {
        inData = true;
        reply(null, 354, 'go ahead');
      } else if (verb === 'RSET') reply(null, 250, 'Ok');
      else if (verb === 'QUIT') {
        reply(null, 221, 'Bye');
        socket.end();
      } else reply(null, 502, 'Unknown command');
    });
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return state;
}
