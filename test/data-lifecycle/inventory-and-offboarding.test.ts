import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BUCKET_INVENTORY, bucketEntryOf, tableEntryOf, TABLE_INVENTORY } from '../../shared/data-lifecycle/inventory';
import { MAIL_PREFIXES } from '../../shared/mail-bucket-layout';
import { INBOUND_OWNER_MEMORY_SECONDS } from '../../shared/email-settings/settings-store';
import { waitForExport } from '../support/export-zip';
import { deliver, rawMail, SmtpRefused, uniqueMessageId } from '../support/inbound-e2e';
import { seedLifecycleScenario, stringsOf, waitForErasure, type LifecycleScenario } from '../support/lifecycle-scenario';
import { found, itemText, readBucket, scanTable } from '../support/stored-state';
import { startTestBackend, type TestBackend } from '../support/test-backend';

let api: TestBackend;
let scenario: LifecycleScenario;

before(async () => {
  api = await startTestBackend({ OFFBOARDING_SETTLE_SECONDS: '0' });
  scenario = await seedLifecycleScenario(api);
  // The other flows that store something: a redirect test (rate counter), a presigned upload.
  await api.request('POST', '/v1/email-settings/main/redirect-test', { token: scenario.acme.token });
  const upload = await api.request('POST', '/v1/attachments', { token: scenario.acme.token, body: { filename: 'cv.pdf', contentType: 'application/pdf', size: 5 } });
  assert.equal(upload.status, 201, upload.text);
  await fetch(upload.json.uploadUrl, { method: 'PUT', headers: upload.json.headers, body: 'hello' });
  // A candidate export in each company (its record and its zip).
  for (const [company, person] of [[scenario.acme, scenario.bob], [scenario.globex, scenario.hank]] as const) {
    const exported = await api.request('POST', `/v1/candidates/${person.candidateId}/export`, { token: company.token });
    assert.equal((await waitForExport(api, company.token, exported.json.exportId)).status, 'done');
  }
  await api.backend.idle();
});
after(() => api?.stop());

/** Every stored key is named by a line of the inventory. */
async function assertInventoryNamesEverything() {
  const unnamedItems = (await scanTable()).filter((item) => !tableEntryOf(item.pk, item.sk)).map((item) => `${item.pk} | ${item.sk}`);
  assert.deepEqual(unnamedItems, [], 'items the inventory (shared/data-lifecycle/inventory.ts) does not name');
  const unnamedObjects = (await readBucket()).filter((object) => !bucketEntryOf(object.key)).map((object) => object.key);
  assert.deepEqual(unnamedObjects, [], 'objects the inventory (shared/data-lifecycle/inventory.ts) does not name');
}

describe('the data inventory', () => {
  it('names every kind of item and object the main flows store', assertInventoryNamesEverything);

  it('has a line for every prefix of the mail bucket, each line an erasure rule', () => {
    for (const prefix of Object.values(MAIL_PREFIXES)) assert.ok(BUCKET_INVENTORY.some((entry) => entry.key.startsWith(prefix)), `no inventory line for ${prefix}`);
    for (const entry of [...TABLE_INVENTORY, ...BUCKET_INVENTORY]) assert.ok(entry.erasure.length > 10, entry.key);
  });

  it('still names everything after an anonymize and an offboarding', async () => {
    const jane = await api.request('POST', `/v1/candidates/${scenario.jane.candidateId}/anonymize`, { token: scenario.acme.token, body: {} });
    await waitForErasure(api, scenario.acme.token, jane.json.erasureId);
    const offboarding = await api.request('DELETE', '/v1/company', { token: scenario.globex.token, body: { confirm: scenario.globex.id } });
    assert.equal(offboarding.status, 202, offboarding.text);
    await waitForErasure(api, scenario.globex.token, offboarding.json.erasureId);
    await assertInventoryNamesEverything();
  });
});

