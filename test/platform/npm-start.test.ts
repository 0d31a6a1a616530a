/**
 * `npm start` as a process manager runs it: a second start on the same data folder says it is
 * already running (with the pid) instead of failing with a stack trace; SIGTERM to npm stops
 * the backend and leaves no listener and no process behind; what the local default provider
 * "sent" is still there after a restart.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const ROOT = join(import.meta.dirname, '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'npm-start-'));
const started: ChildProcess[] = [];

after(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function npmStart(): Run {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', SES_LOCAL_PORT: '0', INBOUND_SMTP_PORT: '0', COMPANY_SMTP_PORT: '0', LOCAL_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Waits for the banner; returns every port it names and its token. */
async function ready(run: Run): Promise<{ ports: number[]; token: string; apiUrl: string; sesStoreUrl: string }> {
  const endsAt = Date.now() + 60_000;
  while (!run.output().includes('Ctrl-C stops everything.')) {
    if (run.child.exitCode !== null) throw new Error(`npm start ended: ${run.output()}`);
    if (Date.now() > endsAt) throw new Error(`npm start did not print its banner: ${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const banner = run.output();
  const ports = [...banner.matchAll(/(?:http|smtp):\/\/127\.0\.0\.1:(\d+)/g)].map((match) => Number(match[1]));
  return {
    ports: [...new Set(ports)],
    token: /export TOKEN=(\S+)/.exec(banner)![1],
    apiUrl: /HTTP API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(banner)![1],
    sesStoreUrl: /what it "sent": (http:\/\/127\.0\.0\.1:\d+\/store)/.exec(banner)![1],
  };
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start', () => {
  it('refuses a second start on the same data folder, stops cleanly on SIGTERM, and keeps the SES store across a restart', async () => {
    const first = npmStart();
    const { ports, token, apiUrl } = await ready(first);
    assert.ok(ports.length >= 6, `ports in the banner: ${ports.join(', ')}`);
    const backendPid = Number(readFileSync(join(dataDir, 'npm-start.pid'), 'utf8'));

    // Something for the default provider to "send": the redirect check mail.
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const saved = await fetch(`${apiUrl}/v1/email-settings/main`, { method: 'PUT', headers, body: JSON.stringify({ address: 'jobs@acme.com', mode: 'default' }) });
    assert.equal(saved.status, 200, await saved.text());
    const sent = await fetch(`${apiUrl}/v1/email-settings/main/redirect-test`, { method: 'POST', headers });
    assert.equal(sent.status, 202, await sent.text());

    const second = npmStart();
    assert.equal(await second.exited, 1, second.output());
    assert.match(second.output(), new RegExp(`Already running \\(pid ${backendPid}\\) on the data folder`));
    assert.doesNotMatch(second.output(), /\n\s+at /, 'no stack trace');

    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0, first.output());
    assert.match(first.output(), /Stopped\./);
    for (const port of ports) assert.equal(await listening(port), false, `port ${port} still listens after SIGTERM`);
    assert.equal(alive(backendPid), false, 'the backend process is gone');

    const third = npmStart();
    const restarted = await ready(third);
    const store = (await (await fetch(restarted.sesStoreUrl)).json()) as { emails: { subject: string }[] };
    assert.ok(store.emails.some((mail) => mail.subject.startsWith('Forwarding check')), JSON.stringify(store).slice(0, 300));
    third.child.kill('SIGTERM');
    assert.equal(await third.exited, 0, third.output());
  });
});
