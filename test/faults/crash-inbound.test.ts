/**
 * Fault suite, crash mid-inbound: the real local backend in a child process (dynalite on disk,
 * s3rver on disk), mail delivered in parallel, SIGKILL right after some mails were
 * acknowledged, then a restart on the same data folder. Every acknowledged mail must be filed
 * exactly once (the listener acknowledges only stored mail; the reconciler files at start what
 * a crash left unfiled).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { signLocalToken } from '../../infra/local/local-jwt';
import { deliver } from '../api/inbound-support';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const JWT_SECRET = 'fault-suite-secret';
const dataDir = mkdtempSync(join(tmpdir(), 'recruiting-mail-faults-'));
const children: ChildProcess[] = [];

after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (!process.env.KEEP_FAULT_DATA) rmSync(dataDir, { recursive: true, force: true });
});

interface RunningChild {
  child: ChildProcess;
  apiUrl: string;
  inboundSmtpPort: number;
  stderr: string[];
}

async function startChild(): Promise<RunningChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'backend-child.ts')], {
    cwd: ROOT,
    env: { ...process.env, LOCAL_DATA_DIR: dataDir, LOCAL_JWT_SECRET: JWT_SECRET, LOG_LEVEL: 'ERROR', INBOUND_RECONCILE_INTERVAL_SECONDS: '3600' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  return new Promise<RunningChild>((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`the backend exited (${code ?? signal}) before it was ready: ${stderr.join('')}`)));
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      const ready = JSON.parse(line) as { apiUrl: string; inboundSmtpPort: number };
      resolve({ child, apiUrl: ready.apiUrl, inboundSmtpPort: ready.inboundSmtpPort, stderr });
    });
  });
}

async function killHard(running: RunningChild): Promise<void> {
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  running.child.kill('SIGKILL');
  await exited;
}

async function call(running: RunningChild, method: string, path: string, token: string, body?: unknown): Promise<any> {
  const response = await fetch(`${running.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function listAll(running: RunningChild, token: string, path: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: any[]; nextCursor: string | null } = await call(running, 'GET', `${path}?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, token);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

const mail = (index: number, to: string) =>
  Buffer.from(
    [
      'From: Candidate <crash.candidate@candidate.example>',
      `To: <${to}>`,
      `Subject: crash mail ${index}`,
      `Message-ID: <crash-${index}-${Date.now().toString(36)}@candidate.example>`,
      'Date: Fri, 27 Nov 2026 10:00:00 +0000',
      'Content-Type: text/plain',
      '',
      `Body of mail ${index}.`,
      '',
    ].join('\r\n'),
  );

describe('fault suite: SIGKILL mid-inbound', () => {
  it('every acknowledged mail is filed exactly once after a restart', async () => {
    let running = await startChild();
    const token = await signLocalToken(JWT_SECRET, { companyId: 'crash-co', roles: ['admin', 'recruiter'] });
    const settings = await call(running, 'PUT', '/v1/email-settings/main', token, { address: 'jobs@crash-co.example', mode: 'default' });
    await call(running, 'PUT', '/v1/candidates/cand-crash', token, { emails: ['crash.candidate@candidate.example'], name: 'Crash' });

    const total = 40;
    const acknowledged = new Set<number>();
    let killed = false;
    const killAfter = 12;
    let killing: Promise<void> | null = null;
    const port = running.inboundSmtpPort;
    const current = running;
    await Promise.all(
      Array.from({ length: total }, (_, index) =>
        deliver(port, { from: 'forwarder@crash-co.example', to: [settings.inboundAddress] }, mail(index, 'jobs@crash-co.example')).then(
          () => {
            if (killed) return;
            acknowledged.add(index);
            if (acknowledged.size >= killAfter && !killing) {
              killed = true;
              killing = killHard(current);
            }
          },
          () => undefined,
        ),
      ),
    );
    await killing;
    assert.ok(killed, 'the backend was killed mid-load');

    running = await startChild();
    const filed = [...(await listAll(running, token, '/v1/candidates/cand-crash/messages')), ...(await listAll(running, token, '/v1/messages/unassigned'))];
    const subjects = filed.map((item) => Number(/crash mail (\d+)/.exec(item.subject)?.[1]));
    const unique = new Set(subjects);
    const lost = [...acknowledged].filter((index) => !unique.has(index));
    const duplicated = subjects.length - unique.size;
    process.stdout.write(
      `# SIGKILL mid-inbound: accepted ${acknowledged.size}, findable ${[...acknowledged].filter((index) => unique.has(index)).length}, lost ${lost.length}, duplicated ${duplicated}, filed in all ${unique.size}\n`,
    );
    assert.deepEqual(lost, [], `acknowledged but lost: ${lost.join(', ')}${process.env.KEEP_FAULT_DATA ? running.stderr.join('') : ''}`);
    assert.equal(duplicated, 0);
    await killHard(running);
  });
});
