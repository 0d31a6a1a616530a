/**
 * SES publishes at least once and in any order: property tests (fast-check) that the result is
 * the same whatever the order, and that a duplicate changes nothing. First the merge rule alone,
 * then the whole use case on the real DynamoDB adapters (dynalite): message delivery and status,
 * suppressions and the guard's counts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { LocalDynamo } from '../../infra/local/local-dynamodb';
import { deliveryPrecedence, mergeDelivery, type MessageDelivery } from '../../shared/sender-reputation/message-delivery';
import { sentMailTags } from '../../shared/sender-reputation/message-tags';
import type { SesDeliveryEvent } from '../../shared/sender-reputation/ses-delivery-event';
import { startLocalTable } from '../support/local-table';
import { RecordingMetrics } from '../support/recording-metrics';

const deliveryArbitrary: fc.Arbitrary<MessageDelivery> = fc.record(
  {
    status: fc.constantFrom('delayed', 'delivered', 'bounced', 'complained', 'rejected'),
    at: fc.integer({ min: 1_790_000_000_000, max: 1_790_000_060_000 }).map((ms) => new Date(ms).toISOString()),
    bounceType: fc.constantFrom('Permanent', 'Transient', 'Undetermined'),
    diagnostic: fc.constantFrom('smtp; 550 5.1.1 user unknown', 'smtp; 452 4.2.2 mailbox full', 'abuse'),
    recipient: fc.constantFrom('a@x.test', 'b@x.test'),
  },
  { requiredKeys: ['status', 'at'] },
);

/** A list of events with duplicates, in every order fast-check tries. */
const withDuplicatesShuffled = <T>(items: fc.Arbitrary<T[]>) =>
  items.chain((list) =>
    fc
      .array(fc.nat({ max: Math.max(0, list.length - 1) }), { maxLength: list.length === 0 ? 0 : 6 })
      .map((extra) => [...list, ...extra.map((index) => list[index]!)])
      .chain((all) => fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }))
      .map((shuffled) => ({ list, shuffled })),
  );

describe('the merge rule of a message’s delivery', () => {
  it('gives the same delivery whatever the order and the duplicates: the greatest by precedence', () => {
    fc.assert(
      fc.property(withDuplicatesShuffled(fc.array(deliveryArbitrary, { minLength: 1, maxLength: 8 })), ({ list, shuffled }) => {
        const inOrder = list.reduce<MessageDelivery | null>((current, next) => mergeDelivery(current, next), null);
        const anyOrder = shuffled.reduce<MessageDelivery | null>((current, next) => mergeDelivery(current, next), null);
        assert.deepEqual(anyOrder, inOrder);
        const greatest = [...list].sort((a, b) => (deliveryPrecedence(a) < deliveryPrecedence(b) ? 1 : -1))[0];
        assert.equal(deliveryPrecedence(anyOrder!), deliveryPrecedence(greatest!));
      }),
    );
  });

  it('ranks a delivery over a delay, a bounce over a delivery and a complaint over a bounce, whatever the times', () => {
    const at = (seconds: number) => new Date(1_790_000_000_000 + seconds * 1000).toISOString();
    assert.equal(mergeDelivery({ status: 'delivered', at: at(1) }, { status: 'delayed', at: at(9) }).status, 'delivered');
    assert.equal(mergeDelivery({ status: 'bounced', at: at(1) }, { status: 'delivered', at: at(9) }).status, 'bounced');
    assert.equal(mergeDelivery({ status: 'bounced', at: at(9) }, { status: 'complained', at: at(1) }).status, 'complained');
    assert.equal(mergeDelivery({ status: 'delayed', at: at(1) }, { status: 'delayed', at: at(9) }).at, at(9));
  });
});

