/**
 * The default provider's delivery events end to end on the local backend: the local SES plays
 * SES's mailbox simulator and hands its events (SES's event JSON, with our tags and the
 * configuration set) to the delivery-event handler; the API shows each message's `delivery`,
 * the company's suppressions and its `defaultProvider` standing.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type TestBackend, startTestBackend } from '../support/test-backend';

// Low enough to reach in a test; the rates are the deployment's defaults.
const MIN_SENDS = 6;

let api: TestBackend;

before(async () => {
  api = await startTestBackend({ DEFAULT_PROVIDER_MIN_SENDS: String(MIN_SENDS) });
});
after(async () => {
  await api?.stop();
});

let candidates = 0;
/** Sends one mail to `address` as `companyId` (a candidate of its own) and waits until every queue is idle. */
async function sendTo(companyId: string, address: string): Promise<any> {
  const token = await api.token(companyId, ['admin', 'recruiter']);
  const candidateId = `cand-${++candidates}`;
  assert.equal((await api.request('PUT', `/v1/candidates/${candidateId}`, { token, body: { emails: [address], name: 'Ann' } })).status, 200);
  const queued = await api.request('POST', `/v1/candidates/${candidateId}/messages`, { token, body: { subject: 'Your interview', text: 'Hi Ann' } });
  assert.equal(queued.status, 202, queued.text);
  await api.backend.idle();
  return (await api.request('GET', `/v1/messages/${queued.json.id}`, { token })).json;
}

const sesMailsTo = async (address: string) => {
  const { emails } = (await (await fetch(api.backend.sesStoreUrl)).json()) as { emails: { destination: { to: string[] } }[] };
  return emails.filter((email) => email.destination.to.some((to) => to.includes(address))).length;
};

describe("SES's mailbox simulator gives each message its delivery", () => {
  it('success@: delivered, the message stays sent', async () => {
    const message = await sendTo('sim-co', 'success@simulator.amazonses.com');
    assert.equal(message.status, 'sent');
    assert.equal(message.provider, 'default');
    assert.equal(message.delivery.status, 'delivered');
    assert.ok(Date.parse(message.delivery.at));
  });

  it('bounce@: bounced (Permanent) with the diagnostic, the message failed with BOUNCED', async () => {
    const message = await sendTo('sim-co', 'bounce@simulator.amazonses.com');
    assert.equal(message.status, 'failed');
    assert.equal(message.error.code, 'BOUNCED');
    assert.match(message.error.message, /550 5\.1\.1/);
    assert.deepEqual(
      { status: message.delivery.status, bounceType: message.delivery.bounceType, diagnostic: message.delivery.diagnostic },
      { status: 'bounced', bounceType: 'Permanent', diagnostic: 'smtp; 550 5.1.1 user unknown' },
    );
    assert.equal(message.bounce.recipient, 'bounce@simulator.amazonses.com');
  });

  it('complaint@: delivered, then complained; the message stays sent', async () => {
    const message = await sendTo('sim-co', 'complaint@simulator.amazonses.com');
    assert.equal(message.status, 'sent');
    assert.equal(message.delivery.status, 'complained');
    assert.equal(message.delivery.diagnostic, 'abuse');
  });

  it("suppressionlist@: bounced as on the account's suppression list, failed", async () => {
    const message = await sendTo('sim-co', 'suppressionlist@simulator.amazonses.com');
    assert.equal(message.status, 'failed');
    assert.equal(message.error.code, 'BOUNCED');
    assert.equal(message.delivery.bounceType, 'Permanent');
    assert.match(message.delivery.diagnostic, /suppression list/);
  });

  it('ooto@ (with a +label): delivered', async () => {
    const message = await sendTo('sim-co', 'ooto+label-1@simulator.amazonses.com');
    assert.equal(message.status, 'sent');
    assert.equal(message.delivery.status, 'delivered');
  });

  it('lists what bounced and complained as the company’s suppressions', async () => {
    const token = await api.token('sim-co', ['recruiter']);
    const page = await api.request('GET', '/v1/suppressions', { token });
    assert.equal(page.status, 200);
    assert.deepEqual(
      page.json.items.map((item: any) => [item.address, item.reason]),
      [
        ['bounce@simulator.amazonses.com', 'bounce'],
        ['complaint@simulator.amazonses.com', 'complaint'],
        ['suppressionlist@simulator.amazonses.com', 'bounce'],
      ],
    );
    const first = await api.request('GET', '/v1/suppressions?limit=2', { token });
    assert.equal(first.json.items.length, 2);
    const rest = await api.request('GET', `/v1/suppressions?limit=2&cursor=${first.json.nextCursor}`, { token });
    assert.deepEqual(rest.json.items.map((item: any) => item.address), ['suppressionlist@simulator.amazonses.com']);
    assert.equal(rest.json.nextCursor, null);
    assert.equal((await api.request('GET', '/v1/suppressions?cursor=bm90LWEtY3Vyc29y', { token })).status, 400);
  });
});

