import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deliverTo, listAll, rawMail, uniqueMessageId } from '../support/inbound-e2e';
import { seedLifecycleScenario, stringsOf, waitForErasure, type LifecycleScenario } from '../support/lifecycle-scenario';
import { found, itemText, readBucket, scanTable, type StoredItem, type StoredObject } from '../support/stored-state';
import { startTestBackend, type TestBackend } from '../support/test-backend';

let api: TestBackend;
let scenario: LifecycleScenario;

before(async () => {
  api = await startTestBackend();
  scenario = await seedLifecycleScenario(api);
});
after(() => api?.stop());

const itemKey = (item: StoredItem) => `${item.pk} | ${item.sk}`;

describe('POST /v1/candidates/{id}/anonymize', () => {
  it('leaves nothing of the candidate in the table or the bucket, and everything of the others as it was', async () => {
    const { acme, jane } = scenario;
    const janeStrings = stringsOf(jane);
    const [itemsBefore, objectsBefore] = [await scanTable(), await readBucket()];
    assert.ok(itemsBefore.some((item) => found(itemText(item), janeStrings).length > 0), 'the scenario stored Jane’s data');
    // What is not Jane's: no string of hers, and not one of her messages' items or objects.
    const janeMessageIds = new Set(itemsBefore.filter((item) => item.pk.startsWith('MESSAGE#') && (item.candidateId === jane.candidateId || found(itemText(item), janeStrings).length > 0)).map((item) => String(item.id)));
    const janeObjectKeys = new Set(
      itemsBefore
        .filter((item) => janeMessageIds.has(String(item.id)))
        .flatMap((item) => [String(item.rawKey ?? ''), ...((item.attachments as Array<{ key: string }>) ?? []).map((attachment) => attachment.key)])
        .filter((key) => key !== ''),
    );
    const isJanes = (item: StoredItem) =>
      found(itemText(item), janeStrings).length > 0 || item.candidateId === jane.candidateId || janeMessageIds.has(String(item.messageId)) || janeMessageIds.has(String(item.id)) || item.sk.endsWith(`#${[...janeMessageIds].find((id) => item.sk.endsWith(`#${id}`)) ?? '\u0000'}`);
    const isJanesObject = (object: StoredObject) =>
      found(object.body.toString('latin1'), janeStrings).length > 0 || [...janeMessageIds].some((id) => object.key.includes(id)) || // The raw mail's marks (inbound-filed/, inbound-envelopes/) are named after it.
      [...janeObjectKeys].some((key) => object.key.includes(key.split('/').slice(1).join('/')));
    const othersItems = itemsBefore.filter((item) => !isJanes(item));
    const othersObjects = objectsBefore.filter((object) => !isJanesObject(object));
    assert.ok(othersItems.some((item) => item.candidateId === scenario.bob.candidateId));
    assert.ok(othersItems.some((item) => item.companyId === scenario.hank.companyId));

    const started = await api.request('POST', `/v1/candidates/${jane.candidateId}/anonymize`, { token: acme.token, body: { includeUnassigned: true } });
    assert.equal(started.status, 202, started.text);
    assert.match(started.json.erasureId, /^era_/);
    assert.ok(['pending', 'running', 'done'].includes(started.json.status));
    const done = await waitForErasure(api, acme.token, started.json.erasureId);
    // Four messages in her conversation, the agency's unassigned mail naming her.
    assert.equal(done.counts.messages, 5);
    assert.ok(done.counts.objects >= 10, JSON.stringify(done.counts));
    assert.ok(done.finishedAt && done.startedAt);
    assert.deepEqual(found(JSON.stringify(done), janeStrings), [], 'the erasure shows no personal data');

    const [itemsAfter, objectsAfter] = [await scanTable(), await readBucket()];
    for (const item of itemsAfter) assert.deepEqual(found(itemText(item), janeStrings), [], `item ${itemKey(item)} still holds Jane's data`);
    for (const object of objectsAfter) assert.deepEqual(found(object.body.toString('latin1'), janeStrings), [], `object ${object.key} still holds Jane's data`);
    for (const key of janeObjectKeys) assert.ok(!objectsAfter.some((object) => object.key === key), `object ${key} is gone`);

    const afterByKey = new Map(itemsAfter.map((item) => [itemKey(item), item]));
    for (const item of othersItems) assert.deepEqual(afterByKey.get(itemKey(item)), item, `item ${itemKey(item)} is unchanged`);
    const objectsByKey = new Map(objectsAfter.map((object) => [object.key, object.body]));
    for (const object of othersObjects) assert.deepEqual(objectsByKey.get(object.key), object.body, `object ${object.key} is unchanged`);

    const tombstone = itemsAfter.find((item) => item.sk === `CANDIDATE#${jane.candidateId}`);
    assert.deepEqual(Object.keys(tombstone!).sort(), ['erasedAt', 'erasureId', 'id', 'pk', 'sk', 'type']);
  });

  it('answers 404 for the candidate and its conversation, and the same erasure when asked again', async () => {
    const { acme, jane } = scenario;
    assert.equal((await api.request('GET', `/v1/candidates/${jane.candidateId}`, { token: acme.token })).status, 404);
    assert.equal((await api.request('GET', `/v1/candidates/${jane.candidateId}/messages`, { token: acme.token })).status, 404);
    const sendAfter = await api.request('POST', `/v1/candidates/${jane.candidateId}/messages`, { token: acme.token, body: { subject: 'x', text: 'y' } });
    assert.equal(sendAfter.status, 404);
    const again = await api.request('POST', `/v1/candidates/${jane.candidateId}/anonymize`, { token: acme.token, body: {} });
    assert.equal(again.status, 202);
    assert.equal(again.json.status, 'done');
    const refused = await api.request('PUT', `/v1/candidates/${jane.candidateId}`, { token: acme.token, body: { emails: ['new@cand.example'] } });
    assert.equal(refused.status, 409);
  });

  it('files later mail from an erased address as unassigned', async () => {
    const { acme, jane } = scenario;
    await deliverTo(api, acme, rawMail([`From: <${jane.addresses[0]}>`, `To: ${acme.address}`, 'Subject: Later-after-erasure', `Message-ID: <${uniqueMessageId('later')}>`], ['hello again']));
    const unassigned = await listAll(api, acme.token, '/v1/messages/unassigned');
    assert.ok(unassigned.some((message) => message.subject === 'Later-after-erasure'));
  });

  it('is for admins of the company only', async () => {
    const { acme, globex, bob } = scenario;
    const recruiter = await api.token(acme.id, ['recruiter']);
    assert.equal((await api.request('POST', `/v1/candidates/${bob.candidateId}/anonymize`, { token: recruiter, body: {} })).status, 403);
    assert.equal((await api.request('POST', `/v1/candidates/${bob.candidateId}/anonymize`, { token: globex.token, body: {} })).status, 404);
    const mine = await api.request('POST', `/v1/candidates/${bob.candidateId}/anonymize`, { token: acme.token, body: {} });
    assert.equal((await api.request('GET', `/v1/erasures/${mine.json.erasureId}`, { token: globex.token })).status, 404);
    assert.equal((await api.request('GET', `/v1/erasures/${mine.json.erasureId}`, { token: recruiter })).status, 403);
    await waitForErasure(api, acme.token, mine.json.erasureId);
  });

  it('logs none of the erased data', () => {
    assert.deepEqual(found(api.output(), stringsOf(scenario.jane).filter((text) => !text.startsWith('Later'))), []);
  });
});
