import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SMTP_RESULT_CODES } from '../../shared/error-catalogue';
import { mailboxKey, rateWindowOf, reserveSlot, spendDay, type RateState } from '../../shared/outbound/mailbox-limits';
import { fallsBack, keepsStatus, retriesSameServer, turnsSettingsFailing } from '../../shared/outbound/smtp-failure-policy';
import { presetLimits } from '../../shared/smtp/provider-presets';

const empty: RateState = { sends: [], day: '', dayCount: 0 };

describe('reserveSlot: the minute window', () => {
  it('never lets a window of the minute (plus its guard) hold more than perMinute reservations, however requests arrive', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 60 }), (perMinute, gaps) => {
        const window = rateWindowOf(2);
        let state = empty;
        let now = Date.parse('2026-12-06T10:00:00Z');
        const slots: number[] = [];
        for (const gap of gaps) {
          now += gap;
          const { state: next, grant } = reserveSlot(state, { now, limits: { perMinute, perDay: null }, recipients: 1, countDay: true, window });
          assert.equal(grant.kind, 'slot');
          if (grant.kind !== 'slot') return;
          assert.ok(grant.at >= now, 'a slot is never in the past');
          slots.push(grant.at);
          state = next;
        }
        const span = window.windowMs + window.guardMs;
        for (const start of slots) assert.ok(slots.filter((at) => at >= start && at < start + span).length <= perMinute);
      }),
    );
  });

  it('gives the first perMinute messages a slot at once and paces the rest one window later', () => {
    const window = rateWindowOf(60);
    const now = Date.parse('2026-12-06T10:00:00Z');
    let state = empty;
    const slots = Array.from({ length: 7 }, () => {
      const reserved = reserveSlot(state, { now, limits: { perMinute: 3, perDay: null }, recipients: 1, countDay: true, window });
      state = reserved.state;
      return reserved.grant.kind === 'slot' ? reserved.grant.at - now : -1;
    });
    const span = window.windowMs + window.guardMs;
    assert.deepEqual(slots, [0, 0, 0, span, span, span, 2 * span]);
  });
});

describe('reserveSlot: the day budget', () => {
  it('counts recipients per UTC day and refuses past perDay until the next day', () => {
    const window = rateWindowOf(60);
    const now = Date.parse('2026-12-06T23:00:00Z');
    let state = empty;
    const kinds: string[] = [];
    for (let i = 0; i < 4; i++) {
      const reserved = reserveSlot(state, { now, limits: { perMinute: null, perDay: 5 }, recipients: 2, countDay: true, window });
      state = reserved.state;
      kinds.push(reserved.grant.kind);
      if (reserved.grant.kind === 'day-used-up') assert.equal(new Date(reserved.grant.resetsAt).toISOString(), '2026-12-07T00:00:00.000Z');
    }
    assert.deepEqual(kinds, ['slot', 'slot', 'day-used-up', 'day-used-up']);
    const nextDay = reserveSlot(state, { now: now + 3600_000, limits: { perMinute: null, perDay: 5 }, recipients: 2, countDay: true, window });
    assert.equal(nextDay.grant.kind, 'slot');
  });

  it('a renewed reservation does not count the message again, and the provider\'s "quota" spends the day', () => {
    const window = rateWindowOf(60);
    const now = Date.parse('2026-12-06T10:00:00Z');
    const once = reserveSlot(empty, { now, limits: { perMinute: null, perDay: 1 }, recipients: 1, countDay: true, window });
    assert.equal(reserveSlot(once.state, { now, limits: { perMinute: null, perDay: 1 }, recipients: 1, countDay: false, window }).grant.kind, 'slot');
    const spent = spendDay(empty, now, 100);
    assert.equal(reserveSlot(spent, { now, limits: { perMinute: null, perDay: 100 }, recipients: 1, countDay: true, window }).grant.kind, 'day-used-up');
  });
});

describe('mailbox identity and presets', () => {
  it('two scopes sending through the same server and login share one mailbox, whatever the case', () => {
    assert.equal(mailboxKey({ host: 'SMTP.office365.com', username: 'Jobs@Acme.com' }), mailboxKey({ host: 'smtp.office365.com', username: 'jobs@acme.com' }));
    assert.notEqual(mailboxKey({ host: 'smtp.office365.com', username: 'jobs@acme.com' }), mailboxKey({ host: 'smtp.office365.com', username: 'hr@acme.com' }));
  });

  it('presets: Microsoft 3/30/10,000, Google Workspace none/60/2,000, consumer Gmail 500 a day, others conservative', () => {
    assert.deepEqual(presetLimits('smtp.office365.com', 'jobs@acme.com'), { maxConnections: 3, perMinute: 30, perDay: 10_000 });
    assert.deepEqual(presetLimits('smtp.gmail.com', 'jobs@acme.com'), { maxConnections: null, perMinute: 60, perDay: 2_000 });
    assert.deepEqual(presetLimits('smtp.gmail.com', 'someone@gmail.com'), { maxConnections: null, perMinute: 60, perDay: 500 });
    assert.deepEqual(presetLimits('mail.example.org', 'jobs@example.org'), { maxConnections: 3, perMinute: 30, perDay: 10_000 });
  });
});

describe('smtp-failure-policy', () => {
  it('only configuration answers and Microsoft throttling turn settings failing; one message\'s problem, a limit or UNKNOWN never', () => {
    for (const code of ['RECIPIENT_REJECTED', 'MESSAGE_TOO_LARGE', 'SENDER_QUOTA_EXCEEDED', 'RATE_LIMITED', 'UNKNOWN'] as const) assert.equal(turnsSettingsFailing(code), false, code);
    for (const code of ['AUTH_FAILED', 'SENDER_NOT_ALLOWED', 'SENDER_THROTTLED', 'TLS_CERTIFICATE_INVALID', 'CONNECTION_REFUSED'] as const) assert.equal(turnsSettingsFailing(code), true, code);
    // Every code is judged explicitly one way or the other.
    assert.ok(SMTP_RESULT_CODES.every((code) => typeof turnsSettingsFailing(code) === 'boolean'));
  });

  it('a rate limit is retried for a day whatever the attempts; a temporary failure for its attempts; the test button keeps the status on limits', () => {
    assert.equal(retriesSameServer('RATE_LIMITED', 50, 3, 23 * 3600_000), true);
    assert.equal(retriesSameServer('RATE_LIMITED', 50, 3, 25 * 3600_000), false);
    assert.equal(retriesSameServer('TEMPORARY_FAILURE', 3, 3, 0), false);
    assert.equal(retriesSameServer('TEMPORARY_FAILURE', 2, 3, 0), true);
    assert.equal(keepsStatus('SENDER_QUOTA_EXCEEDED'), true);
    assert.equal(keepsStatus('AUTH_FAILED'), false);
    assert.equal(fallsBack('RECIPIENT_REJECTED'), false);
    assert.equal(fallsBack('MESSAGE_TOO_LARGE'), true);
  });
});
