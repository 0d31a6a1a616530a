/**
 * One worker invocation over a batch: the records one after another, each started only while
 * the invocation has a worst-case delivery's time left. Two slow servers at the head of a batch
 * of five must not time the invocation out: the records it cannot hold go back to the queue at
 * once and are delivered by the next invocation. The invocation's clock is the test's (each
 * slow server takes 70 s of it), so nothing here depends on the machine's speed.
 */
import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { saveScopeSettings } from '../../shared/email-settings/email-settings-service';
import { deliverCandidateMail } from '../../shared/messages/deliver-candidate-mail';
import { type BatchRecord, deliverSendBatch } from '../../shared/messages/deliver-send-batch';
import type { SendJob } from '../../shared/messages/send-job';
import { SEND_RECORD_BUDGET_MS, SEND_WORKER_TIMEOUT_SECONDS } from '../../shared/messages/send-worker-budget';
import { inMemoryDeliverDeps, inMemorySettingsDeps, queuedOutboundMessage } from '../support/in-memory-mail-deps';

const SLOW_SECONDS = 70;

async function setup() {
  let clock = new Date('2026-03-02T09:00:00Z');
  const now = () => clock;
  const { settingsDeps } = inMemorySettingsDeps({ inboundDomain: 'inbound.recruiting.example', now });
  const delivery = inMemoryDeliverDeps({ settingsDeps });
  for (const companyId of ['slowco', 'acme']) {
    const host = companyId === 'slowco' ? 'smtp.slow.example' : 'smtp.acme.example';
    const saved = await saveScopeSettings(settingsDeps, companyId, 'main', {
      address: `jobs@${companyId}.example`,
      mode: 'smtp',
      smtp: { host, port: 587, security: 'starttls', username: `jobs@${companyId}.example`, password: 'secret' },
    });
    assert.equal(saved.saved, true);
  }
  // The slow company's server answers, but only after SLOW_SECONDS of the invocation's time.
  const send = delivery.deps.sendSmtp;
  delivery.deps.sendSmtp = async (settings, message) => {
    if (settings.host === 'smtp.slow.example') clock = new Date(clock.getTime() + SLOW_SECONDS * 1000);
    return send(settings, message);
  };
  let counter = 0;
  const queueMail = async (companyId: string): Promise<BatchRecord> => {
    const id = `msg_${companyId}_${++counter}`;
    await delivery.messages.create(queuedOutboundMessage({ id, companyId, createdAt: clock.toISOString() }));
    return { id: `sqs-${id}`, body: JSON.stringify({ messageId: id } satisfies SendJob) };
  };
  /** One invocation with the worker's timeout, on the test's clock. */
  const invoke = (records: BatchRecord[], requeue?: (record: BatchRecord) => Promise<void>) => {
    const deadline = clock.getTime() + SEND_WORKER_TIMEOUT_SECONDS * 1000;
    return deliverSendBatch(records, {
      deliverRecord: async (record) => {
        await deliverCandidateMail(delivery.deps, (JSON.parse(record.body) as SendJob).messageId);
        return true;
      },
      requeue: requeue ?? ((record) => delivery.queue.enqueue(JSON.parse(record.body) as SendJob)),
      remainingMs: () => deadline - clock.getTime(),
      recordBudgetMs: SEND_RECORD_BUDGET_MS,
    });
  };
  return { ...delivery, queueMail, invoke };
}

const messageIdOf = (record: BatchRecord) => (JSON.parse(record.body) as SendJob).messageId;

describe('a batch with two slow servers', () => {
  it('stops taking records when the time left cannot hold one; the rest goes back to the queue at once and is delivered next', async () => {
    const t = await setup();
    const batch = [await t.queueMail('slowco'), await t.queueMail('slowco'), await t.queueMail('acme'), await t.queueMail('acme'), await t.queueMail('acme')];

    assert.deepEqual(await t.invoke(batch), [], 'no batch item failure: nothing counts a receive towards the dead-letter queue');

    assert.deepEqual(batch.slice(0, 2).map((record) => t.messages.peek(messageIdOf(record)).status), ['sent', 'sent']);
    const deferred = batch.slice(2);
    for (const record of deferred) assert.equal(t.messages.peek(messageIdOf(record)).status, 'queued', 'never started, so never claimed');
    assert.deepEqual(
      t.queue.jobs.map(({ job, delaySeconds }) => [job.messageId, delaySeconds]),
      deferred.map((record) => [messageIdOf(record), 0]),
    );

    assert.deepEqual(await t.invoke(t.queue.jobs.map(({ job }) => ({ id: `again-${job.messageId}`, body: JSON.stringify(job) }))), []);
    for (const record of batch) assert.equal(t.messages.peek(messageIdOf(record)).status, 'sent');
    assert.equal(t.smtp.accepted.length, 5);
  });

  it('a record it could not put back is a batch item failure, so SQS delivers it again', async () => {
    const t = await setup();
    const batch = [await t.queueMail('slowco'), await t.queueMail('slowco'), await t.queueMail('acme')];
    const failures = await t.invoke(batch, async () => {
      throw new Error('SQS is unavailable');
    });
    assert.deepEqual(failures, [batch[2]!.id]);
  });

  it('fast records all go through in one invocation', async () => {
    const t = await setup();
    const batch = [await t.queueMail('acme'), await t.queueMail('acme'), await t.queueMail('acme')];
    assert.deepEqual(await t.invoke(batch), []);
    assert.equal(t.queue.jobs.length, 0);
    assert.equal(t.smtp.accepted.length, 3);
  });
});
