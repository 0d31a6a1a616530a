/**
 * The real local backend in a child process (test/faults/backend-child.ts) on a data folder
 * of the test's, so that a test can SIGKILL it and start another on the same folder.
 */
import { UNTHROTTLED } from '../support/test-backend';
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
export const CHILD_JWT_SECRET = 'fault-suite-secret';

export interface ChildBackend {
  child: ChildProcess;
  apiUrl: string;
  inboundSmtpPort: number;
  stderr: string[];
}

const started: ChildProcess[] = [];

/** Kills every child still running (for `after`). */
export function killAllChildren(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

export async function startChildBackend(dataDir: string, env: Record<string, string> = {}): Promise<ChildBackend> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'backend-child.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...UNTHROTTLED, LOCAL_DATA_DIR: dataDir, LOCAL_JWT_SECRET: CHILD_JWT_SECRET, LOG_LEVEL: 'ERROR', INBOUND_RECONCILE_INTERVAL_SECONDS: '3600', SEND_SWEEP_INTERVAL_SECONDS: '3600', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  return new Promise<ChildBackend>((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`the backend exited (${code ?? signal}) before it was ready: ${stderr.join('')}`)));
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      const ready = JSON.parse(line) as { apiUrl: string; inboundSmtpPort: number };
      resolve({ child, apiUrl: ready.apiUrl, inboundSmtpPort: ready.inboundSmtpPort, stderr });
    });
  });
}

export async function killHard(running: ChildBackend): Promise<void> {
  if (running.child.exitCode !== null || running.child.signalCode !== null) return;
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  running.child.kill('SIGKILL');
  await exited;
}

export async function call(running: ChildBackend, method: string, path: string, token: string, body?: unknown): Promise<any> {
  const response = await fetch(`${running.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

export async function listAll(running: ChildBackend, token: string, path: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: any[]; nextCursor: string | null } = await call(running, 'GET', `${path}?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, token);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}
