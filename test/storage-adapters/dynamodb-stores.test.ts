/**
 * The DynamoDB adapters against dynalite, started in-process on loopback. The adapters find
 * their endpoint, table and credentials in the environment (as in a Lambda or `npm start`),
 * so the environment is set before they are imported.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CandidatesStore } from '../../shared/candidates/candidates-store';
import { newScopeSettings } from '../../shared/email-settings/email-settings-service';
import type { ScopeSettings, StoredSmtp } from '../../shared/email-settings/model';
import type { SettingsStore } from '../../shared/email-settings/settings-store';
import { AppError } from '../../shared/errors';
import type { StoredCircuit } from '../../shared/outbound/circuit-breaker';
import type { MessagesStore, MessageSummary } from '../../shared/messages/messages-store';
import { type MessageRecord, newMessageRecord } from '../../shared/messages/model';
import type { LocalDynamo } from '../../infra/local/local-dynamodb';
import { startLocalTable } from '../support/local-table';

const TABLE = 'recruiting-mail-adapters-test';

let dynamo: LocalDynamo;
let settings: SettingsStore;
let candidates: CandidatesStore;
let messages: MessagesStore;
let createRateLimiter: typeof import('../../shared/adapters/dynamodb-rate-limiter').createDynamoRateLimiter;
let documentClient: ReturnType<typeof import('../../shared/adapters/dynamodb').getDocumentClient>;

before(async () => {
  dynamo = await startLocalTable(TABLE);
  const { getDocumentClient } = await import('../../shared/adapters/dynamodb');
  const { createDynamoSettingsStore } = await import('../../shared/adapters/dynamodb-settings-store');
  const { createDynamoCandidatesStore } = await import('../../shared/adapters/dynamodb-candidates-store');
  const { createDynamoMessagesStore } = await import('../../shared/adapters/dynamodb-messages-store');
  ({ createDynamoRateLimiter: createRateLimiter } = await import('../../shared/adapters/dynamodb-rate-limiter'));
  documentClient = getDocumentClient();
  settings = createDynamoSettingsStore();
  candidates = createDynamoCandidatesStore();
  messages = createDynamoMessagesStore();
});

after(async () => {
  documentClient?.destroy();
  await dynamo?.stop();
});

let counter = 0;
/** A company id of its own per test, so tests share the table without seeing each other. */
const company = (name: string) => `${name}-${++counter}`;

function scopeSettings(companyId: string, scope: string, fields: Partial<ScopeSettings> = {}): ScopeSettings {
  const fresh = newScopeSettings(companyId, scope, `${companyId}-abc123def456@inbound.example`, new Date('2026-03-02T09:00:00.000Z'));
  return { ...fresh, address: `jobs@${companyId}.example`, displayName: 'ACME', ...fields };
}

const smtp = (revision: number): StoredSmtp => ({
  host: 'smtp.acme.example',
  port: 587,
  security: 'starttls',
  username: 'jobs@acme.example',
  fromAddress: 'jobs@acme.example',
  fromName: null,
  passwordCiphertext: 'env1.AAAA.BBBB.CCCC.DDDD',
  revision,
});

const openCircuit = (revision: number): StoredCircuit => ({
  revision,
  state: 'open',
  since: '2026-03-02T10:00:00.000Z',
  nextProbeAt: '2026-03-02T10:01:00.000Z',
  failures: 1,
});

