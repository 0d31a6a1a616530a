/**
 * The event path against the local stand-ins: raw mail stored under `inbound/` whose receipt
 * invocation never came (as when Lambda's retries ran out) reaches the filer through S3's
 * `ObjectCreated` event and the delayed reconcile queue, as on AWS, without any listing.
 */
import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { filedMarkKey } from '../../shared/messages/inbound-filing-marks';
import { startTestBackend, type TestBackend } from '../support/test-backend';

let api: TestBackend;

before(async () => {
  // The grace period is the queue's delivery delay: one second here, 15 minutes on AWS.
  api = await startTestBackend({ INBOUND_RECONCILE_GRACE_SECONDS: '1' });
});

after(async () => {
  await api?.stop();
});

describe('inbound mail through S3 events', () => {
  it('files raw mail that was stored but never handed to the inbound function, once', async () => {
    const token = await api.token('acme-events');
    const { inboundAddress } = (await api.request('PUT', '/v1/email-settings/main', { token, body: { mode: 'default' } })).json;
    const { createS3BlobStore } = await import('../../shared/adapters/s3-blob-store');
    const blobs = createS3BlobStore();
    const rawKey = 'inbound/ses-message-lost-invocation';
    const raw = [
      `Received: from mx.candidate.example by inbound-smtp.eu-west-1.amazonaws.com with SMTP id 1 for ${inboundAddress}; Fri, 27 Nov 2026 09:00:01 +0000`,
      'From: Kwame Mensah <kwame@candidate.example>',
      `To: ${inboundAddress}`,
      'Subject: My application',
      'Message-ID: <lost-invocation@candidate.example>',
      'Date: Fri, 27 Nov 2026 09:00:00 +0000',
      '',
      'Hello, here is my application.',
      '',
    ].join('\r\n');
    // What SES's S3 action does; no receipt event follows.
    await blobs.put(rawKey, Buffer.from(raw), 'message/rfc822');

    let listed: { subject: string }[] = [];
    for (let attempt = 0; attempt < 200 && listed.length === 0; attempt++) {
      await sleep(100);
      listed = (await api.request('GET', '/v1/messages/unassigned', { token })).json.items;
    }
    assert.deepEqual(listed.map((message) => message.subject), ['My application']);
    // The mark follows the message (written once it is filed).
    let marked = false;
    for (let attempt = 0; attempt < 100 && !marked; attempt++) marked = await blobs.exists(filedMarkKey(rawKey)) || (await sleep(100), false);
    assert.equal(marked, true);

    // Its event again (S3 delivers at least once): the mark says filed, nothing new is stored.
    await api.backend.idle();
    await blobs.put(rawKey, Buffer.from(raw), 'message/rfc822');
    await sleep(2500);
    assert.equal((await api.request('GET', '/v1/messages/unassigned', { token })).json.items.length, 1);
  });
});