describe('DELETE /v1/company', () => {
  it('refuses a confirmation that does not name the company, and non-admins', async () => {
    const acme = scenario.acme;
    assert.equal((await api.request('DELETE', '/v1/company', { token: acme.token, body: { confirm: 'someone-else' } })).status, 400);
    const recruiter = await api.token(acme.id, ['recruiter']);
    assert.equal((await api.request('DELETE', '/v1/company', { token: recruiter, body: { confirm: acme.id } })).status, 403);
  });

  it('leaves nothing of the company but its erasure record and its retired inbound addresses, and nothing of another company touched', async () => {
    const { globex, hank, acme, bob } = scenario;
    const items = await scanTable();
    const globexItems = items.filter((item) => item.pk.includes(globex.id) || item.sk.includes(globex.id) || item.companyId === globex.id);
    const localPart = globex.inboundAddress.split('@')[0]!;
    assert.deepEqual(globexItems.map((item) => `${item.pk} | ${item.sk}`).sort(), [
      `COMPANY#${globex.id} | ${globexItems.find((item) => item.sk.startsWith('ERASURE#'))!.sk}`,
      // The inbound address is made from the company id: its tombstone keeps it reserved.
      `INBOUND#${localPart} | INBOUND`,
      `OFFBOARDED#${globex.id} | OFFBOARDED`,
    ]);
    for (const item of items) assert.deepEqual(found(itemText(item), stringsOf(hank)), [], `${item.pk} | ${item.sk}`);
    for (const object of await readBucket()) {
      assert.deepEqual(found(object.body.toString('latin1'), stringsOf(hank)), [], object.key);
      assert.ok(!object.key.includes(`/${globex.id}/`), object.key);
    }
    const retired = items.find((item) => item.pk === `INBOUND#${localPart}`);
    assert.deepEqual({ ...retired }, { pk: `INBOUND#${localPart}`, sk: 'INBOUND', type: 'inbound-address-retired' });
    // Bob (another company's candidate) is as he was.
    const bobNow = await api.request('GET', `/v1/candidates/${bob.candidateId}`, { token: acme.token });
    assert.equal(bobNow.status, 200);
    assert.equal((await api.request('GET', `/v1/candidates/${bob.candidateId}/messages`, { token: acme.token })).json.items.length, 2);
  });

  it('keeps the inbound address reserved: mail to it is filed for no one, and no company can take it', async () => {
    const { globex } = scenario;
    const { createDynamoSettingsStore } = await import('../../shared/adapters/dynamodb-settings-store');
    const settings = createDynamoSettingsStore();
    const localPart = globex.inboundAddress.split('@')[0]!;
    assert.equal(await settings.findByInboundAddress(localPart), null);
    assert.equal(await settings.reserveInboundAddress(localPart, 'newcomer', 'main'), false);
    const before = (await scanTable()).length;
    // The running inbound function may remember the owner for INBOUND_OWNER_MEMORY_SECONDS (on AWS
    // offboarding waits that long before erasing the mail); after that, mail to the retired
    // address stores nothing in the table.
    await new Promise((resolve) => setTimeout(resolve, (INBOUND_OWNER_MEMORY_SECONDS + 1) * 1000));
    // (The local listener refuses it at RCPT as an unknown address; SES on AWS stores it and the filer files it for no one.)
    const late = rawMail(['From: x@cand.example', 'Subject: late', `Message-ID: <${uniqueMessageId('late')}>`], ['late']);
    await assert.rejects(deliver(api.backend.inboundSmtpPort, { from: 'x@cand.example', to: [globex.inboundAddress] }, late), (error) => error instanceof SmtpRefused && error.responseCode === 550);
    await api.backend.idle();
    const after = await scanTable();
    assert.deepEqual(after.filter((item) => item.companyId === globex.id && item.type !== 'erasure'), [], 'nothing filed for the offboarded company');
    assert.equal(after.length, before);
  });
});
