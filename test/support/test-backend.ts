/**
 * The whole local backend for one end-to-end test file: `startLocalBackend` on free ports with
 * in-memory DynamoDB and a temporary data folder, an HTTP client for its API, and tokens.
 *
 * The backend configures itself through `process.env` (as a Lambda does), so the environment a
 * test file needs (`SMTP_ALLOWED_PORTS`, `SMTP_TESTS_PER_MINUTE`...) is set here, before the
 * start. Each test file runs in its own process under `node --test`, so files do not share it.
 *
 * Every response body and every line the process writes to stdout/stderr (the Powertools
 * logger's output) is kept, so that a test can assert that a secret never left the backend.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalBackend, startLocalBackend } from '../../infra/local/local-backend';
import { LOCAL_COMPANY_LOGIN } from '../../infra/local/local-company-smtp';
import { signLocalToken } from '../../infra/local/local-jwt';

export const INBOUND_DOMAIN = 'inbound.localhost';
export const DEFAULT_FROM_ADDRESS = 'no-reply@mail.localhost';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body; undefined when it is not JSON. */
  json: T;
}

export interface RequestOptions {
  /** Bearer token; omitted = no Authorization header. */
  token?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is (invalid JSON, oversized bodies). */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
  /**
   * Send on a connection of its own, closed afterwards (node:http without an agent), so that a
   * request the server cuts short (an oversized body) cannot spoil a pooled keep-alive socket.
   */
  freshConnection?: boolean;
}

export interface TestBackend {
  backend: LocalBackend;
  apiUrl: string;
  jwtSecret: string;
  /** A token of the local authorizer for a company with these roles (default admin). */
  token(companyId: string, roles?: string[]): Promise<string>;
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  /** Every response body received so far, in order. */
  responseBodies: string[];
  /** Everything the process wrote to stdout and stderr since the start (logs included). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * The local gateway throttles as the deployed stage does, and the API functions limit each
 * company; tests poll and sweep far faster, so they run unthrottled unless they set the limits
 * themselves.
 */
export const UNTHROTTLED = {
  API_THROTTLE_RATE_LIMIT: '1000000',
  API_THROTTLE_BURST_LIMIT: '1000000',
  COMPANY_API_RATE_LIMIT: '1000000',
  COMPANY_API_BURST_LIMIT: '1000000',
};

/** A response body as JSON, or undefined when it is empty or not JSON. */
export function jsonOrUndefined(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The level the backend's logger writes at (LOG_LEVEL when its handlers were first imported). */
export async function backendLogLevel(): Promise<string> {
  return (await import('../../shared/logger')).logger.getLevelName();
}

export async function startTestBackend(env: Record<string, string> = {}): Promise<TestBackend> {
  Object.assign(process.env, UNTHROTTLED, env);
  const captured: string[] = [];
  const restoreOutput = teeProcessOutput(captured);
  const dataDir = mkdtempSync(join(tmpdir(), 'recruiting-mail-e2e-'));
  const jwtSecret = `e2e-secret-${Math.random().toString(36).slice(2)}`;
  let backend: LocalBackend;
  try {
    backend = await startLocalBackend({
      port: 0,
      sesPort: 0,
      dataDir,
      fresh: true,
      inMemory: true,
      jwtSecret,
      inboundDomain: INBOUND_DOMAIN,
      defaultFromAddress: DEFAULT_FROM_ADDRESS,
      retryBaseSeconds: 1,
    });
  } catch (error) {
    restoreOutput();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const responseBodies: string[] = [];

  return {
    backend,
    apiUrl: backend.apiUrl,
    jwtSecret,
    token: (companyId, roles = ['admin']) => signLocalToken(jwtSecret, { companyId, roles }),
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      let body: string | Buffer | undefined;
      if (options.rawBody !== undefined) {
        body = options.rawBody;
        headers['content-type'] ??= 'application/json';
      } else if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const { status, headers: responseHeaders, text } = options.freshConnection
        ? await requestOnFreshConnection(`${backend.apiUrl}${path}`, method, headers, body)
        : await fetch(`${backend.apiUrl}${path}`, { method, headers, body }).then(async (response) => ({
            status: response.status,
            headers: response.headers,
            text: await response.text(),
          }));
      responseBodies.push(text);
      return { status, headers: responseHeaders, text, json: jsonOrUndefined(text) };
    },
    responseBodies,
    output: () => captured.join(''),
    async stop() {
      try {
        await backend.stop();
      } finally {
        restoreOutput();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

function requestOnFreshConnection(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | Buffer | undefined,
): Promise<{ status: number; headers: Headers; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        resolve({ status: response.statusCode ?? 0, headers: responseHeaders, text: Buffer.concat(chunks).toString('utf8') });
      });
      response.on('error', reject);
    });
    // The server may answer (413) and close before the whole body is written: the answer counts.
    request.on('error', reject);
    request.end(body);
  });
}

/** Passes writes through and keeps a copy (the test runner's own protocol still gets every byte). */
function teeProcessOutput(into: string[]): () => void {
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write);
  streams.forEach((stream, index) => {
    const original = originals[index];
    stream.write = function write(this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      into.push(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
      return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof stream.write;
  });
  return () => streams.forEach((stream, index) => (stream.write = originals[index]));
}

/** Saves the company mail server stand-in (`npm start`'s "Company SMTP") as a scope's own server: tested first, `200` once active. */
export async function saveCompanySmtpStandIn(api: TestBackend, token: string, scope = 'main'): Promise<void> {
  const { username, password } = LOCAL_COMPANY_LOGIN;
  const saved = await api.request('PUT', `/v1/email-settings/${scope}`, {
    token,
    body: { address: username, mode: 'smtp', smtp: { host: '127.0.0.1', port: api.backend.companySmtp.port, security: 'starttls', username, password } },
  });
  if (saved.status !== 200) throw new Error(`saving the company SMTP stand-in answered ${saved.status}: ${saved.text}`);
}

/** Polls `GET /v1/messages/{id}` until delivery has ended (`sent` or `failed`), bounded. */
export async function waitForDelivery(api: TestBackend, token: string, messageId: string, timeoutMs = 20_000): Promise<any> {
  const endsAt = Date.now() + timeoutMs;
  let last: ApiResponse | undefined;
  while (Date.now() < endsAt) {
    last = await api.request('GET', `/v1/messages/${encodeURIComponent(messageId)}`, { token });
    if (last.status === 200 && (last.json.status === 'sent' || last.json.status === 'failed')) return last.json;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Message ${messageId} was not delivered within ${timeoutMs} ms; last answer ${last?.status}: ${last?.text}`);
}

/** Every form in which a secret could leak: as is, in base64, and inside AUTH PLAIN / LOGIN. */
export function secretForms(username: string, password: string): string[] {
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  return [password, b64(password), b64(`\u0000${username}\u0000${password}`), encodeURIComponent(password)];
}
