/**
 * Scale: the whole local backend (`startLocalBackend`: the real API, send-worker and inbound
 * handlers behind the local gateway, dynalite, s3rver, aws-ses-v2-local and the in-process
 * queue) with many companies at once: every company sends a mail, one company sends a burst,
 * then inbound mail arrives at a steady rate. The AWS SDK clients the handlers share count
 * every DynamoDB and S3 request, the items written and any throttling answer.
 *
 * What it shows: requests and item writes per mail (the cost model of the table), the spread of
 * latencies on one machine, that nothing is lost or throttled by the code itself. What only AWS
 * shows: partition limits, Lambda concurrency and SES's send rate (the stand-ins have none).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLocalBackend } from '../infra/local/local-backend';
import { signLocalToken } from '../infra/local/local-jwt';
import { deliver } from '../test/support/inbound-e2e';
import { ms, percentile, printTable, runPool } from './report';

const COMPANIES = Number(process.env.BENCH_SCALE_COMPANIES ?? 200);
/**
 * The target is 5,000 in a minute; 500 (a tenth) by default: the whole backend runs in this one
 * process, and on the 2-core development machine it delivers a few dozen mails a second at best.
 */
const BURST = Number(process.env.BENCH_SCALE_BURST ?? 500);
const INBOUND_MAILS = Number(process.env.BENCH_SCALE_INBOUND ?? 100);
const INBOUND_PER_SECOND = Number(process.env.BENCH_SCALE_INBOUND_RATE ?? 10);

interface Counts {
  requests: Map<string, number>;
  itemsWritten: number;
  throttles: number;
}

const THROTTLES = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'SlowDown', 'TooManyRequestsException']);
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand']);

/** Counts each command a client sends (by name), the items it writes and throttling answers. */
function count(client: { middlewareStack: { add: (middleware: never, options: object) => void } }, counts: Counts, service: string): void {
  const middleware =
    (next: (args: { input: Record<string, unknown> }) => Promise<unknown>, context: { commandName?: string }) =>
    async (args: { input: Record<string, unknown> }) => {
      const name = context.commandName ?? 'unknown';
      counts.requests.set(`${service} ${name.replace(/Command$/, '')}`, (counts.requests.get(`${service} ${name.replace(/Command$/, '')}`) ?? 0) + 1);
      if (WRITES.has(name)) counts.itemsWritten += 1;
      if (name === 'BatchWriteItemCommand') {
        for (const requests of Object.values((args.input.RequestItems ?? {}) as Record<string, unknown[]>)) counts.itemsWritten += requests.length;
      }
      try {
        return await next(args);
      } catch (error) {
        if (THROTTLES.has((error as { name?: string }).name ?? '')) counts.throttles += 1;
        throw error;
      }
    };
  client.middlewareStack.add(middleware as never, { step: 'initialize', name: `benchScaleCounter${service}` });
}

const snapshot = (counts: Counts) => ({ requests: new Map(counts.requests), itemsWritten: counts.itemsWritten, throttles: counts.throttles });
const total = (requests: Map<string, number>, prefix: string) => [...requests].filter(([name]) => name.startsWith(prefix)).reduce((sum, [, value]) => sum + value, 0);

function delta(before: ReturnType<typeof snapshot>, after: ReturnType<typeof snapshot>) {
  const requests = new Map<string, number>();
  for (const [name, value] of after.requests) requests.set(name, value - (before.requests.get(name) ?? 0));
  return { requests, itemsWritten: after.itemsWritten - before.itemsWritten, throttles: after.throttles - before.throttles };
}

