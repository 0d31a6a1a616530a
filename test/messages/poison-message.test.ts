/**
 * A poison message: its delivery throws something other than a server's answer every time (here
 * its attachment is gone from the bucket), or it stops its worker every time (a crash, a
 * timeout). Before the cap it went to the dead-letter queue after five receives and the sweeper
 * put it back as `queued`, forever. Now each such attempt counts; at the cap it is `failed` with
 * `DELIVERY_ERROR` and its reason, and a recruiter can send it again by hand.
 */
import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../shared/errors';
import { deliverCandidateMail } from '../../shared/messages/deliver-candidate-mail';
import type { MessageRecord } from '../../shared/messages/model';
import { retryFailedMessage } from '../../shared/messages/retry-failed-message';
import { sweepUnsettledMessages } from '../../shared/messages/sweep-unsettled-messages';
import { inMemoryDeliverDeps, inMemorySettingsDeps, queuedOutboundMessage } from '../support/in-memory-mail-deps';

const ATTACHMENT_KEY = 'outbound/acme/msg_poison/cv.pdf';

function setup() {
  let clock = new Date('2026-03-02T09:00:00Z');
  const now = () => clock;
  const { settingsDeps } = inMemorySettingsDeps({ inboundDomain: 'inbound.recruiting.example', now });
  const delivery = inMemoryDeliverDeps({ settingsDeps });
  return {
    ...delivery,
    now,
    advance(seconds: number) {
      clock = new Date(clock.getTime() + seconds * 1000);
    },
    async queued(fields: Partial<MessageRecord> = {}) {
      const message = queuedOutboundMessage({
        id: 'msg_poison',
        companyId: 'acme',
        createdAt: clock.toISOString(),
        subject: 'Your contract',
        idempotencyKey: 'contract-jane',
        // Announced, but the object is not (or no longer) in the bucket.
        attachments: [{ id: 'att-1', filename: 'cv.pdf', contentType: 'application/pdf', size: 10, key: ATTACHMENT_KEY, contentId: null, inline: false }],
        ...fields,
      });
      assert.equal(await delivery.messages.create(message), true);
      return message;
    },
  };
}

describe('a poison message', () => {
  it('an exception on every attempt: retried with backoff, then failed with its reason instead of looping', async () => {
    const t = setup();
    const message = await t.queued();

    assert.equal(await deliverCandidateMail(t.deps, message.id), 'retrying', 'no exception reaches the queue: no receive is spent');
    let stored = t.messages.peek(message.id);
    assert.deepEqual([stored.status, stored.interruptedAttempts, stored.error?.code], ['queued', 1, 'DELIVERY_ERROR']);
    assert.match(stored.error!.message, /NoSuchKey/);
    assert.equal(t.queue.jobs.length, 1);
    assert.ok(t.queue.jobs[0]!.delaySeconds >= 1 && t.queue.jobs[0]!.delaySeconds <= 30);

    assert.equal(await deliverCandidateMail(t.deps, message.id), 'retrying');
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'failed');
    stored = t.messages.peek(message.id);
    assert.deepEqual([stored.status, stored.interruptedAttempts, stored.error?.code], ['failed', 3, 'DELIVERY_ERROR']);
    assert.match(stored.error!.message, /stopped 3 times.*resent by hand.*NoSuchKey/);
    assert.equal(t.queue.jobs.length, 2, 'nothing enqueued after the last attempt');
    assert.equal(t.smtp.attempts.length + t.provider.sent.length, 0);

    // The sweeper leaves a failed message alone.
    const report = await sweepUnsettledMessages(t.deps, { leaseSeconds: 120, queuedStaleSeconds: 0, batch: 100, maxInterruptedAttempts: 3 });
    assert.equal(report.settled.length, 0);

    // Fixed (the file is there again): sent again by hand, the same message, once.
    await t.blobs.put(ATTACHMENT_KEY, Buffer.from('%PDF-1.4 cv'), 'application/pdf');
    const requeued = await retryFailedMessage(t.deps, 'acme', message.id);
    assert.deepEqual([requeued.id, requeued.status, requeued.attempts, requeued.interruptedAttempts, requeued.error], [message.id, 'queued', 0, 0, null]);
    assert.equal(requeued.idempotencyKey, 'contract-jane');
    assert.equal(requeued.messageIdHeader, message.messageIdHeader);
    assert.deepEqual(t.queue.jobs.at(-1), { job: { messageId: message.id }, delaySeconds: 0 });
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'sent');
    assert.equal(t.provider.sent.length, 1);
  });

  it('a worker that stops on it every time: the sweeper counts each, and at the cap the message fails instead of going back to the queue', async () => {
    const t = setup();
    await t.blobs.put(ATTACHMENT_KEY, Buffer.from('%PDF'), 'application/pdf');
    const message = await t.queued();
    const limits = { leaseSeconds: 120, queuedStaleSeconds: 1200, batch: 100, maxInterruptedAttempts: 3 };
    const outcomes: string[] = [];
    for (let round = 0; round < 4; round++) {
      // A worker claims it and dies (its lease runs out without an outcome).
      const current = t.messages.peek(message.id);
      if (current.status !== 'queued') break;
      await t.messages.update(message.id, { status: 'sending', sendingSince: t.now().toISOString(), attempts: current.attempts + 1 }, ['queued']);
      t.advance(121);
      const report = await sweepUnsettledMessages(t.deps, limits);
      outcomes.push(...report.settled.map((settled) => settled.outcome));
    }
    assert.deepEqual(outcomes, ['requeued', 'requeued', 'gave-up']);
    const stored = t.messages.peek(message.id);
    assert.deepEqual([stored.status, stored.interruptedAttempts, stored.error?.code], ['failed', 3, 'DELIVERY_ERROR']);
    assert.match(stored.error!.message, /timed out or crashed/);
  });

  it('a redelivery that finds the dead worker\'s expired lease counts it too', async () => {
    const t = setup();
    const message = await t.queued({ status: 'sending', sendingSince: new Date('2026-03-02T08:00:00Z').toISOString(), attempts: 3, interruptedAttempts: 2 });
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'failed');
    const stored = t.messages.peek(message.id);
    assert.deepEqual([stored.status, stored.interruptedAttempts, stored.error?.code], ['failed', 3, 'DELIVERY_ERROR']);
  });

  it('is never sent again by hand once it was, or may have been, delivered', async () => {
    const t = setup();
    for (const fields of [
      { status: 'sent' as const, sentAt: '2026-03-02T09:00:01Z' },
      { status: 'failed' as const, error: { code: 'DELIVERY_UNCERTAIN' as const, message: 'may have been delivered' } },
      { status: 'failed' as const, sentAt: '2026-03-02T09:00:01Z', error: { code: 'BOUNCED' as const, message: 'bounced' } },
    ]) {
      t.messages.messages.clear();
      await t.queued(fields);
      await assert.rejects(retryFailedMessage(t.deps, 'acme', 'msg_poison'), (error: unknown) => error instanceof AppError && error.code === 'CONFLICT');
    }
    await assert.rejects(retryFailedMessage(t.deps, 'globex', 'msg_poison'), (error: unknown) => error instanceof AppError && error.code === 'NOT_FOUND', "another company's message is not found");
    assert.equal(t.queue.jobs.length, 0);
  });
});
