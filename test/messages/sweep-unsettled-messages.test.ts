import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newMessageRecord, type MessageRecord } from '../../shared/messages/model';
import type { SendJob } from '../../shared/messages/send-job';
import { sweepUnsettledMessages } from '../../shared/messages/sweep-unsettled-messages';
import { MemoryMessagesStore } from '../support/memory-messages-store';
import { RecordingJobQueue } from '../support/recording-job-queue';

const NOW = new Date('2026-11-27T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();
const limits = { leaseSeconds: 120, queuedStaleSeconds: 1200, batch: 100, maxInterruptedAttempts: 3 };

function outbound(id: string, fields: Partial<MessageRecord>): MessageRecord {
  return newMessageRecord({ id, companyId: 'acme', scope: 'main', direction: 'outbound', status: 'queued', createdAt: ago(3600), attempts: 1, ...fields });
}

async function setup(records: MessageRecord[]) {
  const messages = new MemoryMessagesStore();
  for (const record of records) await messages.create(record);
  const queue = new RecordingJobQueue<SendJob>();
  return { messages, queue, deps: { messages, queue, now: () => NOW } };
}

describe('sweepUnsettledMessages', () => {
  it('requeues what never reached a server, marks uncertain what was being transmitted, re-enqueues lost jobs, leaves live work alone', async () => {
    const t = await setup([
      outbound('never-transmitted', { status: 'sending', sendingSince: ago(600), transmitting: false, updatedAt: ago(600) }),
      outbound('was-transmitting', { status: 'sending', sendingSince: ago(600), transmitting: true, updatedAt: ago(600) }),
      outbound('held-now', { status: 'sending', sendingSince: ago(30), transmitting: true, updatedAt: ago(30) }),
      outbound('lost-job', { status: 'queued', updatedAt: ago(3600) }),
      outbound('waiting-for-retry', { status: 'queued', updatedAt: ago(600) }),
      outbound('done', { status: 'sent', updatedAt: ago(3600) }),
    ]);
    const report = await sweepUnsettledMessages(t.deps, limits);

    assert.equal(report.examined, 5);
    assert.deepEqual(Object.fromEntries(report.settled.map((s) => [s.messageId, s.outcome])), {
      'never-transmitted': 'requeued',
      'was-transmitting': 'uncertain',
      'lost-job': 'enqueued',
    });
    assert.equal(t.messages.messages.get('never-transmitted')!.status, 'queued');
    const uncertain = t.messages.messages.get('was-transmitting')!;
    assert.equal(uncertain.status, 'failed');
    assert.equal(uncertain.error?.code, 'DELIVERY_UNCERTAIN');
    assert.equal(t.messages.messages.get('held-now')!.status, 'sending');
    assert.deepEqual(t.queue.jobs.map((job) => job.job.messageId).sort(), ['lost-job', 'never-transmitted']);

    // A second run right after changes nothing and enqueues nothing again.
    const again = await sweepUnsettledMessages(t.deps, limits);
    assert.deepEqual(again.settled, []);
    assert.equal(t.queue.jobs.length, 2);
  });

  it('a worker that settles the message meanwhile wins over the sweeper', async () => {
    const t = await setup([outbound('raced', { status: 'sending', sendingSince: ago(600), transmitting: true })]);
    const [seen] = await t.messages.listUnsettledOutbound(10);
    await t.messages.update('raced', { status: 'sent', transmitting: false });
    t.messages.listUnsettledOutbound = async () => [seen];
    const report = await sweepUnsettledMessages(t.deps, limits);
    assert.deepEqual(report.settled, []);
    assert.equal(t.messages.messages.get('raced')!.status, 'sent');
  });
});
