/**
 * The default provider under load: SES's send rate read from GetSendQuota (served on loopback
 * in SES's query protocol: the local SES stand-in has no GetSendQuota), an account-wide pace in
 * the table (dynalite) shared by every worker, SES `Throttling` retried with full jitter and not
 * counted as a failed attempt, and a failing company server whose queued mail falls back to SES
 * at the pace instead of all at once.
 */
import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SESClient } from '@aws-sdk/client-ses';
import type { LocalDynamo } from '../../infra/local/local-dynamodb';
import { LOCAL_SES_CREDENTIALS } from '../../infra/local/local-ses';
import { createSesDefaultProvider } from '../../shared/adapters/ses-default-provider';
import { createSesSendRate } from '../../shared/adapters/ses-send-quota';
import { saveScopeSettings } from '../../shared/email-settings/email-settings-service';
import { newMessageId } from '../../shared/mail/message-id';
import { deliverCandidateMail } from '../../shared/messages/deliver-candidate-mail';
import { buildCandidateMail } from '../../shared/outbound/build-candidate-mail';
import { DefaultProviderError, type DefaultProviderErrorCode } from '../../shared/outbound/default-provider';
import { cachedRate, createSendPace, type PaceWindowStore } from '../../shared/outbound/send-pace';
import { SmtpSendError } from '../../shared/smtp/smtp-port';
import { inMemoryDeliverDeps, inMemorySettingsDeps, MESSAGE_ID_DOMAIN, queuedOutboundMessage } from '../support/in-memory-mail-deps';
import { startLocalTable } from '../support/local-table';