describe('DynamoDB settings store', () => {
  it('creates a scope once and reads it back as stored', async () => {
    const companyId = company('acme');
    const record = scopeSettings(companyId, 'main', { smtp: smtp(1), mode: 'smtp' });
    assert.equal(await settings.create(record), true);
    assert.equal(await settings.create({ ...record, address: 'other@acme.example' }), false);
    assert.deepEqual(await settings.get(companyId, 'main'), record);
    assert.equal(await settings.get(companyId, 'berlin'), null);
  });

  it('lists the scopes of one company only', async () => {
    const companyId = company('acme');
    const other = company('globex');
    await settings.create(scopeSettings(companyId, 'main'));
    await settings.create(scopeSettings(companyId, 'berlin'));
    await settings.create(scopeSettings(other, 'main'));
    assert.deepEqual((await settings.list(companyId)).map((entry) => entry.scope).sort(), ['berlin', 'main']);
  });

  it('replaces only the expected version; a stale one is a CONFLICT', async () => {
    const companyId = company('acme');
    await settings.create(scopeSettings(companyId, 'main'));
    await settings.replace(scopeSettings(companyId, 'main', { address: 'new@acme.example', version: 2 }), 1);
    assert.equal((await settings.get(companyId, 'main'))?.address, 'new@acme.example');
    await assert.rejects(settings.replace(scopeSettings(companyId, 'main', { address: 'stale@acme.example', version: 2 }), 1), (error: unknown) => {
      assert.ok(error instanceof AppError);
      assert.equal(error.code, 'CONFLICT');
      return true;
    });
    assert.equal((await settings.get(companyId, 'main'))?.address, 'new@acme.example');
  });

  it('markFailing applies only to the SMTP revision the failure was about', async () => {
    const companyId = company('acme');
    await settings.create(scopeSettings(companyId, 'main', { mode: 'smtp', smtp: smtp(2), status: 'verified' }));
    const failure = { at: '2026-03-02T10:00:00.000Z', code: 'AUTH_FAILED' as const, message: 'Login refused', smtpResponse: '535 5.7.8 Error' };

    await settings.markFailing(companyId, 'main', 1, failure, openCircuit(1));
    let stored = await settings.get(companyId, 'main');
    assert.equal(stored?.status, 'verified');
    assert.equal(stored?.failure, null);
    assert.equal(stored?.circuit, undefined);
    assert.equal(stored?.version, 1);

    await settings.markFailing(companyId, 'main', 2, failure, openCircuit(2));
    stored = await settings.get(companyId, 'main');
    assert.equal(stored?.status, 'failing');
    assert.deepEqual(stored?.failure, failure);
    assert.deepEqual(stored?.circuit, openCircuit(2));
    assert.equal(stored?.version, 1, 'the mark leaves the version alone: a save conditioned on it still succeeds');
    assert.deepEqual(stored?.smtp, smtp(2));
  });

  it('claims the probe of an open circuit once, and a recovery clears status, failure and circuit', async () => {
    const companyId = company('acme');
    await settings.create(scopeSettings(companyId, 'main', { mode: 'smtp', smtp: smtp(3), status: 'verified' }));
    const failure = { at: '2026-03-02T10:00:00.000Z', code: 'CONNECTION_REFUSED' as const, message: 'refused', smtpResponse: null };
    await settings.markFailing(companyId, 'main', 3, failure, openCircuit(3));
    const probing = { ...openCircuit(3), state: 'half-open' as const, nextProbeAt: '2026-03-02T10:03:00.000Z' };
    const seen = openCircuit(3).nextProbeAt;
    const claims = await Promise.all([settings.claimCircuitProbe(companyId, 'main', probing, seen), settings.claimCircuitProbe(companyId, 'main', probing, seen)]);
    assert.deepEqual(claims.sort(), [false, true], 'of two workers, one probes');
    assert.equal(await settings.claimCircuitProbe(companyId, 'main', { ...probing, revision: 2 }, seen), false, 'another revision claims nothing');
    assert.deepEqual((await settings.get(companyId, 'main'))?.circuit, probing);

    await settings.markRecovered(companyId, 'main', 2);
    assert.equal((await settings.get(companyId, 'main'))?.status, 'failing', 'a success of another revision changes nothing');
    await settings.markRecovered(companyId, 'main', 3);
    const stored = await settings.get(companyId, 'main');
    assert.deepEqual([stored?.status, stored?.failure, stored?.circuit, stored?.version], ['verified', null, undefined, 1]);
  });

  it('markFailing leaves a scope without SMTP settings (or without a record) alone', async () => {
    const companyId = company('acme');
    await settings.create(scopeSettings(companyId, 'main'));
    const failure = { at: '2026-03-02T10:00:00.000Z', code: 'AUTH_FAILED' as const, message: 'x', smtpResponse: null };
    await settings.markFailing(companyId, 'main', 1, failure, openCircuit(1));
    await settings.markFailing(companyId, 'nowhere', 1, failure, openCircuit(1));
    assert.equal((await settings.get(companyId, 'main'))?.status, 'unverified');
    assert.equal(await settings.get(companyId, 'nowhere'), null);
  });

  it('reserves an inbound local part once and finds it case-insensitively', async () => {
    const companyId = company('acme');
    const localPart = `${companyId}-K3f9Q2xyzABC`;
    assert.equal(await settings.reserveInboundAddress(localPart, companyId, 'berlin'), true);
    assert.equal(await settings.reserveInboundAddress(localPart.toLowerCase(), 'intruder', 'main'), false);
    assert.deepEqual(await settings.findByInboundAddress(localPart.toUpperCase()), { companyId, scope: 'berlin' });
    assert.equal(await settings.findByInboundAddress(`${companyId}-nothing`), null);
  });

  it('remembers whose an inbound address is (it never changes), but asks again for one not found', async () => {
    const { createDynamoSettingsStore } = await import('../../shared/adapters/dynamodb-settings-store');
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const sent: string[] = [];
    client.middlewareStack.add((next, context) => (args) => (sent.push(String(context.commandName)), next(args)), { step: 'initialize' });
    const store = createDynamoSettingsStore(client, TABLE);
    const companyId = company('acme');
    const localPart = `${companyId}-R7t2WmnbVCXZ`;

    assert.equal(await store.findByInboundAddress(localPart), null);
    assert.equal(await store.findByInboundAddress(localPart), null);
    assert.deepEqual(sent, ['GetItemCommand', 'GetItemCommand']);
    assert.equal(await store.reserveInboundAddress(localPart, companyId, 'main'), true);
    sent.length = 0;
    assert.deepEqual(await store.findByInboundAddress(localPart), { companyId, scope: 'main' });
    assert.deepEqual(await store.findByInboundAddress(localPart.toUpperCase()), { companyId, scope: 'main' });
    assert.deepEqual(sent, ['GetItemCommand']);
    client.destroy();
  });
});

