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
 *
 * In front of it, a small proxy plays SES event publishing: a `SendRawEmail` through a
 * configuration set hands the events SES would publish (ses-mailbox-simulator.ts: the mailbox
 * simulator's addresses bounce, complain…) to whatever `onEvents` registered, as the
 * EventBridge events the configuration set's destination puts on the bus.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sesLocal from 'aws-ses-v2-local';
import { eventBridgeEnvelope } from '../../shared/sender-reputation/ses-delivery-event';
import { simulatedEvents } from './ses-mailbox-simulator';

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
  /** Where the events of each send through a configuration set go (EventBridge events, as JSON). */
  onEvents(sink: (eventBridgeEvent: string) => void): void;
  stop(): Promise<void>;
}

export interface StartLocalSesOptions {
  /** 0 picks a free port (tests); `npm start` passes `SES_LOCAL_PORT` (default 8005). */
  port: number;
  /** Loopback unless said otherwise: the store shows every mail sent. */
  host?: string;
}

export async function startLocalSes({ port, host = '127.0.0.1' }: StartLocalSesOptions): Promise<LocalSes> {
  const inner: Server = await startServer({ host: '127.0.0.1', port: 0 });
  const innerPort = (inner.address() as AddressInfo).port;
  let sink: ((event: string) => void) | null = null;

  const proxy = createServer((req, res) => {
    void forward(req, innerPort).then(
      ({ status, headers, body, requestBody }) => {
        res.writeHead(status, headers);
        res.end(body);
        if (sink && status === 200) for (const event of eventsOfSend(requestBody, body.toString('utf8'))) sink(event);
      },
      (error: Error) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`local SES: ${error.message}`);
      },
    );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      proxy.once('error', reject);
      proxy.listen(port, host, () => resolve());
    });
  } catch (error) {
    inner.close();
    throw new Error(`Local SES could not listen on ${host}:${port} (is the port in use?): ${(error as Error).message}`);
  }
  const boundPort = (proxy.address() as AddressInfo).port;
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
    onEvents(next) {
      sink = next;
    },
    async stop() {
      for (const server of [proxy, inner]) {
        await new Promise<void>((resolve, reject) => {
          server.close((error) => (error ? reject(error) : resolve()));
          // Keep-alive sockets of the SDK would hold close() open.
          server.closeAllConnections();
        });
      }
    },
  };
}

/** One request to aws-ses-v2-local, answered as it answered. */
async function forward(req: IncomingMessage, innerPort: number) {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const requestBody = Buffer.concat(chunks);
  return new Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer; requestBody: string }>((resolve, reject) => {
    const upstream = httpRequest(
      { host: '127.0.0.1', port: innerPort, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${innerPort}` } },
      async (response) => {
        const parts: Buffer[] = [];
        for await (const part of response) parts.push(part as Buffer);
        const headers = Object.fromEntries(Object.entries(response.headers).filter((entry): entry is [string, string | string[]] => entry[1] !== undefined));
        resolve({ status: response.statusCode ?? 502, headers, body: Buffer.concat(parts), requestBody: requestBody.toString('utf8') });
      },
    );
    upstream.once('error', reject);
    upstream.end(requestBody);
  });
}

/** The EventBridge events of a successful `SendRawEmail` through a configuration set; none otherwise. */
function eventsOfSend(requestBody: string, responseBody: string): string[] {
  const form = new URLSearchParams(requestBody);
  const configurationSet = form.get('ConfigurationSetName');
  const messageId = /<MessageId>([^<]+)<\/MessageId>/.exec(responseBody)?.[1];
  if (form.get('Action') !== 'SendRawEmail' || !configurationSet || !messageId) return [];
  const members = (prefix: string) => [...form.keys()].filter((key) => new RegExp(`^${prefix}\\.member\\.\\d+$`).test(key)).sort(byMemberIndex);
  const destinations = members('Destinations').map((key) => form.get(key)!);
  const tags = [...form.keys()]
    .filter((key) => /^Tags\.member\.\d+\.Name$/.test(key))
    .sort(byMemberIndex)
    .map((key) => ({ name: form.get(key)!, value: form.get(key.replace(/Name$/, 'Value')) ?? '' }));
  const raw = Buffer.from(form.get('RawMessage.Data') ?? '', 'base64').toString('utf8');
  const subject = /^Subject: ?(.*)$/im.exec(raw.slice(0, raw.indexOf('\r\n\r\n') >>> 0))?.[1] ?? null;
  const sentAt = new Date();
  const details = simulatedEvents({
    messageId,
    source: form.get('Source') ?? '',
    destinations,
    configurationSet,
    tags,
    subject,
    sentAt,
    region: LOCAL_SES_REGION,
    account: LOCAL_ACCOUNT,
  });
  return details.map((detail, index) =>
    JSON.stringify(eventBridgeEnvelope(detail, { id: `${messageId}-${index}`, region: LOCAL_SES_REGION, account: LOCAL_ACCOUNT, time: sentAt.toISOString() })),
  );
}

const LOCAL_ACCOUNT = '000000000000';
const memberIndex = (key: string) => Number(/\.member\.(\d+)/.exec(key)?.[1] ?? 0);
const byMemberIndex = (a: string, b: string) => memberIndex(a) - memberIndex(b);
