/**
 * The sender-reputation domain on in-memory stores: the send path's gate (suppressions, the
 * paused guard, no SES call), the guard's window and lift, the SES event parser and our tags.
 */
import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { saveScopeSettings } from '../../shared/email-settings/email-settings-service';
import { newMessageId } from '../../shared/mail/message-id';
import { deliverCandidateMail } from '../../shared/messages/deliver-candidate-mail';
import { newMessageRecord } from '../../shared/messages/model';
import { readSentMailTags, sentMailTags } from '../../shared/sender-reputation/message-tags';
import { checkDefaultProvider, evaluateGuard, liftDefaultProviderPause, type GuardThresholds } from '../../shared/sender-reputation/reputation-guard';
import { recordDeliveryEvent } from '../../shared/sender-reputation/record-delivery-event';
import { MalformedDeliveryEvent, parseSesDeliveryEvent } from '../../shared/sender-reputation/ses-delivery-event';
import { inMemoryDeliverDeps, inMemorySettingsDeps, MESSAGE_ID_DOMAIN } from '../support/in-memory-mail-deps';
import { RecordingMetrics } from '../support/recording-metrics';

const THRESHOLDS: GuardThresholds = { maxBounceRate: 0.04, maxComplaintRate: 0.0008, minSends: 50, windowDays: 7 };

function setup() {
  let clock = new Date('2026-12-06T09:00:00Z');
  const now = () => clock;
  const { settingsDeps } = inMemorySettingsDeps({ inboundDomain: 'inbound.recruiting.example', now });
  const mail = inMemoryDeliverDeps({ settingsDeps });
  let count = 0;
  return {
    ...mail,
    settingsDeps,
    now,
    advanceDays(days: number) {
      clock = new Date(clock.getTime() + days * 86_400_000);
    },
    async deliver(companyId: string, to: string) {
      const message = newMessageRecord({
        id: `msg_gate${++count}`,
        companyId,
        scope: 'main',
        direction: 'outbound',
        status: 'queued',
        createdAt: clock.toISOString(),
        candidateId: 'cand-1',
        to: [{ address: to, name: null }],
        subject: 'Hello',
        text: 'Hi',
        messageIdHeader: newMessageId(MESSAGE_ID_DOMAIN),
      });
      await mail.messages.create(message);
      const outcome = await deliverCandidateMail(mail.deps, message.id);
      return { outcome, stored: mail.messages.peek(message.id)! };
    },
  };
}

describe('the default-provider gate in the send path', () => {
  it('tags every default-provider send with the company (encoded) and the message', async () => {
    const t = setup();
    const { stored } = await t.deliver('acme.de:eu@hq', 'ann@candidate.example');
    assert.equal(stored.status, 'sent');
    const tags = t.provider.sent[0]!.tags!;
    for (const tag of tags) assert.match(tag.value, /^[A-Za-z0-9_-]{1,256}$/);
    const asEvent = Object.fromEntries(tags.map((tag) => [tag.name, [tag.value]]));
    assert.deepEqual(readSentMailTags(asEvent), { companyId: 'acme.de:eu@hq', kind: 'candidate-mail', messageId: stored.id });
  });

  it('fails a suppressed recipient at once with RECIPIENT_SUPPRESSED and a hint, without calling the provider; other companies send', async () => {
    const t = setup();
    await t.reputation.suppress('acme', { address: 'Ann@Candidate.example', reason: 'bounce', diagnostic: '550 5.1.1', messageId: 'msg_0', at: t.now().toISOString() });
    const { outcome, stored } = await t.deliver('acme', 'ann@candidate.example');
    assert.equal(outcome, 'failed');
    assert.equal(stored.error?.code, 'RECIPIENT_SUPPRESSED');
    assert.match(stored.error?.hint ?? '', /DELETE \/v1\/suppressions/);
    assert.equal(stored.provider, 'default');
    assert.equal(t.provider.sent.length, 0);

    assert.equal((await t.deliver('globex', 'ann@candidate.example')).stored.status, 'sent');
    assert.equal(t.provider.sent.length, 1);
  });

  it("does not suppress mail through the company's own server", async () => {
    const t = setup();
    const saved = await saveScopeSettings(t.settingsDeps, 'acme', 'main', {
      address: 'jobs@acme.example',
      mode: 'smtp',
      smtp: { host: 'smtp.acme.example', port: 587, security: 'starttls', username: 'jobs@acme.example', password: 'secret' },
    });
    assert.equal(saved.saved, true);
    await t.reputation.suppress('acme', { address: 'ann@candidate.example', reason: 'complaint', diagnostic: null, messageId: null, at: t.now().toISOString() });
    const { stored } = await t.deliver('acme', 'ann@candidate.example');
    assert.equal(stored.status, 'sent');
    assert.equal(stored.provider, 'smtp');
  });

  it('fails with DEFAULT_PROVIDER_PAUSED while the company is over a threshold, and sends again once the bad days leave the window', async () => {
    const t = setup();
    const today = t.now().toISOString().slice(0, 10);
    await t.reputation.addCounts('acme', today, { sends: 100, bounces: 5 });
    const paused = await t.deliver('acme', 'ann@candidate.example');
    assert.equal(paused.stored.error?.code, 'DEFAULT_PROVIDER_PAUSED');
    assert.match(paused.stored.error?.message ?? '', /bounce rate 5\.00% \(limit 4\.00%\)/);
    assert.match(paused.stored.error?.hint ?? '', /own server/);
    assert.equal(t.provider.sent.length, 0);
    assert.deepEqual(t.metrics.counted, ['DefaultProviderPaused {} 1', 'DefaultProviderPaused {"company":"acme"} 1']);
    assert.equal((await t.deliver('globex', 'ann@candidate.example')).stored.status, 'sent');

    t.advanceDays(7);
    const resumed = await t.deliver('acme', 'ann@candidate.example');
    assert.equal(resumed.stored.status, 'sent');
    assert.equal(t.reputation.states.get('acme')?.pausedSince, null);
  });
});