describe('DynamoDB candidates store', () => {
  it('puts, reads and deletes a candidate', async () => {
    const companyId = company('acme');
    const candidate = { companyId, id: 'cand-1', name: 'Jane', emails: ['jane@candidate.example'], scope: 'main', closedAt: null, createdAt: 'x', updatedAt: 'y', version: 1 };
    assert.equal(await candidates.put(candidate, null), true);
    assert.deepEqual(await candidates.get(companyId, 'cand-1'), candidate);
    assert.equal(await candidates.get(company('globex'), 'cand-1'), null);
    await candidates.delete(companyId, 'cand-1');
    assert.equal(await candidates.get(companyId, 'cand-1'), null);
  });

  it('indexes an address for several candidates and removes them one by one', async () => {
    const companyId = company('acme');
    await candidates.indexAddress(companyId, 'shared@family.example', 'cand-2');
    await candidates.indexAddress(companyId, 'shared@family.example', 'cand-1');
    await candidates.indexAddress(companyId, 'shared@family.example', 'cand-1');
    assert.deepEqual(await candidates.idsByAddress(companyId, 'shared@family.example'), ['cand-1', 'cand-2']);
    assert.deepEqual(await candidates.idsByAddress(company('globex'), 'shared@family.example'), []);

    await candidates.unindexAddress(companyId, 'shared@family.example', 'cand-2');
    assert.deepEqual(await candidates.idsByAddress(companyId, 'shared@family.example'), ['cand-1']);
    await candidates.unindexAddress(companyId, 'shared@family.example', 'cand-1');
    assert.deepEqual(await candidates.idsByAddress(companyId, 'shared@family.example'), []);
    // Removing what is not there is harmless.
    await candidates.unindexAddress(companyId, 'never@indexed.example', 'cand-1');
    assert.deepEqual(await candidates.idsByAddress(companyId, 'never@indexed.example'), []);
  });

  it('writes a candidate only over the version it read', async () => {
    const companyId = company('acme');
    const first = { companyId, id: 'cand-v', name: 'Jane', emails: ['jane@candidate.example'], scope: 'main', closedAt: null, createdAt: 'x', updatedAt: 'y', version: 1 };
    assert.equal(await candidates.put(first, null), true);
    assert.equal(await candidates.put({ ...first, version: 1 }, null), false, 'a create over an existing candidate loses');
    assert.equal(await candidates.put({ ...first, name: 'B', version: 2 }, 1), true);
    assert.equal(await candidates.put({ ...first, name: 'A', version: 2 }, 1), false, 'the second writer of version 1 loses');
    assert.equal((await candidates.get(companyId, 'cand-v'))?.name, 'B');
  });

  it('keeps one index item per address–candidate pair, so removing one leaves the others', async () => {
    const companyId = company('acme');
    await candidates.indexAddress(companyId, 'pair@family.example', 'cand-1');
    await candidates.indexAddress(companyId, 'pair@family.example', 'cand-2');
    // An address that another one prefixes (`#` is legal in a local part) stays apart.
    await candidates.indexAddress(companyId, 'pair@family.example#x', 'cand-3');
    const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
    const { getDocumentClient } = await import('../../shared/adapters/dynamodb');
    const out = await getDocumentClient().send(new ScanCommand({ TableName: process.env.TABLE_NAME, FilterExpression: 'pk = :pk AND begins_with(sk, :a)', ExpressionAttributeValues: { ':pk': `COMPANY#${companyId}`, ':a': 'ADDRESS#pair@' } }));
    assert.deepEqual((out.Items ?? []).map((item) => item.sk).sort(), ['ADDRESS#pair@family.example#cand-1', 'ADDRESS#pair@family.example#cand-2', 'ADDRESS#pair@family.example#x#cand-3']);
    assert.deepEqual(await candidates.idsByAddress(companyId, 'pair@family.example'), ['cand-1', 'cand-2']);
    assert.deepEqual(await candidates.idsByAddress(companyId, 'pair@family.example#x'), ['cand-3']);
  });

  it('lists closed candidates by closing time from the sparse index, and forgets a reopened one', async () => {
    const companyId = company('acme');
    const base = { companyId, name: null, emails: ['c@candidate.example'], scope: 'main', createdAt: 'x', updatedAt: 'y', version: 1 };
    await candidates.put({ ...base, id: 'closed-old', closedAt: '2026-01-01T00:00:00.000Z' }, null);
    await candidates.put({ ...base, id: 'closed-new', closedAt: '2026-03-01T00:00:00.000Z' }, null);
    await candidates.put({ ...base, id: 'open', closedAt: null }, null);
    assert.deepEqual(await candidates.closedBefore(companyId, '2026-02-01T00:00:00.000Z', 10), ['closed-old']);
    assert.deepEqual(await candidates.closedBefore(companyId, '2026-04-01T00:00:00.000Z', 10), ['closed-old', 'closed-new']);
    await candidates.put({ ...base, id: 'closed-old', closedAt: null, version: 2 }, 1);
    assert.deepEqual(await candidates.closedBefore(companyId, '2026-04-01T00:00:00.000Z', 10), ['closed-new']);
    assert.deepEqual(await candidates.closedBefore(company('globex'), '2026-04-01T00:00:00.000Z', 10), []);
  });

  it('leaves a tombstone that reads as no candidate and refuses the id', async () => {
    const companyId = company('acme');
    const candidate = { companyId, id: 'cand-t', name: 'Gone', emails: ['gone@candidate.example'], scope: 'main', closedAt: null, createdAt: 'x', updatedAt: 'y', version: 1 };
    await candidates.put(candidate, null);
    await candidates.writeTombstone(companyId, 'cand-t', 'era_1', '2026-03-01T00:00:00.000Z');
    assert.equal(await candidates.get(companyId, 'cand-t'), null);
    assert.equal(await candidates.isErased(companyId, 'cand-t'), true);
    assert.equal(await candidates.put(candidate, null), false);
    await candidates.delete(companyId, 'cand-t');
    assert.equal(await candidates.isErased(companyId, 'cand-t'), true, 'DELETE does not remove the tombstone');
  });

  it('remembers learned addresses per company, the latest assignment winning', async () => {
    const companyId = company('acme');
    assert.equal(await candidates.learnedCandidateId(companyId, 'recruiter@agency.example'), null);
    await candidates.learnAddress(companyId, 'recruiter@agency.example', 'cand-1');
    await candidates.learnAddress(companyId, 'recruiter@agency.example', 'cand-7');
    assert.equal(await candidates.learnedCandidateId(companyId, 'recruiter@agency.example'), 'cand-7');
    assert.equal(await candidates.learnedCandidateId(company('globex'), 'recruiter@agency.example'), null);
  });
});