/** A stand-in for the SES query API on loopback: each request gets the next queued answer. */
function sesOnLoopback() {
  const answers: { status: number; body: string }[] = [];
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const answer = answers.shift() ?? { status: 500, body: '<ErrorResponse><Error><Code>InternalFailure</Code></Error></ErrorResponse>' };
      response.writeHead(answer.status, { 'content-type': 'text/xml' });
      response.end(answer.body);
    });
  });
  return {
    answers,
    async start() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
const sesError = (code: string, message: string) => ({
  status: 400,
  body: `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>0f0e0d0c-0000-4000-8000-000000000000</RequestId></ErrorResponse>`,
});

const throttled = () =>
  new DefaultProviderError({ code: 'DEFAULT_PROVIDER_UNAVAILABLE' as DefaultProviderErrorCode, temporary: true, throttled: true, providerCode: 'Throttling', message: 'SES is unavailable: Throttling: Maximum sending rate exceeded.' });

let dynamo: LocalDynamo;
let paceWindow: () => PaceWindowStore;
let client: { destroy(): void };
const ses = sesOnLoopback();
let sesEndpoint = '';

before(async () => {
  dynamo = await startLocalTable('recruiting-mail-pace-test');
  const { createDynamoPaceWindow } = await import('../../shared/adapters/dynamodb-send-pace-window');
  client = (await import('../../shared/adapters/dynamodb')).getDocumentClient();
  paceWindow = () => createDynamoPaceWindow();
  sesEndpoint = await ses.start();
});
after(async () => {
  client?.destroy();
  await dynamo?.stop();
  await ses.stop();
});

/** A clock of the test's; `sleep` moves it (and records what was waited). */
function testClock(start: string) {
  let clock = new Date(start);
  const slept: number[] = [];
  return {
    now: () => clock,
    slept,
    sleep: async (ms: number) => {
      slept.push(ms);
      clock = new Date(clock.getTime() + ms);
    },
    advance(seconds: number) {
      clock = new Date(clock.getTime() + seconds * 1000);
    },
  };
}

describe("SES's send rate", () => {
  it('is read from GetSendQuota', async () => {
    ses.answers.push({
      status: 200,
      body:
        '<GetSendQuotaResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><GetSendQuotaResult><SentLast24Hours>12.0</SentLast24Hours>' +
        '<Max24HourSend>50000.0</Max24HourSend><MaxSendRate>14.0</MaxSendRate></GetSendQuotaResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetSendQuotaResponse>',
    });
    const read = createSesSendRate({ client: new SESClient({ endpoint: sesEndpoint, region: 'eu-central-1', credentials: LOCAL_SES_CREDENTIALS, maxAttempts: 1 }) });
    assert.equal(await read(), 14);
  });

  it('is cached, and a failed read keeps the last rate (or the lowest)', async () => {
    const clock = testClock('2026-03-02T09:00:00Z');
    const rates = [20, 30];
    let reads = 0;
    const errors: unknown[] = [];
    const rate = cachedRate(
      async () => {
        reads++;
        const next = rates.shift();
        if (next === undefined) throw new Error('AccessDenied');
        return next;
      },
      { ttlMs: 600_000, fallback: 1, now: clock.now, onError: (error) => errors.push(error) },
    );
    assert.deepEqual([await rate(), await rate(), reads], [20, 20, 1]);
    clock.advance(601);
    assert.equal(await rate(), 30);
    clock.advance(601);
    assert.deepEqual([await rate(), errors.length], [30, 1]);
    const broken = cachedRate(async () => Promise.reject(new Error('AccessDenied')), { ttlMs: 600_000, fallback: 1, now: clock.now, onError: () => undefined });
    assert.equal(await broken(), 1);
  });

  it('says "slow down" as a throttle, but the daily quota and a 503 are not one', async () => {
    const provider = createSesDefaultProvider({ endpoint: sesEndpoint, region: 'us-east-1', credentials: LOCAL_SES_CREDENTIALS, maxAttempts: 1 });
    const mail = await buildCandidateMail({ from: { address: 'no-reply@mail.recruiting.example' }, to: ['jane@candidate.example'], subject: 'Hi', text: 'Hi', messageIdDomain: MESSAGE_ID_DOMAIN, messageId: newMessageId(MESSAGE_ID_DOMAIN) });
    const cases: [ReturnType<typeof sesError>, boolean][] = [
      [sesError('Throttling', 'Maximum sending rate exceeded.'), true],
      [sesError('Throttling', 'Daily message quota exceeded.'), false],
      [{ ...sesError('ServiceUnavailable', 'Service unavailable'), status: 503 }, false],
    ];
    for (const [answer, expected] of cases) {
      ses.answers.push(answer);
      await assert.rejects(provider.send(mail), (error: unknown) => error instanceof DefaultProviderError && error.temporary && error.throttled === expected);
    }
  });
});

describe('the account-wide pace', () => {
  it('never grants more than the rate in a second, across workers; a send waits for a later second or comes back later', async () => {
    const clock = testClock('2026-03-02T09:00:00.250Z');
    const rate = 3;
    const workers = [0, 1, 2].map(() => createSendPace({ window: paceWindow(), maxSendRate: async () => rate, lookaheadSeconds: 2, now: clock.now, sleep: async () => undefined }));
    const granted: number[] = [];
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, async (_, index) => {
        const slot = await workers[index % 3]!.take(1);
        if (slot.granted) granted.push(index);
        return slot;
      }),
    );
    assert.equal(granted.length, 9, 'three seconds (this one and two ahead) of three slots');
    const refused = outcomes.filter((slot) => !slot.granted);
    assert.equal(refused.length, 3);
    assert.ok(refused.every((slot) => !slot.granted && slot.retryAfterSeconds === 3));
  });

  it('a granted slot in a later second is waited for', async () => {
    const clock = testClock('2026-03-02T10:00:00.400Z');
    const pace = createSendPace({ window: paceWindow(), maxSendRate: async () => 1, lookaheadSeconds: 3, now: clock.now, sleep: clock.sleep });
    assert.deepEqual(await pace.take(1), { granted: true });
    assert.deepEqual(await pace.take(1), { granted: true });
    assert.deepEqual(clock.slept, [600], 'the second send waited for the next second');
    assert.equal(clock.now().toISOString(), '2026-03-02T10:00:01.000Z');
  });
});

