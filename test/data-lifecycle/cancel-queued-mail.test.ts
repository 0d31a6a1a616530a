import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MessageItemsEraser } from '../../shared/data-lifecycle/lifecycle-stores';
import { eraseMessage } from '../../shared/data-lifecycle/erase-message';
import { deliverCandidateMail } from '../../shared/messages/deliver-candidate-mail';
import { newMessageRecord } from '../../shared/messages/model';
import { inMemoryDeliverDeps, inMemorySettingsDeps } from '../support/in-memory-mail-deps';

const now = () => new Date('2026-03-02T09:00:00Z');

function setUp() {
  const { settingsDeps } = inMemorySettingsDeps({ inboundDomain: 'inbound.example', now });
  const delivery = inMemoryDeliverDeps({ settingsDeps });
  const deleted: string[] = [];
  const erasedItems: string[] = [];
  const messageItems: MessageItemsEraser = { eraseMessageItems: async (message) => void erasedItems.push(message.id) };
  const eraseDeps = { messages: delivery.messages, messageItems, blobs: { deleteObjects: async (keys: string[]) => void deleted.push(...keys) }, now };
  return { ...delivery, eraseDeps, deleted, erasedItems };
}

const outbound = (id: string, status: 'queued' | 'sending' | 'sent') =>
  newMessageRecord({ id, companyId: 'acme', scope: 'main', direction: 'outbound', status, createdAt: now().toISOString(), candidateId: 'cand-1', to: [{ address: 'jane@candidate.example', name: null }], subject: 'Offer', messageIdHeader: `<${id}@mail.example>`, text: 'hello', sendingSince: status === 'sending' ? now().toISOString() : null });

describe('erasing queued mail', () => {
  it('cancels a queued message first, so that the send worker never sends it', async () => {
    const { deps, messages, provider, eraseDeps, deleted } = setUp();
    await messages.create(outbound('msg_q', 'queued'));
    // The erasure cancels it (its item kept here, to see what a delivery still queued does with it).
    const outcome = await eraseMessage({ ...eraseDeps, messageItems: { eraseMessageItems: async () => undefined } }, (await messages.get('msg_q'))!);
    assert.deepEqual(outcome, { erased: true, objects: 1 });
    assert.equal((await messages.get('msg_q'))!.status, 'cancelled');
    assert.equal(await deliverCandidateMail(deps, 'msg_q'), 'skipped');
    assert.equal(provider.sent.length, 0);
    assert.deepEqual(deleted, ['bodies/acme/msg_q.json']);
  });

  it('leaves a message a worker is sending for a later page', async () => {
    const { messages, eraseDeps, erasedItems } = setUp();
    await messages.create(outbound('msg_s', 'sending'));
    assert.deepEqual(await eraseMessage(eraseDeps, (await messages.get('msg_s'))!), { erased: false, reason: 'sending' });
    assert.deepEqual(erasedItems, []);
  });

  it('erases sent mail with its objects and items', async () => {
    const { messages, eraseDeps, erasedItems } = setUp();
    await messages.create(outbound('msg_d', 'sent'));
    assert.deepEqual(await eraseMessage(eraseDeps, (await messages.get('msg_d'))!), { erased: true, objects: 1 });
    assert.deepEqual(erasedItems, ['msg_d']);
  });
});
