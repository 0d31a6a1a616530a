/**
 * Fault suite, crash mid-erasure: the real local backend in a child process (dynalite and
 * s3rver on disk), a candidate with more messages than one erasure step takes, SIGKILL while
 * the erasure runs, then a restart on the same data folder. The resume sweep at start queues
 * the erasure again; it finishes, and neither the table nor the bucket's files hold anything
 * of the candidate, while the other candidate's mail is all there.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { signLocalToken } from '../../infra/local/local-jwt';
import { startLocalDynamo } from '../../infra/local/local-dynamodb';
import { deliver, rawMail } from '../support/inbound-e2e';
import { found, itemText, scanTable } from '../support/stored-state';
import { call, CHILD_JWT_SECRET, killAllChildren, killHard, listAll, startChildBackend } from './child-backend';

const dataDir = mkdtempSync(join(tmpdir(), 'recruiting-mail-faults-'));

after(() => {
  killAllChildren();
  rmSync(dataDir, { recursive: true, force: true });
});

const ERASED = ['Wanda Wipe', 'wanda.wipe@candidate.example', 'wipe-subject', 'wipe-body'];
const mail = (index: number, from: string, label: string) =>
  rawMail(
    [`From: ${label === 'wipe' ? 'Wanda Wipe' : 'Kurt Keep'} <${from}>`, 'To: <jobs@crash-erasure.example>', `Subject: ${label}-subject ${index}`, `Message-ID: <${label}-${index}-${Date.now().toString(36)}@candidate.example>`, 'Content-Type: text/plain'],
    [`${label}-body of mail ${index}.`],
  );

/** Every file s3rver keeps under the data folder (objects and their metadata). */
function bucketFiles(): string[] {
  return readdirSync(join(dataDir, 's3'), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('fault suite: SIGKILL mid-erasure', () => {
  it('finishes the erasure after a restart, leaving nothing of the candidate and all of the other', async () => {
    let running = await startChildBackend(dataDir);
    const token = await signLocalToken(CHILD_JWT_SECRET, { companyId: 'crash-erasure', roles: ['admin', 'recruiter'] });
    const settings = await call(running, 'PUT', '/v1/email-settings/main', token, { address: 'jobs@crash-erasure.example', mode: 'default' });
    await call(running, 'PUT', '/v1/candidates/cand-wipe', token, { emails: ['wanda.wipe@candidate.example'], name: 'Wanda Wipe' });
    await call(running, 'PUT', '/v1/candidates/cand-keep', token, { emails: ['kurt.keep@candidate.example'], name: 'Kurt Keep' });
    const total = 150;
    for (let index = 0; index < total; index += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, offset) => deliver(running.inboundSmtpPort, { from: 'fwd@crash-erasure.example', to: [settings.inboundAddress] }, mail(index + offset, 'wanda.wipe@candidate.example', 'wipe'))),
      );
    }
    for (let index = 0; index < 5; index++) await deliver(running.inboundSmtpPort, { from: 'fwd@crash-erasure.example', to: [settings.inboundAddress] }, mail(index, 'kurt.keep@candidate.example', 'keep'));
    for (let waited = 0; (await listAll(running, token, '/v1/candidates/cand-wipe/messages')).length < total; waited++) {
      assert.ok(waited < 600, 'the mail was filed');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const erasure = await call(running, 'POST', '/v1/candidates/cand-wipe/anonymize', token, {});
    let seen: any;
    do {
      seen = await call(running, 'GET', `/v1/erasures/${erasure.erasureId}`, token);
    } while (seen.counts.messages === 0 && seen.status !== 'done');
    await killHard(running);
    assert.notEqual(seen.status, 'done', 'killed while the erasure ran');
    assert.ok(seen.counts.messages < total);

    running = await startChildBackend(dataDir);
    let done: any;
    for (let waited = 0; (done = await call(running, 'GET', `/v1/erasures/${erasure.erasureId}`, token)).status !== 'done'; waited++) {
      assert.ok(waited < 1200, `the erasure finished after the restart: ${JSON.stringify(done)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(done.counts.messages <= total && done.counts.messages >= total - 25, JSON.stringify(done.counts));
    assert.equal((await listAll(running, token, '/v1/candidates/cand-keep/messages')).length, 5);
    await killHard(running);

    // What is left on disk, read without the backend.
    const dynamo = await startLocalDynamo({ path: join(dataDir, 'dynamodb') });
    try {
      Object.assign(process.env, { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, TABLE_NAME: 'recruiting-mail', AWS_REGION: 'eu-central-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
      const items = await scanTable();
      for (const item of items) assert.deepEqual(found(itemText(item), ERASED), [], `${item.pk} | ${item.sk}`);
      assert.equal(items.filter((item) => item.candidateId === 'cand-keep' && item.pk.startsWith('MESSAGE#')).length, 5);
    } finally {
      await dynamo.stop();
    }
    for (const file of bucketFiles()) assert.deepEqual(found(readFileSync(file).toString('latin1'), ERASED), [], file);
    assert.ok(bucketFiles().some((file) => readFileSync(file).toString('latin1').includes('keep-body')));
  });
});