function message(companyId: string, id: string, fields: Partial<MessageRecord> = {}): MessageRecord {
  return newMessageRecord({
    id,
    companyId,
    scope: 'main',
    direction: 'outbound',
    status: 'queued',
    createdAt: '2026-03-02T09:00:00.000Z',
    candidateId: 'cand-1',
    to: [{ address: 'jane@candidate.example', name: null }],
    subject: `Message ${id}`,
    text: 'Hello',
    messageIdHeader: `<${id}@mail.example>`,
    ...fields,
  });
}

const inbound = (companyId: string, id: string, receivedAt: string, fields: Partial<MessageRecord> = {}) =>
  message(companyId, id, { direction: 'inbound', status: 'received', candidateId: null, receivedAt, createdAt: receivedAt, ...fields });

async function allPages(list: (cursor: string | undefined) => Promise<{ items: MessageSummary[]; nextCursor: string | null }>) {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    pages.push(page.items.map((item) => item.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor && pages.length < 10);
  return pages;
}

describe('DynamoDB messages store', () => {
  it('creates a message once (a redelivery is refused) and reads it back without its keys', async () => {
    const companyId = company('acme');
    const record = message(companyId, `msg_${companyId}_1`);
    assert.equal(await messages.create(record), true);
    assert.equal(await messages.create({ ...record, subject: 'Changed' }), false);
    assert.deepEqual(await messages.get(record.id), record);
    assert.equal(await messages.get('msg_nothing'), null);
  });

  it('updates only when the status is one of onlyIfStatus', async () => {
    const companyId = company('acme');
    const record = message(companyId, `msg_${companyId}_1`);
    await messages.create(record);
    const claimed = await messages.update(record.id, { status: 'sending', attempts: 1, sendingSince: '2026-03-02T09:00:01.000Z' }, ['queued']);
    assert.equal(claimed?.status, 'sending');
    assert.equal(claimed?.attempts, 1);
    assert.equal(claimed?.subject, record.subject);
    assert.equal(await messages.update(record.id, { status: 'sending' }, ['queued']), null);
    assert.equal((await messages.get(record.id))?.attempts, 1);
    assert.equal((await messages.update(record.id, { status: 'sent', sendingSince: null }, ['sending', 'queued']))?.status, 'sent');
    assert.equal(await messages.update('msg_missing', { status: 'sent' }), null);
  });

  it('a conditional update is atomic: of two concurrent claims exactly one wins', async () => {
    const companyId = company('acme');
    const record = message(companyId, `msg_${companyId}_1`);
    await messages.create(record);
    const results = await Promise.all([
      messages.update(record.id, { status: 'sending', sendingSince: 'a' }, ['queued']),
      messages.update(record.id, { status: 'sending', sendingSince: 'b' }, ['queued']),
      messages.update(record.id, { status: 'sending', sendingSince: 'c' }, ['queued']),
    ]);
    assert.equal(results.filter((result) => result !== null).length, 1);
  });

  it("lists a candidate's conversation newest first, two at a time over five messages", async () => {
    const companyId = company('acme');
    for (let i = 1; i <= 5; i++) {
      await messages.create(message(companyId, `msg_${companyId}_${i}`, { createdAt: `2026-03-02T09:00:0${i}.000Z` }));
    }
    await messages.create(message(companyId, `msg_${companyId}_other`, { candidateId: 'cand-2' }));
    const pages = await allPages((cursor) => messages.listByCandidate(companyId, 'cand-1', { cursor, limit: 2 }));
    const id = (i: number) => `msg_${companyId}_${i}`;
    assert.deepEqual(pages, [[id(5), id(4)], [id(3), id(2)], [id(1)]]);
  });

  it('lists unassigned mail newest first by arrival, with cursors', async () => {
    const companyId = company('acme');
    const id = (i: number) => `msg_${companyId}_${i}`;
    for (let i = 1; i <= 5; i++) await messages.create(inbound(companyId, id(i), `2026-03-02T1${i}:00:00.000Z`));
    await messages.create(inbound(company('globex'), `msg_${companyId}_foreign`, '2026-03-02T12:30:00.000Z'));
    const pages = await allPages((cursor) => messages.listUnassigned(companyId, { cursor, limit: 2 }));
    assert.deepEqual(pages, [[id(5), id(4)], [id(3), id(2)], [id(1)]]);
  });

  it("refuses a cursor of another list, another company's list, or garbage", async () => {
    const companyId = company('acme');
    for (let i = 1; i <= 3; i++) {
      await messages.create(message(companyId, `msg_${companyId}_${i}`, { createdAt: `2026-03-02T09:00:0${i}.000Z` }));
      await messages.create(inbound(companyId, `msg_${companyId}_in${i}`, `2026-03-02T10:00:0${i}.000Z`));
    }
    const conversationCursor = (await messages.listByCandidate(companyId, 'cand-1', { limit: 1 })).nextCursor!;
    const unassignedCursor = (await messages.listUnassigned(companyId, { limit: 1 })).nextCursor!;
    assert.ok(conversationCursor && unassignedCursor);
    const isCursorError = (error: unknown) => {
      assert.ok(error instanceof AppError);
      assert.equal(error.code, 'VALIDATION_FAILED');
      assert.deepEqual(
        (error.details as { path: string }[]).map((issue) => issue.path),
        ['query.cursor'],
      );
      return true;
    };
    await assert.rejects(messages.listUnassigned(companyId, { cursor: conversationCursor, limit: 1 }), isCursorError);
    await assert.rejects(messages.listByCandidate(companyId, 'cand-2', { cursor: conversationCursor, limit: 1 }), isCursorError);
    await assert.rejects(messages.listByCandidate(companyId, 'cand-1', { cursor: unassignedCursor, limit: 1 }), isCursorError);
    await assert.rejects(messages.listUnassigned(company('globex'), { cursor: unassignedCursor, limit: 1 }), isCursorError);
    await assert.rejects(messages.listUnassigned(companyId, { cursor: 'not-a-cursor', limit: 1 }), isCursorError);
    await assert.rejects(messages.listUnassigned(companyId, { cursor: Buffer.from('{"gsi1pk":1}').toString('base64url'), limit: 1 }), isCursorError);
  });

  it("assigning a message moves it from the unassigned list to the candidate's conversation", async () => {
    const companyId = company('acme');
    const record = inbound(companyId, `msg_${companyId}_1`, '2026-03-02T11:00:00.000Z');
    await messages.create(record);
    assert.deepEqual((await messages.listUnassigned(companyId, { limit: 10 })).items.map((item) => item.id), [record.id]);

    const assigned = await messages.update(record.id, { candidateId: 'cand-3', match: { by: 'manual', address: 'jane@candidate.example' } });
    assert.equal(assigned?.candidateId, 'cand-3');
    assert.deepEqual((await messages.listUnassigned(companyId, { limit: 10 })).items, []);
    const conversation = await messages.listByCandidate(companyId, 'cand-3', { limit: 10 });
    assert.deepEqual(conversation.items.map((item) => item.id), [record.id]);
    assert.deepEqual(conversation.items[0].match, { by: 'manual', address: 'jane@candidate.example' });
  });

  it('quarantined mail is in neither list, also when quarantined after filing', async () => {
    const companyId = company('acme');
    await messages.create(inbound(companyId, `msg_${companyId}_virus`, '2026-03-02T11:00:00.000Z', { status: 'quarantined' }));
    await messages.create(inbound(companyId, `msg_${companyId}_virus2`, '2026-03-02T11:00:01.000Z', { status: 'quarantined', candidateId: 'cand-1' }));
    const filed = inbound(companyId, `msg_${companyId}_late`, '2026-03-02T11:00:02.000Z', { candidateId: 'cand-1' });
    await messages.create(filed);
    await messages.update(filed.id, { status: 'quarantined' });
    assert.deepEqual((await messages.listUnassigned(companyId, { limit: 10 })).items, []);
    assert.deepEqual((await messages.listByCandidate(companyId, 'cand-1', { limit: 10 })).items, []);
    assert.equal((await messages.get(filed.id))?.status, 'quarantined');
  });

  it('the first claim of an Idempotency-Key wins; a second sees its hash and message', async () => {
    const companyId = company('acme');
    assert.deepEqual(await messages.claimIdempotencyKey(companyId, 'key-1', 'hash-a', 'msg_a', 86_400), { claimed: true, bodyHash: 'hash-a', messageId: 'msg_a' });
    assert.deepEqual(await messages.claimIdempotencyKey(companyId, 'key-1', 'hash-b', 'msg_b', 86_400), { claimed: false, bodyHash: 'hash-a', messageId: 'msg_a' });
    assert.equal((await messages.claimIdempotencyKey(company('globex'), 'key-1', 'hash-c', 'msg_c', 86_400)).claimed, true);
  });

  it('concurrent claims of one Idempotency-Key agree on one winner', async () => {
    const companyId = company('acme');
    const claims = await Promise.all(['a', 'b', 'c', 'd'].map((x) => messages.claimIdempotencyKey(companyId, 'key-race', `hash-${x}`, `msg_${x}`, 86_400)));
    assert.equal(claims.filter((claim) => claim.claimed).length, 1);
    const winner = claims.find((claim) => claim.claimed)!;
    for (const claim of claims) assert.equal(claim.messageId, winner.messageId);
  });

  it('an inbound Message-ID is claimed once per scope, whatever its brackets or case', async () => {
    const companyId = company('acme');
    assert.equal(await messages.claimInboundMessageId(companyId, 'main', '<CAF1x@mail.gmail.com>', 'msg_first'), 'msg_first');
    assert.equal(await messages.claimInboundMessageId(companyId, 'main', ' caf1x@MAIL.gmail.com ', 'msg_second'), 'msg_first');
    assert.equal(await messages.claimInboundMessageId(companyId, 'berlin', '<CAF1x@mail.gmail.com>', 'msg_berlin'), 'msg_berlin');
  });

  it('lists unsettled outbound messages (queued, sending) oldest first, until they are sent or failed', async () => {
    const companyId = company('unsettled');
    const ours = async () => (await messages.listUnsettledOutbound(10_000)).filter((m) => m.companyId === companyId).map((m) => [m.id, m.status]);
    await messages.create(message(companyId, `${companyId}-b`, { createdAt: '2026-03-02T09:00:02.000Z' }));
    await messages.create(message(companyId, `${companyId}-a`, { createdAt: '2026-03-02T09:00:01.000Z' }));
    await messages.create(message(companyId, `${companyId}-c`, { createdAt: '2026-03-02T09:00:03.000Z' }));
    await messages.create(inbound(companyId, `${companyId}-in`, '2026-03-02T09:00:00.000Z'));
    await messages.update(`${companyId}-c`, { status: 'sending', sendingSince: '2026-03-02T09:01:00.000Z' }, ['queued']);
    assert.deepEqual(await ours(), [[`${companyId}-a`, 'queued'], [`${companyId}-b`, 'queued'], [`${companyId}-c`, 'sending']]);

    await messages.update(`${companyId}-a`, { status: 'sent' });
    await messages.update(`${companyId}-c`, { status: 'failed' });
    assert.deepEqual(await ours(), [[`${companyId}-b`, 'queued']]);
    // The index item of a settled message is gone, not just filtered.
    const left = await documentClient.send(
      new (await import('@aws-sdk/lib-dynamodb')).ScanCommand({ TableName: TABLE, FilterExpression: 'begins_with(messageId, :c) AND #t = :t', ExpressionAttributeNames: { '#t': 'type' }, ExpressionAttributeValues: { ':c': companyId, ':t': 'unsettled-outbound' } }),
    );
    assert.deepEqual(left.Items?.map((item) => item.messageId), [`${companyId}-b`]);
  });

  it("keeps a new message's unsettled-index item while the message write may be on its way, and drops an old leftover", async () => {
    const companyId = company('orphans');
    const { createDynamoMessagesStore } = await import('../../shared/adapters/dynamodb-messages-store');
    // A create that stops between its two writes: the index item is written, the message never is.
    const crashing = {
      send: (command: { input: { Item?: { type?: string } } }) =>
        command.input.Item?.type === 'message' ? Promise.reject(new Error('crashed before the message write')) : documentClient.send(command as never),
    } as unknown as typeof documentClient;
    const interrupted = createDynamoMessagesStore(crashing, TABLE);
    await assert.rejects(interrupted.create(message(companyId, `${companyId}-new`, { createdAt: new Date().toISOString() })));
    await assert.rejects(interrupted.create(message(companyId, `${companyId}-old`, { createdAt: '2026-03-02T09:00:00.000Z' })));

    const listed = (await messages.listUnsettledOutbound(10_000)).filter((m) => m.companyId === companyId);
    assert.deepEqual(listed, []);
    const left = await documentClient.send(
      new (await import('@aws-sdk/lib-dynamodb')).ScanCommand({ TableName: TABLE, FilterExpression: 'begins_with(messageId, :c) AND #t = :t', ExpressionAttributeNames: { '#t': 'type' }, ExpressionAttributeValues: { ':c': companyId, ':t': 'unsettled-outbound' } }),
    );
    assert.deepEqual(left.Items?.map((item) => item.messageId), [`${companyId}-new`]);
  });

  it('finds a message by any form of its Message-ID header', async () => {
    const companyId = company('acme');
    await messages.indexMessageIdHeader(companyId, '<0100019ABC@email.amazonses.com>', 'msg_1');
    assert.equal(await messages.findByMessageIdHeader(companyId, '0100019abc@email.amazonses.com'), 'msg_1');
    assert.equal(await messages.findByMessageIdHeader(company('globex'), '<0100019ABC@email.amazonses.com>'), null);
  });
});

describe('DynamoDB rate limiter', () => {
  it('allows the limit per window, then answers with the seconds until the next window', async () => {
    let nowMs = Date.parse('2026-03-02T09:00:15.000Z');
    const limiter = createRateLimiter(documentClient, TABLE, () => nowMs);
    const bucket = `smtp-test#${company('acme')}`;
    for (let i = 0; i < 3; i++) assert.deepEqual(await limiter.consume(bucket, 3, 60), { allowed: true, retryAfterSeconds: 0 });
    const refused = await limiter.consume(bucket, 3, 60);
    assert.equal(refused.allowed, false);
    assert.equal(refused.retryAfterSeconds, 45);
    // Other buckets have their own count.
    assert.equal((await limiter.consume(`smtp-test#${company('globex')}`, 3, 60)).allowed, true);
    // The next window starts afresh.
    nowMs = Date.parse('2026-03-02T09:01:00.000Z');
    assert.equal((await limiter.consume(bucket, 3, 60)).allowed, true);
  });

  it('counts concurrent requests exactly', async () => {
    const limiter = createRateLimiter(documentClient, TABLE, () => Date.parse('2026-03-02T09:00:00.000Z'));
    const bucket = `smtp-test#${company('acme')}`;
    const results = await Promise.all(Array.from({ length: 8 }, () => limiter.consume(bucket, 5, 60)));
    assert.equal(results.filter((result) => result.allowed).length, 5);
    for (const result of results.filter((entry) => !entry.allowed)) assert.ok(result.retryAfterSeconds > 0);
  });
});

describe('DynamoDB item reads (getItem)', () => {
  /** A document client of its own on the same dynalite, naming every command it sends. */
  async function recordingClient() {
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const sent: string[] = [];
    client.middlewareStack.add((next, context) => (args) => (sent.push(String(context.commandName)), next(args)), { step: 'initialize' });
    return { client, sent };
  }

  it('reads started together go as one BatchGetItem, each caller getting its own item', async () => {
    const { getItem } = await import('../../shared/adapters/dynamodb');
    const { client, sent } = await recordingClient();
    const pk = `COMPANY#${company('acme')}`;
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    for (const sk of ['A', 'B', 'C']) await client.send(new PutCommand({ TableName: TABLE, Item: { pk, sk, value: `item ${sk}` } }));
    sent.length = 0;
    // A key asked twice and a missing one in the same batch.
    const read = await Promise.all(['A', 'B', 'A', 'missing', 'C'].map((sk) => getItem(client, TABLE, { pk, sk })));
    assert.deepEqual(
      read.map((item) => item?.value),
      ['item A', 'item B', 'item A', undefined, 'item C'],
    );
    assert.deepEqual(sent, ['BatchGetItemCommand']);
    // One read alone stays a GetItem; consistent and eventually consistent reads are separate requests.
    sent.length = 0;
    assert.equal((await getItem(client, TABLE, { pk, sk: 'B' }, { consistent: true }))?.value, 'item B');
    assert.deepEqual(sent, ['GetItemCommand']);
    sent.length = 0;
    const mixed = await Promise.all([getItem(client, TABLE, { pk, sk: 'A' }, { consistent: true }), getItem(client, TABLE, { pk, sk: 'C' })]);
    assert.deepEqual(mixed.map((item) => item?.value), ['item A', 'item C']);
    assert.deepEqual(sent.sort(), ['GetItemCommand', 'GetItemCommand']);
    client.destroy();
  });

  it('the shared client skips the SDK logger middleware (it filters every call for a no-op logger)', () => {
    assert.deepEqual(documentClient.middlewareStack.identify().filter((name) => name.startsWith('loggerMiddleware')), []);
  });

  it('more than 100 keys at once are read in batches of 100, nothing lost', async () => {
    const { getItem } = await import('../../shared/adapters/dynamodb');
    const { client, sent } = await recordingClient();
    const pk = `COMPANY#${company('acme')}`;
    const { BatchWriteCommand } = await import('@aws-sdk/lib-dynamodb');
    const sks = Array.from({ length: 150 }, (_, index) => `ITEM#${String(index).padStart(3, '0')}`);
    for (let start = 0; start < sks.length; start += 25) {
      const chunk = sks.slice(start, start + 25);
      await client.send(new BatchWriteCommand({ RequestItems: { [TABLE]: chunk.map((sk) => ({ PutRequest: { Item: { pk, sk, value: sk } } })) } }));
    }
    sent.length = 0;
    const read = await Promise.all(sks.map((sk) => getItem(client, TABLE, { pk, sk })));
    assert.deepEqual(read.map((item) => item?.value), sks);
    assert.deepEqual(sent, ['BatchGetItemCommand', 'BatchGetItemCommand']);
    client.destroy();
  });

  it('asks again for the keys DynamoDB left unprocessed (throttling), and gives up when none are ever served', async () => {
    const { getItem } = await import('../../shared/adapters/dynamodb');
    // dynalite never throttles: a fake client answers as a throttled table does.
    const requests: string[][] = [];
    let served = 0;
    const throttling = {
      async send(command: { input: { RequestItems: Record<string, { Keys: { pk: string; sk: string }[] }> } }) {
        const keys = command.input.RequestItems[TABLE].Keys;
        requests.push(keys.map((key) => key.sk));
        // Serves one key per request while `served` allows, the others come back unprocessed.
        const [first, ...rest] = keys;
        if (served-- <= 0) return { Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: keys } } };
        return { Responses: { [TABLE]: [{ ...first, value: first.sk }] }, UnprocessedKeys: rest.length > 0 ? { [TABLE]: { Keys: rest } } : {} };
      },
    } as unknown as Parameters<typeof getItem>[0];
    served = 3;
    const read = await Promise.all(['A', 'B', 'C'].map((sk) => getItem(throttling, TABLE, { pk: 'P', sk })));
    assert.deepEqual(read.map((item) => item?.value), ['A', 'B', 'C']);
    assert.deepEqual(requests, [['A', 'B', 'C'], ['B', 'C'], ['C']]);

    served = 0;
    requests.length = 0;
    await assert.rejects(Promise.all(['A', 'B'].map((sk) => getItem(throttling, TABLE, { pk: 'P', sk }))), /left 2 keys unprocessed/);
    assert.ok(requests.length > 1, 'it asked again before giving up');
  });
});
