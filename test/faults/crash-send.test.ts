/**
 * Fault suite, crash mid-send: the real local backend in a child process (dynalite and s3rver
 * on disk), 30 messages accepted through the API and delivered to a company SMTP server that
 * answers each DATA a little late, SIGKILL while messages are being transmitted, then a restart
 * on the same data folder. Every accepted message must end `sent` or `failed` (a message that
 * was being transmitted: `DELIVERY_UNCERTAIN`), none stuck, none delivered twice.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { signLocalToken } from '../../infra/local/local-jwt';
import { starttlsLoginOptions, trustedCaFixture } from '../support/mail-servers';
import { startSmtpServer, type RunningSmtpServer } from '../support/smtp-helpers';
import { call, CHILD_JWT_SECRET, type ChildBackend, killAllChildren, killHard, startChildBackend } from './child-backend';

const PASSWORD = 'Crash-send-pw-42';
const LOGIN = 'jobs@crash-send.test';
const dataDir = mkdtempSync(join(tmpdir(), 'recruiting-mail-faults-send-'));
const tls = trustedCaFixture('recruiting-mail-faults-tls-');

/** Our message id (X-Recruiting-Mail-Id) of every message whose DATA the server took in full. */
const received: string[] = [];
/** Taken in full and not yet answered: on the wire, as far as the sender knows. */
const unanswered = new Set<string>();
let server: RunningSmtpServer;

before(async () => {
  server = await startSmtpServer({
    ...starttlsLoginOptions(tls, LOGIN, PASSWORD),
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const id = /X-Recruiting-Mail-Id: (\S+)/i.exec(Buffer.concat(chunks).toString('latin1'))?.[1];
        if (id) received.push(id);
        if (id) unanswered.add(id);
        // The server stores the message, then answers late: a crash in between leaves the
        // sender unsure whether it was delivered.
        setTimeout(() => {
          if (id) unanswered.delete(id);
          callback(null, 'Ok: queued');
        }, 300);
      });
    },
  });
});

after(async () => {
  killAllChildren();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
  tls.remove();
});

const backendEnv = { SMTP_ALLOWED_PORTS: '*', SMTP_TESTS_PER_MINUTE: '100', ...tls.backendEnv };

async function statuses(running: ChildBackend, token: string, ids: string[]): Promise<Map<string, any>> {
  const found = new Map<string, any>();
  for (const id of ids) found.set(id, await call(running, 'GET', `/v1/messages/${encodeURIComponent(id)}`, token));
  return found;
}

describe('fault suite: SIGKILL mid-send', () => {
  it('every accepted message ends sent, failed or uncertain after a restart; none is delivered twice', async () => {
    let running = await startChildBackend(dataDir, backendEnv);
    const token = await signLocalToken(CHILD_JWT_SECRET, { companyId: 'crash-send', roles: ['admin', 'recruiter'] });
    await call(running, 'PUT', '/v1/email-settings/main', token, {
      address: LOGIN,
      mode: 'smtp',
      fallbackToDefault: false,
      smtp: { host: '127.0.0.1', port: server.port, security: 'starttls', username: LOGIN, password: PASSWORD },
    });
    await call(running, 'PUT', '/v1/candidates/cand-send', token, { emails: ['candidate@crash-send.example'], name: 'Candidate' });

    const total = 30;
    const current = running;
    const accepted: string[] = (
      await Promise.all(
        Array.from({ length: total }, (_, index) => call(current, 'POST', '/v1/candidates/cand-send/messages', token, { subject: `crash send ${index}`, text: `Message ${index}` })),
      )
    ).map((message) => message.id);
    // Kill once some messages are through and at least one is on the wire: taken by the server,
    // not yet answered (the server runs in this process, so nothing answers between the look and the kill).
    const deadline = Date.now() + 20_000;
    while ((received.length < 5 || unanswered.size === 0) && Date.now() < deadline) await sleep(5);
    const onTheWire = [...unanswered];
    await killHard(running);
    const beforeRestart = received.length;
    assert.ok(beforeRestart < total, `the crash came before every message was delivered (${beforeRestart} of ${total})`);
    assert.ok(onTheWire.length > 0, 'the kill landed mid-send: a message was taken by the server and not yet answered');

    running = await startChildBackend(dataDir, backendEnv);
    let final = await statuses(running, token, accepted);
    const settleBy = Date.now() + 30_000;
    while ([...final.values()].some((message) => message.status === 'queued' || message.status === 'sending') && Date.now() < settleBy) {
      await sleep(200);
      final = await statuses(running, token, accepted);
    }
    const stuck = [...final.values()].filter((message) => message.status === 'queued' || message.status === 'sending');
    const sent = [...final.values()].filter((message) => message.status === 'sent');
    const uncertain = [...final.values()].filter((message) => message.status === 'failed' && message.error?.code === 'DELIVERY_UNCERTAIN');
    const otherFailures = [...final.values()].filter((message) => message.status === 'failed' && message.error?.code !== 'DELIVERY_UNCERTAIN');
    const counts = new Map<string, number>();
    for (const id of received) counts.set(id, (counts.get(id) ?? 0) + 1);
    const duplicated = [...counts.values()].filter((count) => count > 1).length;
    const sentNotReceived = sent.filter((message) => !counts.has(message.id));
    process.stdout.write(
      `# SIGKILL mid-send: accepted ${total}, delivered before the crash ${beforeRestart}, sent ${sent.length}, uncertain ${uncertain.length}, other failures ${otherFailures.length}, stuck ${stuck.length}, duplicated ${duplicated}\n`,
    );
    assert.deepEqual(stuck.map((message) => `${message.id} ${message.status}`), [], `stuck; backend said: ${running.stderr.join('').slice(-2000)}`);
    assert.equal(duplicated, 0, 'no message delivered twice');
    assert.deepEqual(sentNotReceived.map((message) => message.id), [], 'every sent message reached the server');
    assert.deepEqual(otherFailures.map((message) => message.error?.code), []);
    assert.equal(sent.length + uncertain.length, total);
    // What was on the wire at the kill can be neither sent (no answer came) nor sent again: uncertain.
    assert.deepEqual(
      onTheWire.map((id) => [id, final.get(id)?.status, final.get(id)?.error?.code]),
      onTheWire.map((id) => [id, 'failed', 'DELIVERY_UNCERTAIN']),
    );
    await killHard(running);
  });
});
