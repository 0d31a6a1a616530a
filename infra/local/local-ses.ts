/**
 * The local stand-in for SES: aws-ses-v2-local, in-process, on loopback. It answers SES v1
 * `SendRawEmail` (and v2 `SendEmail`) and shows what was "sent" at `GET /store`.
 *
 * What its store keeps of a raw message: `messageId` (its own `ses-NNNNNNNNN`, the
 * `MessageId` the SDK returns), `from`, `replyTo`, `destination.{to,cc,bcc}` (header text),
 * `subject`, `body.{text,html}`, `attachments` (mailparser's objects, content in base64) and
 * `at` (epoch seconds). It does not keep the raw message or its other headers (Message-ID,
 * References, X-…), and it ignores `Destinations`. The store is one per process, shared by
 * every server started here; `clear()` empties it.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sesLocal from 'aws-ses-v2-local';

type StartServer = typeof sesLocal;
// Node hands a CommonJS module's whole `exports` to a default import; the server function is
// its `default` property. Under a bundler the default import is the function itself.
const startServer: StartServer =
  typeof sesLocal === 'function' ? sesLocal : (sesLocal as unknown as { default: StartServer }).default;

/** Any non-empty credentials do: the local server only checks that requests are signed. */
export const LOCAL_SES_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const LOCAL_SES_REGION = 'us-east-1';

/** One message as `GET /store` lists it. */
export interface LocalSesStoredEmail {
  messageId: string;
  from: string;
  replyTo: string[];
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  attachments: { filename?: string; contentType: string; content: string; size: number }[];
  at: number;
}

export interface LocalSes {
  /** For the SDK client (`endpoint`), e.g. `http://127.0.0.1:8005`. */
  endpoint: string;
  /** `GET` it to see what was sent. */
  storeUrl: string;
  /** The emails in the store (optionally only those at or after `since`, epoch seconds). */
  emails(since?: number): Promise<LocalSesStoredEmail[]>;
  clear(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartLocalSesOptions {
  /** 0 picks a free port (tests); `npm start` passes `SES_LOCAL_PORT` (default 8005). */
  port: number;
  /** Loopback unless said otherwise: the store shows every mail sent. */
  host?: string;
}

export async function startLocalSes({ port, host = '127.0.0.1' }: StartLocalSesOptions): Promise<LocalSes> {
  const server: Server = await startServer({ host, port });
  // aws-ses-v2-local resolves on Express's listen callback, which also fires with the error of a
  // failed listen (a busy port): such a server is not listening.
  const address = server.address();
  if (!server.listening || address === null || typeof address === 'string') {
    server.close();
    throw new Error(`Local SES could not listen on ${host}:${port} (is the port in use?)`);
  }
  const boundPort = (address as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const endpoint = `http://${urlHost}:${boundPort}`;
  const storeUrl = `${endpoint}/store`;

  return {
    endpoint,
    storeUrl,
    async emails(since?: number) {
      const response = await fetch(since === undefined ? storeUrl : `${storeUrl}?since=${since}`);
      if (!response.ok) throw new Error(`Local SES store answered ${response.status}`);
      const store = (await response.json()) as { emails: LocalSesStoredEmail[] };
      return store.emails;
    },
    async clear() {
      const response = await fetch(`${endpoint}/clear-store`, { method: 'POST' });
      if (!response.ok) throw new Error(`Local SES clear-store answered ${response.status}`);
    },
    stop() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets of the SDK would hold close() open.
        server.closeAllConnections();
      });
    },
  };
}