describe('suppression per company', () => {
  const address = 'bounce+c1@simulator.amazonses.com';

  it('a permanent bounce stops that company, and only that company, from sending to the address through the default provider', async () => {
    assert.equal((await sendTo('supp-a', address)).error.code, 'BOUNCED');
    const sesBefore = await sesMailsTo(address);

    const again = await sendTo('supp-a', address);
    assert.equal(again.status, 'failed');
    assert.equal(again.error.code, 'RECIPIENT_SUPPRESSED');
    assert.match(again.error.hint, /DELETE \/v1\/suppressions/);
    assert.equal(again.provider, 'default');
    assert.equal(await sesMailsTo(address), sesBefore, 'no SES call');

    const other = await sendTo('supp-b', address);
    assert.equal(other.error.code, 'BOUNCED', 'another company still sends (and learns of its own bounce)');
    assert.equal(await sesMailsTo(address), sesBefore + 1);

    const listedForC = await api.request('GET', '/v1/suppressions', { token: await api.token('supp-c') });
    assert.deepEqual(listedForC.json.items, []);
  });

  it('an admin lifts a suppression; a recruiter may not; an unknown address is 404', async () => {
    const encoded = encodeURIComponent(address);
    assert.equal((await api.request('DELETE', `/v1/suppressions/${encoded}`, { token: await api.token('supp-a', ['recruiter']) })).status, 403);
    assert.equal((await api.request('DELETE', `/v1/suppressions/${encoded}`, { token: await api.token('supp-c') })).status, 404);
    assert.equal((await api.request('DELETE', `/v1/suppressions/${encoded}`, { token: await api.token('supp-a') })).status, 204);
    assert.equal((await api.request('DELETE', `/v1/suppressions/not-an-address`, { token: await api.token('supp-a') })).status, 400);
    const sesBefore = await sesMailsTo(address);
    assert.equal((await sendTo('supp-a', address)).error.code, 'BOUNCED');
    assert.equal(await sesMailsTo(address), sesBefore + 1);
  });
});

describe('the reputation guard', () => {
  it("pauses one company's default provider over the bounce threshold, not another's, and shows it in the settings", async () => {
    for (let i = 0; i < MIN_SENDS - 2; i++) assert.equal((await sendTo('guard-a', `success+g${i}@simulator.amazonses.com`)).status, 'sent');
    assert.equal((await sendTo('guard-a', 'bounce+g1@simulator.amazonses.com')).error.code, 'BOUNCED');
    assert.equal((await sendTo('guard-a', 'bounce+g2@simulator.amazonses.com')).error.code, 'BOUNCED');

    const admin = await api.token('guard-a');
    const settings = await api.request('GET', '/v1/email-settings/main', { token: admin });
    assert.equal(settings.status, 200);
    assert.equal(settings.json.defaultProvider.status, 'paused');
    assert.equal(settings.json.defaultProvider.bounceRate, Math.round((2 / MIN_SENDS) * 1e6) / 1e6);
    assert.equal(settings.json.defaultProvider.complaintRate, 0);
    assert.ok(Date.parse(settings.json.defaultProvider.since));
    const list = await api.request('GET', '/v1/email-settings', { token: admin });
    assert.equal(list.json.items[0].defaultProvider.status, 'paused');

    const sesBefore = await sesMailsTo('success+after@simulator.amazonses.com');
    const paused = await sendTo('guard-a', 'success+after@simulator.amazonses.com');
    assert.equal(paused.status, 'failed');
    assert.equal(paused.error.code, 'DEFAULT_PROVIDER_PAUSED');
    assert.match(paused.error.hint, /own server/);
    assert.equal(await sesMailsTo('success+after@simulator.amazonses.com'), sesBefore);

    const other = await sendTo('guard-b', 'success+other@simulator.amazonses.com');
    assert.equal(other.status, 'sent');
    const otherSettings = await api.request('GET', '/v1/email-settings/main', { token: await api.token('guard-b') });
    assert.deepEqual(otherSettings.json.defaultProvider, { status: 'active', bounceRate: 0, complaintRate: 0, since: null });
  });

  it('an operator lifts the pause (the documented script): the company sends again', async () => {
    const { liftPauseFromCommandLine } = await import('../../scripts/lift-default-provider-pause');
    const lines: string[] = [];
    await liftPauseFromCommandLine(['guard-a'], (line) => lines.push(line));
    assert.match(lines.join('\n'), /guard-a.*active/);
    const message = await sendTo('guard-a', 'success+lifted@simulator.amazonses.com');
    assert.equal(message.status, 'sent');
    const settings = await api.request('GET', '/v1/email-settings/main', { token: await api.token('guard-a') });
    assert.equal(settings.json.defaultProvider.status, 'active');
    assert.ok(Date.parse(settings.json.defaultProvider.since));
  });
});

