/**
 * Fault suite, crash mid-inbound: the real local backend in a child process (dynalite on disk,
 * s3rver on disk), mail delivered in parallel, SIGKILL right after some mails were
 * acknowledged, then a restart on the same data folder. Every acknowledged mail must be filed
 * exactly once (the listener acknowledges only stored mail; the reconciler files at start what
 * a crash left unfiled).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { signLocalToken } from '../../infra/local/local-jwt';
import { deliver, rawMail } from '../support/inbound-e2e';
import { call, CHILD_JWT_SECRET, killAllChildren, killHard, listAll, startChildBackend } from './child-backend';

const dataDir = mkdtempSync(join(tmpdir(), 'recruiting-mail-faults-'));

after(() => {
  killAllChildren();
  rmSync(dataDir, { recursive: true, force: true });
});

const mail = (index: number, to: string) =>
  rawMail(
    [
      'From: Candidate <crash.candidate@candidate.example>',
      `To: <${to}>`,
      `Subject: crash mail ${index}`,
      `Message-ID: <crash-${index}-${Date.now().toString(36)}@candidate.example>`,
      'Date: Fri, 27 Nov 2026 10:00:00 +0000',
      'Content-Type: text/plain',
    ],
    [`Body of mail ${index}.`],
  );

describe('fault suite: SIGKILL mid-inbound', () => {
  it('every acknowledged mail is filed exactly once after a restart', async () => {
    let running = await startChildBackend(dataDir);
    const token = await signLocalToken(CHILD_JWT_SECRET, { companyId: 'crash-co', roles: ['admin', 'recruiter'] });
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

    running = await startChildBackend(dataDir);
    const filed = [...(await listAll(running, token, '/v1/candidates/cand-crash/messages')), ...(await listAll(running, token, '/v1/messages/unassigned'))];
    const subjects = filed.map((item) => Number(/crash mail (\d+)/.exec(item.subject)?.[1]));
    const unique = new Set(subjects);
    const lost = [...acknowledged].filter((index) => !unique.has(index));
    const duplicated = subjects.length - unique.size;
    process.stdout.write(
      `# SIGKILL mid-inbound: accepted ${acknowledged.size}, findable ${[...acknowledged].filter((index) => unique.has(index)).length}, lost ${lost.length}, duplicated ${duplicated}, filed in all ${unique.size}\n`,
    );
    assert.deepEqual(lost, [], `acknowledged but lost: ${lost.join(', ')}; backend said: ${running.stderr.join('').slice(-2000)}`);
    assert.equal(duplicated, 0);
    await killHard(running);
  });
});