describe('throttling and fallback storms', () => {
  function setup(paceOptions?: { rate: number; lookaheadSeconds: number }) {
    const clock = testClock('2026-03-02T11:00:00.100Z');
    const { settingsDeps } = inMemorySettingsDeps({ inboundDomain: 'inbound.recruiting.example', now: clock.now });
    const pace = paceOptions
      ? createSendPace({ window: paceWindow(), maxSendRate: async () => paceOptions.rate, lookaheadSeconds: paceOptions.lookaheadSeconds, now: clock.now, sleep: clock.sleep })
      : undefined;
    const delivery = inMemoryDeliverDeps({ settingsDeps, retry: { maxDefaultAttempts: 3 }, defaultProviderPace: pace });
    let counter = 0;
    const queueMail = async (count: number) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const id = `msg_storm_${++counter}`;
        await delivery.messages.create(queuedOutboundMessage({ id, companyId: 'acme', createdAt: clock.now().toISOString(), subject: 'Hi' }));
        ids.push(id);
      }
      return ids;
    };
    return { ...delivery, clock, settingsDeps, queueMail };
  }

  it('SES Throttling is retried with full jitter and never counts as a failed attempt', async () => {
    const t = setup();
    const [id] = await t.queueMail(1);
    t.provider.failNext(throttled(), throttled(), throttled(), throttled(), throttled());
    for (let round = 0; round < 5; round++) assert.equal(await deliverCandidateMail(t.deps, id!), 'retrying', `throttle ${round + 1}`);
    const stored = t.messages.peek(id!);
    assert.equal(stored.status, 'queued');
    assert.equal(stored.defaultProviderAttempts, 0, 'five throttles, more than maxDefaultAttempts, and no failed attempt');
    // Full jitter: each delay anywhere from 1 s to the growing ceiling (30, 60, 120, 240, 480 s).
    t.queue.jobs.forEach((job, index) => assert.ok(job.delaySeconds >= 1 && job.delaySeconds <= Math.min(900, 30 * 2 ** index), `delay ${index}: ${job.delaySeconds}`));
    assert.equal(await deliverCandidateMail(t.deps, id!), 'sent');
  });

  it("a failing company server's burst falls back at SES's pace, not all at once, and none of it fails", async () => {
    const t = setup({ rate: 5, lookaheadSeconds: 1 });
    const saved = await saveScopeSettings(t.settingsDeps, 'acme', 'main', {
      address: 'jobs@acme.example',
      mode: 'smtp',
      smtp: { host: 'smtp.acme.example', port: 587, security: 'starttls', username: 'jobs@acme.example', password: 'secret' },
    });
    assert.equal(saved.saved, true);
    const refused = () => new SmtpSendError({ code: 'AUTH_FAILED', stage: 'auth', message: 'Login refused', hint: '', smtpResponse: '535 5.7.8 Error', dataSent: false, temporary: false });
    t.smtp.failNext(...Array.from({ length: 30 }, refused));
    const sentAtSecond: number[] = [];
    const provider = t.deps.defaultProvider;
    t.deps.defaultProvider = { send: async (input) => (sentAtSecond.push(Math.floor(t.clock.now().getTime() / 1000)), provider.send(input)) };
    const burst = await t.queueMail(30);

    // One worker through the whole burst: it waits for its slots (the test's clock moves).
    for (const id of burst) assert.equal(await deliverCandidateMail(t.deps, id), 'sent');
    assert.equal(t.smtp.attempts.length, 1, 'the circuit kept the rest of the burst away from the failing server');
    assert.equal(t.provider.sent.length, 30);
    const perSecond = new Map<number, number>();
    for (const second of sentAtSecond) perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    assert.ok([...perSecond.values()].every((count) => count <= 5), `at most the rate in any second: ${JSON.stringify([...perSecond])}`);
    assert.equal(perSecond.size, 6, 'thirty mails at five a second');

    // Many workers at the same moment: what does not fit the window comes back later, as a throttle.
    t.clock.advance(10);
    const more = await t.queueMail(12);
    const outcomes = await Promise.all(more.map((id) => deliverCandidateMail(t.deps, id)));
    const sent = outcomes.filter((outcome) => outcome === 'sent').length;
    assert.ok(sent >= 5 && sent <= 10, `at most this second's and the next one's slots: ${sent}`);
    assert.equal(outcomes.filter((outcome) => outcome === 'retrying').length, 12 - sent);
    for (const id of more) {
      const stored = t.messages.peek(id);
      assert.notEqual(stored.status, 'failed');
      if (stored.status === 'queued') assert.deepEqual([stored.transmitting, stored.defaultProviderAttempts, stored.fallbackReason], [false, 0, 'AUTH_FAILED']);
    }
    assert.ok(t.queue.jobs.every((job) => job.delaySeconds >= 3), 'they come back after the window they could not get into');
  });
});