export async function benchScale(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'recruiting-mail-bench-scale-'));
  const jwtSecret = 'bench-scale-secret';
  // The local gateway throttles as the deployed stage does by default (50 a second): lifted
  // here, so the section measures the backend; 429s are still counted.
  Object.assign(process.env, { API_THROTTLE_RATE_LIMIT: '1000000', API_THROTTLE_BURST_LIMIT: '1000000', LOG_LEVEL: 'ERROR', SEND_RETRY_BASE_SECONDS: '1' });
  const backend = await startLocalBackend({ port: 0, sesPort: 0, dataDir, fresh: true, inMemory: true, jwtSecret, inboundDomain: 'inbound.bench.localhost', defaultFromAddress: 'no-reply@mail.bench.localhost', retryBaseSeconds: 1 });
  let tooMany = 0;
  try {
    const { getDocumentClient } = await import('../shared/adapters/dynamodb');
    const { getS3Client } = await import('../shared/adapters/s3-blob-store');
    const counts: Counts = { requests: new Map(), itemsWritten: 0, throttles: 0 };
    count(getDocumentClient() as never, counts, 'DynamoDB');
    count(getS3Client() as never, counts, 'S3');

    const api = async (token: string, method: string, route: string, body?: unknown, headers: Record<string, string> = {}) => {
      for (;;) {
        const response = await fetch(`${backend.apiUrl}${route}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        if (response.status !== 429) return { status: response.status, json: (await response.json().catch(() => null)) as any };
        tooMany += 1;
        await sleep(Number(response.headers.get('retry-after') ?? 1) * 1000);
      }
    };

    // Setup (not counted): companies, their main scope and one candidate each.
    const companies = await Promise.all(
      Array.from({ length: COMPANIES }, async (_, index) => ({ id: `bench-co-${index}`, token: await signLocalToken(jwtSecret, { companyId: `bench-co-${index}`, roles: ['admin', 'recruiter'] }) })),
    );
    const inboundAddresses: string[] = [];
    await runPool(companies.length, 16, async (index) => {
      const company = companies[index]!;
      inboundAddresses[index] = (await api(company.token, 'PUT', '/v1/email-settings/main', { mode: 'default', displayName: company.id })).json.inboundAddress;
      await api(company.token, 'PUT', '/v1/candidates/cand-1', { emails: [`cand-1@${company.id}.candidate.example`], name: 'Candidate' });
    });

    // Outbound: one mail from every other company, and the burst from the first, all at once.
    const outboundBefore = snapshot(counts);
    const accepted: number[] = [];
    const sendOne = async (company: (typeof companies)[number], key: string) => {
      const started = performance.now();
      const answer = await api(company.token, 'POST', '/v1/candidates/cand-1/messages', { subject: `Mail ${key}`, text: `Hello, this is mail ${key}.` }, { 'idempotency-key': key });
      if (answer.status === 202) accepted.push(performance.now() - started);
    };
    const outboundStarted = performance.now();
    await Promise.all([
      runPool(BURST, 32, (index) => sendOne(companies[0]!, `burst-${index}`)),
      runPool(companies.length - 1, 8, (index) => sendOne(companies[index + 1]!, `one-${index}`)),
    ]);
    await backend.idle();
    const outboundSeconds = (performance.now() - outboundStarted) / 1000;
    const outbound = delta(outboundBefore, snapshot(counts));
    const outboundMails = BURST + companies.length - 1;

    // Delivery latency, from each message's own times: queued (createdAt) to sent (sentAt).
    const deliveryLatency: number[] = [];
    let sent = 0;
    const sampled = [companies[0]!, ...companies.slice(1, 21)];
    for (const company of sampled) {
      let cursor: string | null = null;
      do {
        const page: { items: { status: string; createdAt: string; sentAt: string | null }[]; nextCursor: string | null } = (
          await api(company.token, 'GET', `/v1/candidates/cand-1/messages?limit=100${cursor ? `&cursor=${cursor}` : ''}`)
        ).json;
        for (const message of page.items) {
          if (message.status !== 'sent' || !message.sentAt) continue;
          sent += 1;
          deliveryLatency.push(Date.parse(message.sentAt) - Date.parse(message.createdAt));
        }
        cursor = page.nextCursor;
      } while (cursor);
    }

    // Inbound: a steady rate of mail to random companies' inbound addresses.
    const inboundBefore = snapshot(counts);
    const filing: number[] = [];
    const inboundStarted = performance.now();
    await runPool(INBOUND_MAILS, 16, async (index) => {
      const due = inboundStarted + (index / INBOUND_PER_SECOND) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const company = index % companies.length;
      const to = inboundAddresses[company]!;
      const raw = Buffer.from(
        [`From: Candidate <cand-1@bench-co-${company}.candidate.example>`, `To: ${to}`, `Subject: Reply ${index}`, `Message-ID: <reply-${index}@candidate.example>`, 'Date: Mon, 07 Dec 2026 10:00:00 +0000', '', `Thanks, reply ${index}.`, ''].join('\r\n'),
      );
      const started = performance.now();
      await deliver(backend.inboundSmtpPort, { from: 'forwarder@company.example', to: [to] }, raw);
      filing.push(performance.now() - started);
    });
    await backend.idle();
    const inbound = delta(inboundBefore, snapshot(counts));

    const row = (what: string, mails: number, phase: ReturnType<typeof delta>, latency: number[], latencyWhat: string) => [
      what,
      mails,
      (total(phase.requests, 'DynamoDB') / mails).toFixed(1),
      (phase.itemsWritten / mails).toFixed(1),
      (total(phase.requests, 'S3') / mails).toFixed(1),
      `${ms(percentile(latency, 50))} / ${ms(percentile(latency, 99))}`,
      latencyWhat,
      phase.throttles,
    ];
    printTable(
      `Scale: ${COMPANIES} companies; a burst of ${BURST} mails from one (the target is 5,000 a minute: BENCH_SCALE_BURST=5000), one mail from each other; then ${INBOUND_MAILS} inbound mails at ${INBOUND_PER_SECOND}/s`,
      ['traffic', 'mails', 'DynamoDB req/mail', 'items written/mail', 'S3 req/mail', 'p50 / p99', 'latency of', 'throttles'],
      [
        row('outbound (API + send worker)', outboundMails, outbound, deliveryLatency, `queued to sent (${sent} mails of ${sampled.length} companies)`),
        row('outbound: API answer only', outboundMails, outbound, accepted, 'POST 202'),
        row('inbound (SMTP + filing)', INBOUND_MAILS, inbound, filing, 'SMTP 250 + filing'),
      ],
      [
        `outbound: ${outboundMails} mails accepted and delivered in ${outboundSeconds.toFixed(1)} s (${(outboundMails / outboundSeconds).toFixed(0)} mails/s on this machine); gateway 429s: ${tooMany}`,
        `outbound DynamoDB requests: ${[...outbound.requests].filter(([name, value]) => name.startsWith('DynamoDB') && value > 0).map(([name, value]) => `${name.slice(9)} ${(value / outboundMails).toFixed(2)}`).join(', ')}`,
        `inbound DynamoDB requests: ${[...inbound.requests].filter(([name, value]) => name.startsWith('DynamoDB') && value > 0).map(([name, value]) => `${name.slice(9)} ${(value / INBOUND_MAILS).toFixed(2)}`).join(', ')}`,
        'throttles: DynamoDB/S3 throttling answers seen by the SDK (the stand-ins never throttle: only AWS shows partition and account limits)',
      ],
    );
  } finally {
    await backend.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