describe('robustness of the event consumer', () => {
  it('a malformed event is logged and dead-lettered; the next event is still applied', async () => {
    api.backend.deliveryEvents.send('{"source":"aws.ses","detail-type":"Email Bounced","detail":{"eventType":"Bounce","mail":{}}}');
    api.backend.deliveryEvents.send('not json at all');
    const message = await sendTo('robust-co', 'success@simulator.amazonses.com');
    assert.equal(message.delivery.status, 'delivered');
    const file = join(api.backend.dataDir, 'dead-letters', 'delivery-events.jsonl');
    assert.ok(existsSync(file));
    const dead = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    assert.equal(dead.length, 2);
    assert.ok(dead.some((entry) => entry.body === 'not json at all'));
    assert.match(api.output(), /malformed delivery event/);
  });

  it('a duplicate and a reordered event change nothing', async () => {
    const message = await sendTo('robust-co', 'bounce+dup@simulator.amazonses.com');
    assert.equal(message.delivery.status, 'bounced');
    // SES publishes at least once: the same Bounce again, and a (late) Delivery of the same mail.
    const tags = { company: [Buffer.from('robust-co').toString('base64url')], kind: ['candidate-mail'], message: [message.id], 'ses:configuration-set': ['recruiting-mail-local'] };
    const sesMessageId = message.providerMessageIdHeader.slice(1, message.providerMessageIdHeader.indexOf('@'));
    const settingsBefore = (await api.request('GET', '/v1/email-settings/main', { token: await api.token('robust-co') })).json.defaultProvider;
    const mail = { messageId: sesMessageId, timestamp: new Date().toISOString(), destination: ['bounce+dup@simulator.amazonses.com'], tags };
    const bounce = { bounceType: 'Permanent', bounceSubType: 'General', timestamp: message.delivery.at, bouncedRecipients: [{ emailAddress: 'bounce+dup@simulator.amazonses.com', diagnosticCode: message.delivery.diagnostic, status: '5.1.1' }] };
    const envelope = (detail: object) => JSON.stringify({ source: 'aws.ses', 'detail-type': 'x', detail });
    api.backend.deliveryEvents.send(envelope({ eventType: 'Delivery', mail, delivery: { timestamp: new Date(Date.now() + 60_000).toISOString(), recipients: mail.destination } }));
    api.backend.deliveryEvents.send(envelope({ eventType: 'Bounce', mail, bounce }));
    await api.backend.idle();
    const token = await api.token('robust-co');
    const after = (await api.request('GET', `/v1/messages/${message.id}`, { token })).json;
    assert.deepEqual(after.delivery, message.delivery);
    assert.equal(after.status, 'failed');
    const settingsAfter = (await api.request('GET', '/v1/email-settings/main', { token })).json.defaultProvider;
    assert.deepEqual(settingsAfter, settingsBefore, 'the duplicate bounce was not counted twice');
  });
});
