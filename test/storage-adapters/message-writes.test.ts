/**
 * What a message costs the table at scale, counted against dynalite: a delivery writes its
 * state changes without reading the item again, lists read a small index entry (no bodies),
 * and the unsettled-outbound index spreads over many partitions, all of which the sweeper
 * reads.
 */
import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalDynamo } from '../../infra/local/local-dynamodb';
import { saveScopeSettings } from '../../shared/email-settings/email-settings-service';
import { newMessageId } from '../../shared/mail/message-id';
import { deliverCandidateMail } from '../../shared/messages/deliver-candidate-mail';
import type { MessagesStore } from '../../shared/messages/messages-store';
import { type MessageRecord, newMessageRecord } from '../../shared/messages/model';
import { sweepUnsettledMessages } from '../../shared/messages/sweep-unsettled-messages';
import { inMemoryDeliverDeps, inMemorySettingsDeps, MESSAGE_ID_DOMAIN } from '../support/in-memory-mail-deps';
import { startLocalTable } from '../support/local-table';
import { RecordingJobQueue } from '../support/recording-job-queue';

const TABLE = 'recruiting-mail-message-writes-test';

let dynamo: LocalDynamo;
let documentClient: ReturnType<typeof import('../../shared/adapters/dynamodb').getDocumentClient>;
let storeOn: (client: typeof documentClient) => MessagesStore;

before(async () => {
  dynamo = await startLocalTable(TABLE);
  const { getDocumentClient } = await import('../../shared/adapters/dynamodb');
  const { createDynamoMessagesStore } = await import('../../shared/adapters/dynamodb-messages-store');
  documentClient = getDocumentClient();
  storeOn = (client) => createDynamoMessagesStore(client, TABLE);
});

after(async () => {
  documentClient?.destroy();
  await dynamo?.stop();
});

/** A client that passes every command on and notes its name (and whether a read was consistent). */
function countingClient() {
  const requests: string[] = [];
  const client = {
    send: (command: { constructor: { name: string }; input: { ConsistentRead?: boolean; RequestItems?: Record<string, { ConsistentRead?: boolean }> } }) => {
      const consistent = command.input.ConsistentRead || Object.values(command.input.RequestItems ?? {}).some((request) => request.ConsistentRead);
      requests.push(`${command.constructor.name.replace(/Command$/, '')}${consistent ? ' (consistent)' : ''}`);
      return documentClient.send(command as never);
    },
  } as unknown as typeof documentClient;
  return { client, requests };
}

let counter = 0;
const company = (name: string) => `${name}-${++counter}`;

function outbound(companyId: string, fields: Partial<MessageRecord> = {}): MessageRecord {
  return newMessageRecord({
    id: `msg_${companyId}_${++counter}`,
    companyId,
    scope: 'main',
    direction: 'outbound',
    status: 'queued',
    createdAt: new Date().toISOString(),
    candidateId: 'cand-1',
    to: [{ address: 'jane@candidate.example', name: null }],
    subject: 'Your interview',
    text: 'Hello Jane',
    messageIdHeader: newMessageId(MESSAGE_ID_DOMAIN),
    ...fields,
  });
}

describe('message writes against dynalite', () => {
  it("delivers through the company's server with one read of the message and no read before any of its writes", async () => {
    const now = () => new Date();
    const { settingsDeps } = inMemorySettingsDeps({ inboundDomain: 'inbound.example', now });
    const { deps, smtp } = inMemoryDeliverDeps({ settingsDeps });
    await saveScopeSettings(settingsDeps, 'acme', 'main', {
      address: 'jobs@acme.example',
      mode: 'smtp',
      smtp: { host: 'smtp.acme.example', port: 587, security: 'starttls', username: 'jobs@acme.example', password: 'secret' },
    });
    const { client, requests } = countingClient();
    const messages = storeOn(client);
    const message = outbound('acme');
    assert.equal(await messages.create(message), true);
    requests.length = 0;

    assert.equal(await deliverCandidateMail({ ...deps, messages }, message.id), 'sent');

    assert.equal(smtp.accepted.length, 1);
    assert.equal((await storeOn(documentClient).get(message.id))?.status, 'sent');
    // The one read is the worker's look at the job's message; every state change is a
    // conditional update on its own, and settling drops the unsettled-index entry.
    assert.deepEqual(requests.filter((name) => name.startsWith('Get') || name.startsWith('BatchGet')), ['Get (consistent)']);
    assert.equal(requests[0], 'Get (consistent)');
    assert.deepEqual(
      requests.filter((name) => !name.startsWith('Get')),
      ['Update', 'Update', 'Update', 'Update', 'Delete'],
    );
  });

  it('refuses an outbound state change on an inbound message, without reading it', async () => {
    const { client, requests } = countingClient();
    const messages = storeOn(client);
    const companyId = company('acme');
    const inbound = newMessageRecord({ id: `msg_${companyId}_in`, companyId, scope: 'main', direction: 'inbound', status: 'received', createdAt: new Date().toISOString() });
    await messages.create(inbound);
    requests.length = 0;
    assert.equal(await messages.update(inbound.id, { status: 'sent' }), null);
    assert.deepEqual(requests, ['Update']);
    assert.equal((await messages.get(inbound.id))?.status, 'received');
  });

  it('lists from an index that holds the summary only: no bodies, references or evidence', async () => {
    const messages = storeOn(documentClient);
    const companyId = company('acme');
    const message = outbound(companyId, { text: 'Hello Jane, the long body', html: '<p>Hello</p>', references: ['<a@b>'], evidence: ['why'] });
    await messages.create(message);
    const [listed] = (await messages.listByCandidate(companyId, 'cand-1', { limit: 10 })).items;
    assert.equal(listed?.id, message.id);
    assert.equal(listed?.subject, 'Your interview');
    assert.deepEqual(listed?.to, message.to);
    for (const field of ['text', 'html', 'references', 'evidence', 'bodyKey', 'sendingSince']) assert.equal(field in (listed ?? {}), false, field);
    // The item itself keeps everything.
    assert.equal((await messages.get(message.id))?.text, 'Hello Jane, the long body');
  });

  it('spreads unsettled outbound mail over many partitions, and the sweeper finds it in every one', async () => {
    const messages = storeOn(documentClient);
    const companyId = company('burst');
    const old = new Date(Date.now() - 3600_000).toISOString();
    const created = Array.from({ length: 120 }, (_, index) => outbound(companyId, { id: `msg_${companyId}_${index}`, createdAt: old, updatedAt: old }));
    for (const message of created) await messages.create(message);

    const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
    const index = await documentClient.send(
      new ScanCommand({ TableName: TABLE, FilterExpression: 'begins_with(messageId, :c)', ExpressionAttributeValues: { ':c': `msg_${companyId}_` } }),
    );
    const partitions = new Set(index.Items?.map((item) => String(item.pk)));
    assert.ok(partitions.size > 16, `index items in ${partitions.size} partitions`);

    const queue = new RecordingJobQueue<{ messageId: string }>();
    const report = await sweepUnsettledMessages({ messages, queue, now: () => new Date() }, { leaseSeconds: 120, queuedStaleSeconds: 1200, batch: 10_000, maxInterruptedAttempts: 3 });
    const enqueued = new Set(report.settled.filter((entry) => entry.outcome === 'enqueued').map((entry) => entry.messageId));
    assert.deepEqual([...enqueued].filter((id) => id.startsWith(`msg_${companyId}_`)).sort(), created.map((message) => message.id).sort());
  });
});
