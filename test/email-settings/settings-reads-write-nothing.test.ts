/**
 * Settings reads against the local backend write nothing: the table is scanned before and after
 * GETs of never-configured scopes. The address such a GET shows routes mail at once (before any
 * write), keeps its value once the scope is stored, and sub-company scopes are bounded.
 */
import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { deliverTo, listAll, rawMail, uniqueMessageId } from '../support/inbound-e2e';
import { startTestBackend, type TestBackend } from '../support/test-backend';

let api: TestBackend;
let table: DynamoDBDocumentClient;

before(async () => {
  api = await startTestBackend({ MAX_SCOPES_PER_COMPANY: '2' });
  table = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB, region: 'local' }));
});

after(async () => {
  table?.destroy();
  await api?.stop();
});

/** Every item of the table, in a stable order. */
async function everything(): Promise<string[]> {
  const items: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await table.send(new ScanCommand({ TableName: process.env.TABLE_NAME, ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...(page.Items ?? []).map((item) => JSON.stringify(item)));
    start = page.LastEvaluatedKey;
  } while (start);
  return items.sort();
}

describe('settings reads', () => {
  it('GETs of never-configured scopes and the list answer 200 with inbound addresses and write nothing', async () => {
    const token = await api.token('readonly-co');
    const before = await everything();
    const main = await api.request('GET', '/v1/email-settings/main', { token });
    const berlin = await api.request('GET', '/v1/email-settings/berlin', { token });
    const list = await api.request('GET', '/v1/email-settings', { token });
    const again = await api.request('GET', '/v1/email-settings/main', { token });
    assert.equal(main.status, 200);
    assert.equal(main.json.mode, 'default');
    assert.match(main.json.inboundAddress, /^readonly-co\.[a-z2-7]{12}@inbound\.localhost$/);
    assert.match(berlin.json.inboundAddress, /^readonly-co\.berlin\.[a-z2-7]{12}@/);
    assert.deepEqual(list.json.items.map((item: { scope: string }) => item.scope), ['main']);
    assert.equal(again.json.inboundAddress, main.json.inboundAddress);
    assert.deepEqual(await everything(), before, 'the table is unchanged');
  });

  it('mail to an address only a GET has shown is filed under that scope, and the address stays once the scope is saved', async () => {
    const token = await api.token('forwarding-co');
    const shown = (await api.request('GET', '/v1/email-settings/berlin', { token })).json.inboundAddress as string;
    await deliverTo(api, { inboundAddress: shown }, rawMail(['From: Ann <ann@candidate.example>', `To: ${shown}`, 'Subject: Before any write', `Message-ID: <${uniqueMessageId('early')}>`], ['Hello']));
    await api.backend.idle();
    const [filed] = await listAll(api, token, '/v1/messages/unassigned');
    assert.equal(filed?.subject, 'Before any write');
    assert.equal(filed?.scope, 'berlin');

    const saved = await api.request('PUT', '/v1/email-settings/berlin', { token, body: { mode: 'default', displayName: 'Berlin' } });
    assert.equal(saved.status, 200);
    assert.equal(saved.json.inboundAddress, shown);
  });

  it('bounds the sub-company scopes a company creates (409), refuses malformed scope ids (400), and main always works', async () => {
    const token = await api.token('scopes-co');
    for (const scope of ['berlin', 'zurich']) assert.equal((await api.request('PUT', `/v1/email-settings/${scope}`, { token, body: { mode: 'default' } })).status, 200);
    const third = await api.request('PUT', '/v1/email-settings/paris', { token, body: { mode: 'default' } });
    assert.equal(third.status, 409);
    assert.equal(third.json.error.code, 'SCOPE_LIMIT_REACHED');
    assert.equal((await api.request('PUT', '/v1/email-settings/main', { token, body: { mode: 'default' } })).status, 200);
    assert.equal((await api.request('PUT', '/v1/email-settings/berlin', { token, body: { mode: 'default', displayName: 'B' } })).status, 200);
    assert.equal((await api.request('GET', '/v1/email-settings/paris', { token })).status, 200, 'reading a scope beyond the limit still answers');
    assert.equal((await api.request('PUT', `/v1/email-settings/${encodeURIComponent('bad scope#1')}`, { token, body: { mode: 'default' } })).status, 400);
  });
});
