/**
 * Sending at volume (capability 11): 500 mails in one `POST /v1/messages/batch` through the
 * whole local backend (3 send-worker instances, dynalite) to a smtp-server that enforces a
 * mailbox's limits (3 connections, N messages in any window), timed against the ideal the
 * server's limit allows, with the table requests the coordination (rate window and connection
 * leases) cost per mail. The "minute" is shortened (MAILBOX_RATE_WINDOW_SECONDS) so the run
 * takes seconds; the semantics are the same.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLimitedMailServer } from '../test/support/limited-mail-server';
import { makeCertificate } from './local-servers';
import { printTable, type Cell } from './report';

const SECTION = '5. Sending at volume (batch of mails through a limited mailbox, 3 worker instances)';
const MAILS = Number(process.env.BENCH_VOLUME_MAILS ?? 500);
const WINDOW_SECONDS = 1;
const PER_WINDOW = 50;
const CONNECTIONS = 3;
const BATCH = 50;

export async function benchSendingAtVolume(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'recruiting-mail-bench-volume-'));
  Object.assign(process.env, {
    SMTP_ALLOWED_PORTS: '*',
    SEND_WORKER_INSTANCES: '3',
    MAILBOX_RATE_WINDOW_SECONDS: String(WINDOW_SECONDS),
    API_THROTTLE_RATE_LIMIT: '1000000',
    API_THROTTLE_BURST_LIMIT: '1000000',
    COMPANY_API_RATE_LIMIT: '1000000',
    COMPANY_API_BURST_LIMIT: '1000000',
    LOG_LEVEL: 'ERROR',
  });
  const { startLocalBackend } = await import('../infra/local/local-backend');
  const { signLocalToken } = await import('../infra/local/local-jwt');
  const { MAILBOX_LIMIT_REQUESTS } = await import('../shared/adapters/dynamodb-mailbox-limits');
  const { rateWindowOf } = await import('../shared/outbound/mailbox-limits');
  const server = await startLimitedMailServer({
    tls: makeCertificate(),
    users: { 'jobs@bench.example': 'bench-password' },
    maxConnections: CONNECTIONS,
    perWindow: { count: PER_WINDOW, ms: WINDOW_SECONDS * 1000 },
  });
  const backend = await startLocalBackend({
    port: 0,
    sesPort: 0,
    dataDir,
    fresh: true,
    inMemory: true,
    jwtSecret: 'bench-secret',
    inboundDomain: 'inbound.bench.example',
    defaultFromAddress: 'no-reply@mail.bench.example',
  });
  try {
    const token = await signLocalToken('bench-secret', { companyId: 'bench', roles: ['admin'] });
    const call = async (method: string, route: string, body: unknown) => {
      const response = await fetch(`${backend.apiUrl}${route}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await response.text();
      if (response.status >= 300) throw new Error(`${method} ${route}: ${response.status} ${text.slice(0, 300)}`);
      return JSON.parse(text);
    };
    await call('PUT', '/v1/email-settings/main', {
      address: 'jobs@bench.example',
      mode: 'smtp',
      smtp: { host: '127.0.0.1', port: server.port, security: 'starttls', username: 'jobs@bench.example', password: 'bench-password', limits: { maxConnections: CONNECTIONS, perMinute: PER_WINDOW, perDay: null } },
    });
    for (let index = 0; index < MAILS; index += 50) {
      await Promise.all(Array.from({ length: Math.min(50, MAILS - index) }, (_, offset) => call('PUT', `/v1/candidates/c-${index + offset}`, { emails: [`c-${index + offset}@candidates.example`] })));
    }
    // The settings test's own MAIL FROM counts at the server: start in a fresh window.
    await new Promise((resolve) => setTimeout(resolve, WINDOW_SECONDS * 1000 + 100));
    const requestsBefore = MAILBOX_LIMIT_REQUESTS.requests;
    const started = performance.now();
    const messages = Array.from({ length: MAILS }, (_, index) => ({ candidateId: `c-${index}`, idempotencyKey: `bench-${index}`, subject: 'Your application', text: 'Thank you for your application.' }));
    // Batches of 50: in one process with dynalite and the workers, a batch of 500 outlasts the local function timeout.
    const items: { error?: unknown }[] = [];
    for (let index = 0; index < MAILS; index += BATCH) items.push(...(await call('POST', '/v1/messages/batch', { messages: messages.slice(index, index + BATCH) })).items);
    const accepted = performance.now();
    await backend.idle();
    const seconds = (performance.now() - started) / 1000;
    const coordination = MAILBOX_LIMIT_REQUESTS.requests - requestsBefore;
    const errors = items.filter((item) => item.error).length;
    // The server allows PER_WINDOW messages in any window: the first go at once, then one window per PER_WINDOW.
    const ideal = (Math.ceil(MAILS / PER_WINDOW) - 1) * WINDOW_SECONDS;
    const guarded = (Math.ceil(MAILS / PER_WINDOW) - 1) * (rateWindowOf(WINDOW_SECONDS).windowMs + rateWindowOf(WINDOW_SECONDS).guardMs) / 1000;
    const rows: Cell[][] = [
      [
        MAILS,
        `${server.accepted.length}/${MAILS}`,
        `${((accepted - started) / 1000).toFixed(2)} s`,
        `${seconds.toFixed(1)} s`,
        `${ideal.toFixed(1)} s`,
        `${guarded.toFixed(1)} s`,
        `${server.refusedForConcurrency()}/${server.refusedForRate()}`,
        server.peakSessions(),
        (coordination / MAILS).toFixed(2),
      ],
    ];
    printTable(SECTION, ['mails', 'delivered', `${MAILS / BATCH}× batch 202`, 'all sent', 'ideal', 'ideal+guard', 'refused conc/rate', 'peak conn.', 'limit req/mail'], rows, [
      `server limit: ${CONNECTIONS} connections, ${PER_WINDOW} messages in any ${WINDOW_SECONDS} s window; ours the same, reserved with a guard of`,
      `${rateWindowOf(WINDOW_SECONDS).guardMs} ms per window (a message sends a little after its slot); "ideal" = the server's limit exactly.`,
      '"limit req/mail": DynamoDB requests of the rate window (read + conditional put per reservation, retries on contention) and of the',
      'connection leases (conditional put / delete per connection), per mail; the message items themselves are not counted.',
      ...(errors > 0 ? [`${errors} messages of the batch were refused`] : []),
    ]);
  } finally {
    await backend.stop();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