describe('the guard', () => {
  const state = { pausedSince: null, resumedAt: null, lift: null };
  const day = (date: string, sends: number, bounces = 0, complaints = 0) => ({ day: date, sends, bounces, complaints });

  it('needs the minimum of sends in the window, and a rate strictly above a threshold', () => {
    assert.equal(evaluateGuard([day('2026-12-06', 49, 49)], state, THRESHOLDS, '2026-12-06').status, 'active');
    assert.equal(evaluateGuard([day('2026-12-06', 50, 2)], state, THRESHOLDS, '2026-12-06').status, 'active');
    assert.equal(evaluateGuard([day('2026-12-06', 50, 3)], state, THRESHOLDS, '2026-12-06').status, 'paused');
    const complaints = evaluateGuard([day('2026-12-01', 1000), day('2026-12-06', 250, 0, 2)], state, THRESHOLDS, '2026-12-06');
    assert.deepEqual([complaints.status, complaints.complaintRate], ['paused', 0.0016]);
    // 2026-11-29 is outside a 7-day window ending 2026-12-06.
    assert.equal(evaluateGuard([day('2026-11-29', 1000, 500), day('2026-12-06', 50)], state, THRESHOLDS, '2026-12-06').status, 'active');
  });

  it("an operator's lift resumes at once and what the day counted before it no longer counts", async () => {
    const t = setup();
    const guard = { reputation: t.reputation, thresholds: THRESHOLDS, now: t.now, metrics: new RecordingMetrics() };
    const today = t.now().toISOString().slice(0, 10);
    await t.reputation.addCounts('acme', today, { sends: 60, bounces: 30 });
    assert.equal((await checkDefaultProvider(guard, 'acme')).status, 'paused');
    const lifted = await liftDefaultProviderPause(guard, 'acme');
    assert.deepEqual([lifted.status, lifted.bounceRate, lifted.since], ['active', 0, t.now().toISOString()]);
    await t.reputation.addCounts('acme', today, { sends: 60, bounces: 1 });
    assert.equal((await checkDefaultProvider(guard, 'acme')).status, 'active');
    await t.reputation.addCounts('acme', today, { bounces: 5 });
    assert.equal((await checkDefaultProvider(guard, 'acme')).status, 'paused');
  });
});

