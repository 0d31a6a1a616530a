/**
 * Every mail of the real-world corpus (../shared/corpora/eml), and a mutated copy of each, sent
 * to a real `npm start` over its inbound SMTP listener on a few parallel connections. The
 * process must still be serving afterwards, and every accepted mail must be findable through
 * the HTTP API: filed under a candidate, unassigned, or set aside with its `parseError` verdict
 * (or a duplicate of a message that is). The inbound function's log line for each stored mail
 * (`inbound mail`, with its outcomes) ties the mail to its message. Skips when the corpus is
 * absent (a fresh clone has no ../shared).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { deliver, SmtpRefused } from '../support/inbound-e2e';
import { mutateMail } from './mutated-mail';

const ROOT = join(import.meta.dirname, '../..');
const CORPUS = join(ROOT, '..', 'shared', 'corpora');
const PARALLEL_CONNECTIONS = 4;
const dataDir = mkdtempSync(join(tmpdir(), 'corpus-npm-start-'));
let child: ChildProcess | undefined;

after(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

interface Started {
  output: () => string;
  token: string;
  apiUrl: string;
  inboundPort: number;
}

/** `npm start` on random ports, logging at INFO (the filing's outcome lines); resolves at its banner. */
async function npmStart(): Promise<Started> {
  const started = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', SES_LOCAL_PORT: '0', INBOUND_SMTP_PORT: '0', COMPANY_SMTP_PORT: '0', LOCAL_DATA_DIR: dataDir, LOG_LEVEL: 'INFO', API_THROTTLE_RATE_LIMIT: '1000000', API_THROTTLE_BURST_LIMIT: '1000000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = started;
  const chunks: string[] = [];
  started.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  started.stderr!.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  const output = () => chunks.join('');
  const endsAt = Date.now() + 90_000;
  while (!output().includes('Ctrl-C stops everything.')) {
    if (started.exitCode !== null) throw new Error(`npm start ended: ${output()}`);
    if (Date.now() > endsAt) throw new Error(`npm start did not print its banner: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const banner = output();
  return {
    output,
    token: /export TOKEN=(\S+)/.exec(banner)![1],
    apiUrl: /HTTP API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(banner)![1],
    inboundPort: Number(/Inbound \(SES\)\s+smtp:\/\/127\.0\.0\.1:(\d+)/.exec(banner)![1]),
  };
}

/** Runs `work` over the items with `limit` at a time. */
async function eachAtMost<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

interface FilingLine {
  rawKey: string;
  outcomes: Array<{ result: string; messageId?: string }>;
}

/** The inbound function's `inbound mail` lines, by raw key. */
function filingLines(output: string): Map<string, FilingLine> {
  const lines = new Map<string, FilingLine>();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"inbound mail"')) continue;
    const entry = JSON.parse(line) as FilingLine & { message: string };
    if (entry.message === 'inbound mail') lines.set(entry.rawKey, entry);
  }
  return lines;
}

const corpusPresent = existsSync(join(CORPUS, 'eml'));

describe('the real-world corpus through npm start', { skip: corpusPresent ? false : 'no ../shared/corpora (a fresh clone has none)' }, () => {
  it('stays up through every corpus mail and a mutated copy of each; every accepted mail is findable', async () => {
    const backend = await npmStart();
    const headers = { authorization: `Bearer ${backend.token}`, 'content-type': 'application/json' };
    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${backend.apiUrl}${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    };
    const settings = await api('PUT', '/v1/email-settings/main', { address: 'jobs@company.example', mode: 'default' });
    assert.equal(settings.status, 200, JSON.stringify(settings.body));
    const inboundAddress: string = settings.body.inboundAddress;

    // The manifest's original senders as candidates, so that mail is also filed under them.
    const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as Array<{ expected_original_sender: string | null }>;
    const senders = [...new Set(manifest.map((entry) => entry.expected_original_sender).filter((sender): sender is string => Boolean(sender)))];
    await eachAtMost([...senders.entries()], PARALLEL_CONNECTIONS, async ([index, sender]) => {
      const put = await api('PUT', `/v1/candidates/corpus-${index}`, { emails: [sender], name: `Corpus ${index}` });
      assert.ok(put.status === 200 || put.status === 201 || put.status === 400, `candidate ${sender}: ${put.status} ${JSON.stringify(put.body)}`);
    });

    const files = readdirSync(join(CORPUS, 'eml')).filter((file) => file.endsWith('.eml')).sort();
    const mails = files.flatMap((file, index) => {
      const raw = readFileSync(join(CORPUS, 'eml', file));
      const mutated = mutateMail(raw, index);
      return [
        { name: file, raw },
        { name: `${file} (${mutated.mutation})`, raw: mutated.raw },
      ];
    });
    const accepted: Array<{ name: string; rawKey: string }> = [];
    const refused: string[] = [];
    await eachAtMost(mails, PARALLEL_CONNECTIONS, async (mail) => {
      try {
        const answer = await deliver(backend.inboundPort, { from: 'corpus@sender.example', to: [inboundAddress] }, mail.raw);
        const id = /stored as (\S+)/.exec(answer)?.[1];
        assert.ok(id, `${mail.name}: ${answer}`);
        accepted.push({ name: mail.name, rawKey: `inbound/${id}` });
      } catch (error) {
        // A refusal is the listener's answer, not a failure; a lost connection would be one.
        if (!(error instanceof SmtpRefused)) throw new Error(`${mail.name}: ${(error as Error).message}\n${backend.output().slice(-2000)}`);
        refused.push(`${mail.name}: ${error.response}`);
      }
    });

    // Filing is asynchronous (SES's Event invocation): wait for every accepted mail's outcome line.
    const endsAt = Date.now() + 120_000;
    let lines = filingLines(backend.output());
    while (accepted.some((mail) => !lines.has(mail.rawKey)) && Date.now() < endsAt) {
      assert.equal(child!.exitCode, null, `npm start exited: ${backend.output().slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      lines = filingLines(backend.output());
    }
    const unfiled = accepted.filter((mail) => !lines.has(mail.rawKey));
    assert.deepEqual(unfiled.map((mail) => mail.name), [], `no filing outcome (failed filings end in .data/dead-letters): ${backend.output().slice(-3000)}`);

    // Still serving: the API answers and the listener takes mail.
    assert.equal(child!.exitCode, null, 'npm start is still running');
    assert.equal((await api('GET', '/v1/email-settings/main')).status, 200);
    assert.match(await deliver(backend.inboundPort, { from: 'after@sender.example', to: [inboundAddress] }, Buffer.from('From: after@sender.example\r\nSubject: after\r\n\r\nstill here\r\n')), /^250/);

    // Every accepted mail's message is there, as its outcome says.
    const results = new Map<string, number>();
    const unassigned = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await api('GET', `/v1/messages/unassigned?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      for (const item of page.body.items) unassigned.add(item.id);
      cursor = page.body.nextCursor;
    } while (cursor);
    const checks = accepted.flatMap((mail) => lines.get(mail.rawKey)!.outcomes.map((outcome) => ({ mail, outcome })));
    await eachAtMost(checks, 8, async ({ mail, outcome }) => {
      results.set(outcome.result, (results.get(outcome.result) ?? 0) + 1);
      assert.ok(['filed', 'unassigned', 'parse_error', 'duplicate'].includes(outcome.result), `${mail.name}: ${outcome.result}`);
      const message = await api('GET', `/v1/messages/${outcome.messageId}`);
      assert.equal(message.status, 200, `${mail.name}: its message ${outcome.messageId} (${outcome.result})`);
      if (outcome.result === 'filed') assert.ok(message.body.candidateId, mail.name);
      if (outcome.result === 'unassigned' || outcome.result === 'parse_error') assert.ok(unassigned.has(outcome.messageId!), `${mail.name}: listed as unassigned`);
      if (outcome.result === 'parse_error') {
        assert.ok(message.body.verdicts.parseError, mail.name);
        const raw = await fetch(message.body.rawDownloadUrl);
        assert.equal(raw.status, 200, `${mail.name}: the raw mail downloads`);
        await raw.arrayBuffer();
      }
    });
    process.stdout.write(`# corpus through npm start: sent ${mails.length}, accepted ${accepted.length}, refused ${refused.length}; ${JSON.stringify(Object.fromEntries(results))}\n`);
    assert.equal(accepted.length + refused.length, mails.length);
  });
});
