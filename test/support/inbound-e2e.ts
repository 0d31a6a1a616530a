/**
 * Helpers for the inbound end-to-end tests: fixtures from test/fixtures/inbound-e2e with
 * `{{NAME}}` placeholders, delivery through the local inbound SMTP listener (the SES stand-in)
 * with nodemailer's SMTPConnection, and small readers of the HTTP API.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { ApiResponse, TestBackend } from './test-backend';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'inbound-e2e');

/** A fixture with its placeholders filled in; every placeholder must be given. */
export function fixture(name: string, values: Record<string, string>): Buffer {
  const template = readFileSync(join(FIXTURES, name), 'utf8');
  const filled = template.replace(/\{\{([A-Z_]+)\}\}/g, (_whole, key: string) => {
    if (values[key] === undefined) throw new Error(`fixture ${name} needs a value for {{${key}}}`);
    return values[key];
  });
  return Buffer.from(filled, 'utf8');
}

/** An SMTP refusal as the listener gave it. */
export class SmtpRefused extends Error {
  constructor(
    readonly responseCode: number,
    readonly response: string,
    readonly command: string,
  ) {
    super(`${command} refused: ${response}`);
  }
}

/**
 * Delivers one raw mail to the local inbound listener, as a sending mail server would: its own
 * SMTP session, the envelope given here (the envelope, never the headers, says whose mail it is).
 * Resolves with the listener's 250 answer; rejects with SmtpRefused.
 */
export async function deliver(port: number, envelope: { from: string; to: string[] }, raw: Buffer): Promise<string> {
  const connection = new SMTPConnection({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 20_000 });
  connection.on('error', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => connection.connect((error?: Error) => (error ? reject(error) : resolve())));
    return await new Promise<string>((resolve, reject) =>
      connection.send(envelope, raw, (error, info) => {
        if (!error) return resolve(info.response ?? '');
        const failed = error as Error & { responseCode?: number; response?: string; command?: string };
        reject(failed.responseCode ? new SmtpRefused(failed.responseCode, failed.response ?? failed.message, failed.command ?? '') : error);
      }),
    );
  } finally {
    connection.quit();
  }
}

export interface Company {
  id: string;
  token: string;
  inboundAddress: string;
  address: string;
}

/**
 * A company (or one of its sub-company scopes) with `address` set and its candidates
 * registered: `candidates` maps candidate id → addresses.
 */
export async function setUpCompany(
  api: TestBackend,
  id: string,
  options: { address: string; scope?: string; candidates?: Record<string, string[]>; candidateScope?: string },
): Promise<Company> {
  const token = await api.token(id, ['admin', 'recruiter']);
  const scope = options.scope ?? 'main';
  const settings = await api.request('PUT', `/v1/email-settings/${scope}`, { token, body: { address: options.address, mode: 'default' } });
  if (settings.status !== 200) throw new Error(`PUT /v1/email-settings/${scope} answered ${settings.status}: ${settings.text}`);
  for (const [candidateId, emails] of Object.entries(options.candidates ?? {})) {
    const body = { emails, name: candidateId, ...(options.candidateScope ? { scope: options.candidateScope } : {}) };
    const put = await api.request('PUT', `/v1/candidates/${candidateId}`, { token, body });
    if (put.status !== 200) throw new Error(`PUT /v1/candidates/${candidateId} answered ${put.status}: ${put.text}`);
  }
  return { id, token, inboundAddress: settings.json.inboundAddress, address: options.address };
}

/** Delivers to a company's inbound address and waits until the backend has filed it. */
export async function deliverTo(api: TestBackend, company: { inboundAddress: string }, raw: Buffer, from = 'forwarder@company.example'): Promise<string> {
  const answer = await deliver(api.backend.inboundSmtpPort, { from, to: [company.inboundAddress] }, raw);
  await api.backend.idle();
  return answer;
}

/** Every item of a paginated list (`/v1/messages/unassigned`, `/v1/candidates/{id}/messages`). */
export async function listAll(api: TestBackend, token: string, path: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const page: ApiResponse<{ items: any[]; nextCursor: string | null }> = await api.request('GET', `${path}?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
    if (page.status !== 200) throw new Error(`GET ${path} answered ${page.status}: ${page.text}`);
    items.push(...page.json.items);
    cursor = page.json.nextCursor;
  } while (cursor);
  return items;
}

/** One message in full (text, safe html, attachment links). */
export async function getMessage(api: TestBackend, token: string, id: string): Promise<any> {
  const response = await api.request('GET', `/v1/messages/${encodeURIComponent(id)}`, { token });
  if (response.status !== 200) throw new Error(`GET /v1/messages/${id} answered ${response.status}: ${response.text}`);
  return response.json;
}

/** A raw mail: these header lines, an empty line, these body lines and a last line end (all CRLF). */
export const rawMail = (headers: string[], body: string[]): Buffer => Buffer.from([...headers, '', ...body, ''].join('\r\n'), 'utf8');

/** A Message-ID (without brackets) unique to this run. */
export const uniqueMessageId = (label: string): string => `${label}.${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 10)}@mail.candidate.example`;