describe('events of a redirect test', () => {
  async function redirectTest(diagnosticCode: string) {
    const t = setup();
    const { settingsDeps, settings } = inMemorySettingsDeps({ inboundDomain: 'inbound.recruiting.example', now: t.now });
    const saved = await saveScopeSettings(settingsDeps, 'acme', 'main', { address: 'jobs@acme.example', mode: 'default' });
    const pending = { ...saved.settings!, redirect: { ...saved.settings!.redirect, status: 'pending' as const, token: 'rchk-0123456789abcdef0123', sentAt: t.now().toISOString() }, version: saved.settings!.version + 1 };
    await settings.replace(pending, saved.settings!.version);
    const tags = Object.fromEntries(sentMailTags({ companyId: 'acme', kind: 'redirect-test', scope: 'main' }).map((tag) => [tag.name, [tag.value]]));
    const mail = { messageId: 'ses-redirect-1', timestamp: '2026-12-06T08:00:00.000Z', destination: ['jobs@acme.example'], tags };
    const deps = {
      reputation: t.reputation,
      suppressions: t.reputation,
      deliveries: {
        recordDelivery: async () => assert.fail('a redirect test has no message'),
        failSent: async () => assert.fail('a redirect test has no message'),
      },
      settings,
      thresholds: THRESHOLDS,
      metrics: new RecordingMetrics(),
      now: t.now,
    };
    const bounce = { bounceType: 'Permanent' as const, bounceSubType: 'General', timestamp: '2026-12-06T08:00:02.000Z', bouncedRecipients: [{ emailAddress: 'jobs@acme.example', diagnosticCode }] };
    for (const event of [{ eventType: 'Send' as const, mail }, { eventType: 'Bounce' as const, mail, bounce }, { eventType: 'Bounce' as const, mail, bounce }]) {
      const outcome = await recordDeliveryEvent(deps, event);
      assert.equal(outcome.result, 'recorded');
    }
    return { t, redirect: (await settings.get('acme', 'main'))!.redirect };
  }

  it('count for the company’s guard, but suppress nothing and touch no message', async () => {
    const { t } = await redirectTest('smtp; 550 5.1.1 mailbox unavailable');
    assert.deepEqual(t.reputation.days.get('acme#2026-12-06'), { day: '2026-12-06', sends: 1, bounces: 1, complaints: 0 });
    assert.equal(t.reputation.suppressions.size, 0);
  });

  it('a bounce saying the forwarding is blocked (Exchange Online 5.7.520) fails the redirect check with FORWARDING_BLOCKED', async () => {
    const { redirect } = await redirectTest('smtp; 550 5.7.520 Access denied, Your organization does not allow external forwarding. AS(7555)');
    assert.equal(redirect.status, 'failed');
    assert.equal(redirect.code, 'FORWARDING_BLOCKED');
    assert.match(redirect.hint ?? '', /imap/i);
  });

  it('another bounce leaves the redirect check pending', async () => {
    const { redirect } = await redirectTest('smtp; 550 5.1.1 mailbox unavailable');
    assert.equal(redirect.status, 'pending');
  });
});

describe('SES events and our tags', () => {
  const tags = Object.fromEntries(sentMailTags({ companyId: 'acme', kind: 'candidate-mail', messageId: 'msg_1' }).map((tag) => [tag.name, [tag.value]]));
  const mail = { messageId: 'ses-1', timestamp: '2026-12-06T10:00:00Z', destination: ['ann@x.test'], tags };
  const envelope = (detail: unknown) => JSON.stringify({ version: '0', source: 'aws.ses', 'detail-type': 'Email Bounced', detail });

  it('reads a documented Bounce record', () => {
    const event = parseSesDeliveryEvent(
      envelope({
        eventType: 'Bounce',
        mail,
        bounce: { bounceType: 'Permanent', bounceSubType: 'General', timestamp: '2026-12-06T10:00:01Z', feedbackId: 'f', bouncedRecipients: [{ emailAddress: 'ann@x.test', diagnosticCode: 'smtp; 550', action: 'failed' }] },
      }),
    );
    assert.equal(event.bounce?.bouncedRecipients[0]?.diagnosticCode, 'smtp; 550');
  });

  it('refuses what SES does not publish, saying why', () => {
    const malformed = [
      'not json',
      JSON.stringify({ source: 'aws.sns', detail: {} }),
      envelope({ eventType: 'Bounce', mail }),
      envelope({ eventType: 'Delivery', mail: { ...mail, destination: [] }, delivery: { timestamp: '2026-12-06T10:00:01Z', recipients: [] } }),
      envelope({ eventType: 'Bounce', mail, bounce: { bounceType: 'Soft', timestamp: '2026-12-06T10:00:01Z', bouncedRecipients: [{ emailAddress: 'ann@x.test' }] } }),
      envelope({ eventType: 'Delivery', mail: { ...mail, timestamp: 'yesterday' }, delivery: { timestamp: '2026-12-06T10:00:01Z', recipients: ['ann@x.test'] } }),
    ];
    for (const text of malformed) assert.throws(() => parseSesDeliveryEvent(text), MalformedDeliveryEvent, text);
  });

  it('tags round-trip; mail without our tags, or with a tampered value, is not ours', () => {
    assert.deepEqual(readSentMailTags(tags), { companyId: 'acme', kind: 'candidate-mail', messageId: 'msg_1' });
    const redirect = Object.fromEntries(sentMailTags({ companyId: 'a:b@c', kind: 'redirect-test', scope: 'berlin' }).map((tag) => [tag.name, [tag.value]]));
    assert.deepEqual(readSentMailTags(redirect), { companyId: 'a:b@c', kind: 'redirect-test', scope: 'berlin' });
    assert.equal(readSentMailTags({ 'ses:configuration-set': ['x'] }), null);
    assert.equal(readSentMailTags({ ...tags, company: ['YWNtZQ=='] }), null);
    assert.equal(readSentMailTags({ company: tags.company!, kind: ['candidate-mail'] }), null);
  });
});
