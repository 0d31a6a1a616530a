/**
 * Sending at volume through a company mailbox (capability 11), end to end through the local
 * backend with four send-worker instances (each its own pool, as Lambda containers): real
 * smtp-servers that enforce a mailbox's limits as Microsoft 365 and Gmail do, the batch API,
 * the providers' quota and throttling answers, and messages larger than the server takes.
 * The "minute" is 2 s here (MAILBOX_RATE_WINDOW_SECONDS), with the same semantics.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLimitedMailServer, type LimitedMailServer } from '../support/limited-mail-server';
import { startMailServer, trustedCaFixture, type MailServer, type TrustedCaFixture } from '../support/mail-servers';
import { startTestBackend, waitForDelivery, type TestBackend } from '../support/test-backend';

const PASSWORD = 'Volume-e2e-pw-42';
const WINDOW_MS = 2000;

let api: TestBackend;
let tls: TrustedCaFixture;
const servers: { close(): Promise<void> }[] = [];

async function configure(company: string, port: number, username: string, extra: { limits?: Record<string, number | null>; fallbackToDefault?: boolean; scope?: string } = {}) {
  const token = await api.token(company);
  const put = await api.request('PUT', `/v1/email-settings/${extra.scope ?? 'main'}`, {
    token,
    body: {
      address: username,
      mode: 'smtp',
      smtp: { host: '127.0.0.1', port, security: 'starttls', username, password: PASSWORD, ...(extra.limits ? { limits: extra.limits } : {}) },
      ...(extra.fallbackToDefault === undefined ? {} : { fallbackToDefault: extra.fallbackToDefault }),
    },
  });
  assert.equal(put.status, 200, put.text);
  return { token, settings: put.json };
}

async function candidates(token: string, prefix: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, index) => `${prefix}-${index}`);
  for (const id of ids) {
    const put = await api.request('PUT', `/v1/candidates/${id}`, { token, body: { emails: [`${id}@candidates.test`], name: id } });
    assert.equal(put.status, 200, put.text);
  }
  return ids;
}

const batchOf = (ids: string[], keyPrefix: string, subject = 'Thank you for your application') =>
  ids.map((candidateId, index) => ({ candidateId, idempotencyKey: `${keyPrefix}-${index}`, subject, text: `Dear ${candidateId}, thank you.` }));

async function deliveredAll(token: string, ids: string[]) {
  return Promise.all(ids.map((id) => waitForDelivery(api, token, id, 90_000)));
}

before(async () => {
  tls = trustedCaFixture('volume-e2e-');
  api = await startTestBackend({
    SMTP_ALLOWED_PORTS: '*',
    SMTP_TESTS_PER_MINUTE: '200',
    SMTP_TEST_DESTINATIONS_PER_MINUTE: '200',
    SEND_WORKER_INSTANCES: '4',
    MAILBOX_RATE_WINDOW_SECONDS: String(WINDOW_MS / 1000),
    ...tls.backendEnv,
  });
});

after(async () => {
  await api?.stop();
  await Promise.all(servers.map((server) => server.close()));
  tls?.remove();
});

async function limitedServer(options: Omit<Parameters<typeof startLimitedMailServer>[0], 'tls'>): Promise<LimitedMailServer> {
  const server = await startLimitedMailServer({ tls, ...options });
  servers.push(server);
  return server;
}

describe('a mailbox limited to 3 connections and 5 messages a window, four workers', () => {
  it('delivers a batch of 20 once each, paced (nextAttemptAt shown), never refused for concurrency or rate; a repeat sends nothing', async () => {
    const server = await limitedServer({ users: { 'jobs@volume.test': PASSWORD }, maxConnections: 3, perWindow: { count: 5, ms: WINDOW_MS } });
    const { token, settings } = await configure('volume', server.port, 'jobs@volume.test', { limits: { maxConnections: 3, perMinute: 5, perDay: null } });
    assert.deepEqual(settings.smtp.limits, { maxConnections: 3, perMinute: 5, perDay: null }, 'the limits are shown back');
    const ids = await candidates(token, 'vol', 20);
    // The test of the settings itself sent a MAIL FROM: let the server's window pass.
    await sleep(WINDOW_MS + 200);

    const batch = await api.request('POST', '/v1/messages/batch', { token, body: { messages: batchOf(ids, 'vol') } });
    assert.equal(batch.status, 202, batch.text);
    assert.equal(batch.json.items.length, 20);
    const messageIds: string[] = batch.json.items.map((item: { id: string; status: string }) => {
      assert.equal(item.status, 'queued');
      return item.id;
    });
    assert.equal(new Set(messageIds).size, 20);

    // The last message cannot go before several windows have passed: it waits, and says until when.
    let paced: any;
    for (let tries = 0; tries < 40 && !paced; tries++) {
      const view = await api.request('GET', `/v1/messages/${messageIds.at(-1)}`, { token });
      if (view.json.status === 'queued' && view.json.nextAttemptAt) paced = view.json;
      else await sleep(50);
    }
    assert.ok(paced, 'a paced message shows nextAttemptAt');
    assert.ok(Date.parse(paced.nextAttemptAt) > Date.now(), 'nextAttemptAt is ahead');

    const messages = await deliveredAll(token, messageIds);
    for (const message of messages) {
      assert.equal(message.status, 'sent', JSON.stringify(message));
      assert.equal(message.provider, 'smtp');
    }
    assert.equal(server.refusedForConcurrency(), 0, 'never a fourth connection');
    assert.equal(server.refusedForRate(), 0, 'never over the window');
    assert.ok(server.peakSessions() <= 3);
    assert.equal(server.accepted.length, 20);
    assert.deepEqual(new Set(server.accepted), new Set(messages.map((message) => message.messageIdHeader)), 'every message arrived, once');

    const again = await api.request('POST', '/v1/messages/batch', { token, body: { messages: batchOf(ids, 'vol') } });
    assert.equal(again.status, 202, again.text);
    assert.deepEqual(again.json.items.map((item: { id: string }) => item.id), messageIds, 'the same keys give the same ids');
    await api.backend.idle();
    assert.equal(server.accepted.length, 20, 'nothing was sent twice');

    const status = await api.request('GET', '/v1/email-settings/main', { token });
    assert.equal(status.json.status, 'verified', 'limits never turn the settings failing');
  });
});

describe('POST /v1/messages/batch', () => {
  it('answers each message in order, its own error for an unknown candidate or an invalid field; more than 500 is a 400', async () => {
    const token = await api.token('batchy');
    const [known] = await candidates(token, 'batchy', 1);
    const messages = [
      { candidateId: known, idempotencyKey: 'b-1', subject: 'Hello', text: 'Hi' },
      { candidateId: 'nobody-here', idempotencyKey: 'b-2', subject: 'Hello', text: 'Hi' },
      { candidateId: known, idempotencyKey: 'b-3', subject: 'Hello' },
      { candidateId: known, subject: 'Hello', text: 'no key' },
    ];
    const answer = await api.request('POST', '/v1/messages/batch', { token, body: { messages } });
    assert.equal(answer.status, 202, answer.text);
    const [ok, unknown, invalid, noKey] = answer.json.items;
    assert.match(ok.id, /\S/);
    assert.equal(unknown.error.code, 'NOT_FOUND');
    assert.equal(invalid.error.code, 'VALIDATION_FAILED');
    assert.ok(invalid.error.details.some((issue: { path: string }) => issue.path === 'messages.2.text'), JSON.stringify(invalid));
    assert.ok(noKey.error.details.some((issue: { path: string }) => issue.path === 'messages.3.idempotencyKey'), JSON.stringify(noKey));

    const tooMany = Array.from({ length: 501 }, (_, index) => ({ candidateId: known, idempotencyKey: `x-${index}`, subject: 'x', text: 'x' }));
    const refused = await api.request('POST', '/v1/messages/batch', { token, body: { messages: tooMany } });
    assert.equal(refused.status, 400, refused.text);
    // 500 small messages fit the body limit.
    const most = await api.request('POST', '/v1/messages/batch', { token, body: { messages: tooMany.slice(0, 500).map((message) => ({ ...message, candidateId: 'nobody-here' })) } });
    assert.equal(most.status, 202, most.text.slice(0, 300));
    assert.equal(most.json.items.length, 500);
  });
});

describe('the day budget', () => {
  it('splits a batch between the company server and the default provider with SENDER_QUOTA_EXCEEDED; the settings stay verified', async () => {
    const server = await limitedServer({ users: { 'jobs@daily.test': PASSWORD } });
    const { token } = await configure('daily', server.port, 'jobs@daily.test', { limits: { maxConnections: 3, perMinute: null, perDay: 4 } });
    const ids = await candidates(token, 'day', 10);
    const batch = await api.request('POST', '/v1/messages/batch', { token, body: { messages: batchOf(ids, 'day') } });
    assert.equal(batch.status, 202, batch.text);
    const messages = await deliveredAll(token, batch.json.items.map((item: { id: string }) => item.id));
    const viaSmtp = messages.filter((message) => message.provider === 'smtp');
    const viaDefault = messages.filter((message) => message.provider === 'default');
    assert.equal(viaSmtp.length, 4, JSON.stringify(messages.map((message) => [message.provider, message.fallbackReason])));
    assert.equal(viaDefault.length, 6);
    for (const message of viaDefault) {
      assert.equal(message.status, 'sent');
      assert.equal(message.fallbackReason, 'SENDER_QUOTA_EXCEEDED');
    }
    assert.equal(server.accepted.length, 4);
    assert.equal((await api.request('GET', '/v1/email-settings/main', { token })).json.status, 'verified');
  });
});

describe('the providers\' quota answers, in sending and in the test button', () => {
  it('Microsoft 365: 554 5.2.0 SubmissionQuotaExceeded after DATA falls back with SENDER_QUOTA_EXCEEDED, settings verified', async () => {
    const server = await limitedServer({ users: { 'jobs@msquota.test': PASSWORD }, perDay: 2, answerLike: 'microsoft' });
    const { token } = await configure('msquota', server.port, 'jobs@msquota.test', { limits: { maxConnections: 3, perMinute: null, perDay: null } });
    const ids = await candidates(token, 'msq', 4);
    const batch = await api.request('POST', '/v1/messages/batch', { token, body: { messages: batchOf(ids, 'msq') } });
    const messages = await deliveredAll(token, batch.json.items.map((item: { id: string }) => item.id));
    assert.equal(messages.filter((message) => message.provider === 'smtp').length, 2);
    const fellBack = messages.filter((message) => message.provider === 'default');
    assert.equal(fellBack.length, 2);
    assert.ok(fellBack.every((message) => message.status === 'sent' && message.fallbackReason === 'SENDER_QUOTA_EXCEEDED'), JSON.stringify(fellBack));
    assert.ok(server.refusedForQuota() >= 1);
    assert.equal((await api.request('GET', '/v1/email-settings/main', { token })).json.status, 'verified');
  });

  it('Gmail: 550 5.4.5 at MAIL FROM is SENDER_QUOTA_EXCEEDED in sending and in the test button, which leaves the status alone', async () => {
    const server = await limitedServer({ users: { 'jobs@gquota.test': PASSWORD }, perDay: 1, answerLike: 'gmail', size: 10_240_000 });
    const { token } = await configure('gquota', server.port, 'jobs@gquota.test', { limits: { maxConnections: null, perMinute: null, perDay: null } });
    const ids = await candidates(token, 'gq', 2);
    const batch = await api.request('POST', '/v1/messages/batch', { token, body: { messages: batchOf(ids, 'gq') } });
    const messages = await deliveredAll(token, batch.json.items.map((item: { id: string }) => item.id));
    const fellBack = messages.filter((message) => message.provider === 'default');
    assert.equal(fellBack.length, 1, JSON.stringify(messages));
    assert.equal(fellBack[0].fallbackReason, 'SENDER_QUOTA_EXCEEDED');

    const test = await api.request('POST', '/v1/email-settings/main/test', { token, body: {} });
    assert.equal(test.status, 200, test.text);
    assert.equal(test.json.ok, false);
    assert.equal(test.json.stage, 'mail_from');
    assert.equal(test.json.code, 'SENDER_QUOTA_EXCEEDED');
    assert.match(test.json.smtpResponse, /5\.4\.5/);
    assert.equal(test.json.sizeLimit, 10_240_000, 'the test reports the server\'s SIZE');
    const settings = (await api.request('GET', '/v1/email-settings/main', { token })).json;
    assert.equal(settings.status, 'verified', 'a quota answer does not mark the configuration failing');
    assert.equal(settings.smtp.sizeLimit, 10_240_000);
  });
});

describe('answers about one message or the mailbox\'s pace', () => {
  let server: MailServer;
  let token: string;
  before(async () => {
    server = await startMailServer({ security: 'starttls', tls, users: { 'jobs@answers.test': PASSWORD } });
    servers.push(server);
    ({ token } = await configure('answers', server.port, 'jobs@answers.test'));
  });
  const sendTo = async (candidate: string) => {
    const [id] = await candidates(token, candidate, 1);
    const accepted = await api.request('POST', `/v1/candidates/${id}/messages`, { token, body: { subject: 'Hello', text: 'Hi' } });
    assert.equal(accepted.status, 202, accepted.text);
    return waitForDelivery(api, token, accepted.json.id, 60_000);
  };
  const status = async () => (await api.request('GET', '/v1/email-settings/main', { token })).json;

  it('432 4.3.2 at RCPT is RATE_LIMITED, retried on the same server, and sent through it; the settings stay verified', async () => {
    server.scriptRcpt('rl-0@candidates.test', '432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded');
    const message = await sendTo('rl');
    assert.equal(message.status, 'sent');
    assert.equal(message.provider, 'smtp');
    assert.equal(message.attempts, 2);
    assert.equal((await status()).status, 'verified');
  });

  it('content refused as spam after DATA (UNKNOWN) falls back without marking the settings failing', async () => {
    server.scriptData('spam-0@candidates.test', '550 5.7.1 Message rejected as spam by Content Filtering');
    const message = await sendTo('spam');
    assert.equal(message.provider, 'default');
    assert.equal(message.fallbackReason, 'UNKNOWN');
    assert.equal((await status()).status, 'verified');
  });

  it('550 5.1.1 fails the message alone', async () => {
    server.scriptRcpt('gone-0@candidates.test', '550 5.1.1 <gone-0@candidates.test>: Recipient address rejected: User unknown');
    const message = await sendTo('gone');
    assert.equal(message.status, 'failed');
    assert.equal(message.error.code, 'RECIPIENT_REJECTED');
    assert.equal((await status()).status, 'verified');
  });

  it('550 5.2.252 continuous-error throttling is SENDER_THROTTLED: falls back and the settings turn failing with the hint', async () => {
    server.scriptData('throttled-0@candidates.test', '550 5.2.252 Sender throttled due to continuous errors');
    const message = await sendTo('throttled');
    assert.equal(message.provider, 'default');
    assert.equal(message.fallbackReason, 'SENDER_THROTTLED');
    const settings = await status();
    assert.equal(settings.status, 'failing');
    assert.equal(settings.failure.code, 'SENDER_THROTTLED');
  });
});

describe('a message larger than the server takes (MESSAGE_TOO_LARGE)', () => {
  it('is announced in the 202, falls back with the server\'s limit stated, and leaves the settings verified; without fallback it fails', async () => {
    const server = await limitedServer({ users: { 'jobs@big.test': PASSWORD, 'strict@big.test': PASSWORD }, size: 20_000 });
    const { token, settings } = await configure('big', server.port, 'jobs@big.test');
    assert.equal(settings.smtp.sizeLimit, 20_000, 'the save\'s test remembered the SIZE');
    const [id] = await candidates(token, 'big', 1);
    const attachment = { filename: 'cv.pdf', contentType: 'application/pdf', contentBase64: Buffer.alloc(30_000, 7).toString('base64') };
    const accepted = await api.request('POST', `/v1/candidates/${id}/messages`, { token, body: { subject: 'Large', text: 'See attached', attachments: [attachment] } });
    assert.equal(accepted.status, 202, accepted.text);
    assert.equal(accepted.json.warnings?.[0]?.code, 'MESSAGE_TOO_LARGE', accepted.text);
    const message = await waitForDelivery(api, token, accepted.json.id);
    assert.equal(message.status, 'sent');
    assert.equal(message.provider, 'default');
    assert.equal(message.fallbackReason, 'MESSAGE_TOO_LARGE');
    assert.equal(server.accepted.length, 0);
    assert.equal((await api.request('GET', '/v1/email-settings/main', { token })).json.status, 'verified');

    const strict = await configure('big-strict', server.port, 'strict@big.test', { fallbackToDefault: false });
    const [other] = await candidates(strict.token, 'strict', 1);
    const refused = await api.request('POST', `/v1/candidates/${other}/messages`, { token: strict.token, body: { subject: 'Large', text: 'See attached', attachments: [attachment] } });
    const failed = await waitForDelivery(api, strict.token, refused.json.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error.code, 'MESSAGE_TOO_LARGE');
    assert.match(failed.error.message, /20000 bytes/);
    assert.equal((await api.request('GET', '/v1/email-settings/main', { token: strict.token })).json.status, 'verified');
  });
});
