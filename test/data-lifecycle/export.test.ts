import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { unzip, waitForExport } from '../support/export-zip';
import { listAll } from '../support/inbound-e2e';
import { seedLifecycleScenario, waitForErasure, type LifecycleScenario } from '../support/lifecycle-scenario';
import { readBucket } from '../support/stored-state';
import { startTestBackend, type TestBackend } from '../support/test-backend';

let api: TestBackend;
let scenario: LifecycleScenario;

before(async () => {
  api = await startTestBackend();
  scenario = await seedLifecycleScenario(api);
});
after(() => api?.stop());

async function exportOf(token: string, candidateId: string): Promise<{ view: any; files: Map<string, Buffer> }> {
  const started = await api.request('POST', `/v1/candidates/${candidateId}/export`, { token });
  assert.equal(started.status, 202, started.text);
  assert.match(started.json.exportId, /^exp_/);
  const view = await waitForExport(api, token, started.json.exportId);
  assert.equal(view.status, 'done', JSON.stringify(view));
  const download = await fetch(view.downloadUrl);
  assert.equal(download.status, 200);
  return { view, files: await unzip(Buffer.from(await download.arrayBuffer())) };
}

describe('POST /v1/candidates/{id}/export', () => {
  it('zips every message of the conversation: inbound as received, outbound rebuilt, and index.json', async () => {
    const { acme, jane } = scenario;
    const { view, files } = await exportOf(acme.token, jane.candidateId);
    const linkEnds = Date.parse(view.expiresAt) - Date.now();
    assert.ok(linkEnds > 3500_000 && linkEnds <= 3600_000, `the link lives an hour: ${view.expiresAt}`);

    const conversation = await listAll(api, acme.token, `/v1/candidates/${jane.candidateId}/messages`);
    const index = JSON.parse(files.get('index.json')!.toString('utf8')).messages as any[];
    assert.deepEqual(index.map((entry) => entry.id).sort(), conversation.map((message) => message.id).sort(), 'index.json lists every message');
    for (const entry of index) {
      const message = conversation.find((candidate) => candidate.id === entry.id);
      assert.equal(entry.direction, message.direction);
      assert.equal(entry.subject, message.subject);
      assert.equal(entry.status, message.status);
      assert.equal(entry.provider, message.provider);
      assert.equal(entry.createdAt, message.createdAt);
      assert.ok(files.has(entry.file), `${entry.file} is in the zip`);
    }
    assert.deepEqual([...files.keys()].sort(), [...index.map((entry) => entry.file), 'index.json'].sort());

    const inbound = index.filter((entry) => entry.direction === 'inbound');
    assert.equal(inbound.length, 3);
    const received = inbound.map((entry) => files.get(entry.file)!);
    assert.ok(received.some((eml) => eml.equals(scenario.janeInboundRaw)), 'the inbound .eml is byte-identical to the mail the listener received');

    const [outbound] = index.filter((entry) => entry.direction === 'outbound');
    assert.equal(outbound.rebuilt, true);
    const sent = conversation.find((message) => message.id === outbound.id);
    const parsed = await simpleParser(files.get(outbound.file)!);
    assert.equal(parsed.messageId, sent.messageIdHeader);
    assert.equal(parsed.subject, sent.subject);
    assert.match(parsed.text ?? '', /Body-OUT1-cand-jane/);
    assert.equal(parsed.attachments[0]?.content.toString('utf8'), 'Attach-OUT1-cand-jane');
    assert.equal(parsed.date?.toISOString(), new Date(sent.sentAt).toISOString().replace(/\.\d{3}Z$/, '.000Z'));
  });

  it('is the company’s own, and an admin’s', async () => {
    const { acme, globex, jane, hank } = scenario;
    const mine = await api.request('POST', `/v1/candidates/${jane.candidateId}/export`, { token: acme.token });
    assert.equal((await api.request('GET', `/v1/exports/${mine.json.exportId}`, { token: globex.token })).status, 404);
    assert.equal((await api.request('POST', `/v1/candidates/${hank.candidateId}/export`, { token: acme.token })).status, 404);
    assert.equal((await api.request('POST', '/v1/candidates/cand-nobody/export', { token: acme.token })).status, 404);
    const recruiter = await api.token(acme.id, ['recruiter']);
    assert.equal((await api.request('POST', `/v1/candidates/${jane.candidateId}/export`, { token: recruiter })).status, 403);
    assert.equal((await api.request('GET', `/v1/exports/${mine.json.exportId}`, { token: recruiter })).status, 403);
    await waitForExport(api, acme.token, mine.json.exportId);
  });

  it('goes with an anonymize of the candidate, zip and record, and an erased candidate has none', async () => {
    const { acme, jane } = scenario;
    const { view } = await exportOf(acme.token, jane.candidateId);
    assert.ok((await readBucket()).some((object) => object.key.startsWith(`exports/${acme.id}/${jane.candidateId}/`)));
    const erasure = await api.request('POST', `/v1/candidates/${jane.candidateId}/anonymize`, { token: acme.token, body: {} });
    await waitForErasure(api, acme.token, erasure.json.erasureId);
    assert.equal((await api.request('GET', `/v1/exports/${view.exportId}`, { token: acme.token })).status, 404);
    assert.ok(!(await readBucket()).some((object) => object.key.startsWith('exports/') && object.key.includes(jane.candidateId)), 'no zip of hers is left');
    assert.equal((await api.request('POST', `/v1/candidates/${jane.candidateId}/export`, { token: acme.token })).status, 404);
  });
});