describe('the delivery-event use case on DynamoDB, over event orders and duplicates', () => {
  let dynamo: LocalDynamo;
  before(async () => {
    dynamo = await startLocalTable('delivery-event-order');
  });
  after(async () => {
    await dynamo?.stop();
  });

  it('leaves the same message, suppressions and counts whatever the order, and counts a duplicate once', async () => {
    const { createDynamoMessagesStore } = await import('../../shared/adapters/dynamodb-messages-store');
    const { createDynamoSenderReputationStore } = await import('../../shared/adapters/dynamodb-sender-reputation-store');
    const { createDynamoMessageDeliveries } = await import('../../shared/adapters/dynamodb-message-deliveries');
    const { createDynamoSettingsStore } = await import('../../shared/adapters/dynamodb-settings-store');
    const { newMessageRecord } = await import('../../shared/messages/model');
    const { recordDeliveryEvent } = await import('../../shared/sender-reputation/record-delivery-event');
    const messages = createDynamoMessagesStore();
    const store = createDynamoSenderReputationStore();
    const now = new Date('2026-12-06T12:00:00Z');
    const deps = {
      reputation: store,
      suppressions: store,
      deliveries: createDynamoMessageDeliveries(),
      settings: createDynamoSettingsStore(),
      thresholds: { maxBounceRate: 0.04, maxComplaintRate: 0.0008, minSends: 1000, windowDays: 7 },
      metrics: new RecordingMetrics(),
      now: () => now,
    };

    /** The events SES may publish for one mail to two recipients, one of which bounces and one complains. */
    const eventsFor = (companyId: string, messageId: string): SesDeliveryEvent[] => {
      const tags = Object.fromEntries(sentMailTags({ companyId, kind: 'candidate-mail', messageId }).map((tag) => [tag.name, [tag.value]]));
      const mail = { messageId: `ses-${messageId}`, timestamp: '2026-12-06T10:00:00.000Z', destination: ['ann@x.test', 'bob@x.test'], tags };
      const at = (seconds: number) => new Date(Date.parse(mail.timestamp) + seconds * 1000).toISOString();
      return [
        { eventType: 'Send', mail },
        { eventType: 'DeliveryDelay', mail, deliveryDelay: { timestamp: at(5), delayType: 'TransientCommunicationFailure', delayedRecipients: [{ emailAddress: 'bob@x.test' }] } },
        { eventType: 'Bounce', mail, bounce: { bounceType: 'Transient', bounceSubType: 'MailboxFull', timestamp: at(6), bouncedRecipients: [{ emailAddress: 'bob@x.test', diagnosticCode: 'smtp; 452 4.2.2 full' }] } },
        { eventType: 'Delivery', mail, delivery: { timestamp: at(8), recipients: ['ann@x.test'] } },
        { eventType: 'Bounce', mail, bounce: { bounceType: 'Permanent', bounceSubType: 'General', timestamp: at(30), bouncedRecipients: [{ emailAddress: 'bob@x.test', diagnosticCode: 'smtp; 550 5.1.1 unknown', status: '5.1.1' }] } },
        { eventType: 'Complaint', mail, complaint: { timestamp: at(60), complainedRecipients: [{ emailAddress: 'ann@x.test' }], complaintFeedbackType: 'abuse' } },
      ] as SesDeliveryEvent[];
    };

    let run = 0;
    /** Applies the events of a fresh mail in the order of `indexes` (into eventsFor's list). */
    const outcome = async (indexes: number[]) => {
      const companyId = `co.${++run}:x@y`;
      const messageId = `msg_order${run}`;
      await messages.create(newMessageRecord({ id: messageId, companyId, scope: 'main', direction: 'outbound', status: 'sent', createdAt: now.toISOString(), provider: 'default' }));
      const ofThisMail = eventsFor(companyId, messageId);
      for (const index of indexes) await recordDeliveryEvent(deps, ofThisMail[index]!);
      const message = (await messages.get(messageId))!;
      const { days } = await store.readWindow(companyId, '2026-12-01', '2026-12-06');
      const suppressions = (await store.list(companyId, { limit: 10 })).items.map((item) => `${item.address}:${item.reason}`);
      return { delivery: message.delivery, status: message.status, error: message.error?.code ?? null, suppressions, days: days.map(({ day, ...counts }) => ({ day, ...counts })) };
    };

    const canonical = await outcome([0, 1, 2, 3, 4, 5]);
    assert.equal(canonical.delivery?.status, 'complained');
    assert.equal(canonical.status, 'failed');
    assert.equal(canonical.error, 'BOUNCED');
    assert.deepEqual(canonical.suppressions, ['ann@x.test:complaint', 'bob@x.test:bounce']);
    assert.deepEqual(canonical.days, [{ day: '2026-12-06', sends: 2, bounces: 1, complaints: 1 }]);

    await fc.assert(
      fc.asyncProperty(withDuplicatesShuffled(fc.constant([0, 1, 2, 3, 4, 5])), async ({ shuffled }) => {
        assert.deepEqual(await outcome(shuffled), canonical);
      }),
      { numRuns: 20 },
    );
  });
});
