import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InboundDelivery } from '../../shared/messages/file-inbound-mail';
import { envelopeKey, filedMarkKey } from '../../shared/messages/inbound-filing-marks';
import { recipientsFromHeaders, reconcileInboundMail, reconcileStoredMail, type StoredObject } from '../../shared/messages/reconcile-inbound-mail';
import { objectCreatedNotification, storedMailOf } from '../../shared/messages/stored-mail-events';
import { MemoryBlobStore } from '../support/memory-blob-store';

const NOW = new Date('2026-11-27T12:00:00Z');
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);

function setup(objects: Array<StoredObject & { raw: string }>) {
  const blobs = new MemoryBlobStore();
  for (const object of objects) blobs.objects.set(object.key, { body: Buffer.from(object.raw), contentType: 'message/rfc822' });
  const filed: InboundDelivery[] = [];
  const deps = {
    blobs,
    objects: { list: async function* (prefix: string) { for (const object of objects) if (object.key.startsWith(prefix)) yield object; } },
    file: async (delivery: InboundDelivery) => {
      filed.push(delivery);
      await blobs.put(filedMarkKey(delivery.rawKey), Buffer.from('{}'), 'application/json');
      return [{ companyId: 'acme', scope: 'main', result: 'unassigned' as const, messageId: 'inb_1', match: null }];
    },
    inboundDomain: 'inbound.example',
    now: () => NOW,
  };
  return { deps, blobs, filed };
}

const raw = (headers: string[]) => [...headers, 'Subject: hi', '', 'body', ''].join('\r\n');

describe('reconcileInboundMail', () => {
  it('files stored mail without a filed mark, within the window only, once', async () => {
    const t = setup([
      { key: 'inbound/old', lastModified: minutesAgo(60 * 24 * 10), raw: raw(['To: acme@inbound.example']) },
      { key: 'inbound/unfiled', lastModified: minutesAgo(30), raw: raw(['To: acme@inbound.example']) },
      { key: 'inbound/filed', lastModified: minutesAgo(30), raw: raw(['To: acme@inbound.example']) },
      { key: 'inbound/in-flight', lastModified: minutesAgo(1), raw: raw(['To: acme@inbound.example']) },
    ]);
    await t.blobs.put(filedMarkKey('inbound/filed'), Buffer.from('{}'), 'application/json');
    const window = { graceSeconds: 300, windowSeconds: 3 * 24 * 3600 };

    const first = await reconcileInboundMail(t.deps, window);
    assert.equal(first.examined, 2);
    assert.equal(first.found, 1);
    assert.deepEqual(first.reconciled, [{ rawKey: 'inbound/unfiled', outcomes: ['unassigned'] }]);
    assert.deepEqual(t.filed.map((delivery) => delivery.rawKey), ['inbound/unfiled']);
    assert.deepEqual(t.filed[0].recipients, ['acme@inbound.example']);

    const second = await reconcileInboundMail(t.deps, window);
    assert.equal(second.found, 0, 'a reconciled mail is marked and not filed again');
    assert.equal(t.filed.length, 1);
  });

  it('uses the envelope the listener stored, else the headers; a failure is reported and retried next run', async () => {
    const t = setup([
      { key: 'inbound/with-envelope', lastModified: minutesAgo(30), raw: raw(['To: jobs@acme.example']) },
      { key: 'inbound/from-ses', lastModified: minutesAgo(30), raw: raw(['X-SES-Virus-Verdict: FAIL', 'Received: from mx.sender.example by inbound-smtp.eu-west-1.amazonaws.com with SMTP id abc\r\n for berlin+x@Inbound.Example; Fri, 27 Nov 2026 11:00:00 +0000', 'To: jobs@acme.example']) },
    ]);
    await t.blobs.put(envelopeKey('inbound/with-envelope'), Buffer.from(JSON.stringify({ recipients: ['acme@inbound.example'], source: 'a@b.example', receivedAt: '2026-11-27T11:30:00.000Z' })), 'application/json');
    const report = await reconcileInboundMail(t.deps, { graceSeconds: 0, windowSeconds: 3600 });
    assert.equal(report.found, 2);
    const byKey = Object.fromEntries(t.filed.map((delivery) => [delivery.rawKey, delivery]));
    assert.deepEqual(byKey['inbound/with-envelope'].recipients, ['acme@inbound.example']);
    assert.equal(byKey['inbound/with-envelope'].receivedAt, '2026-11-27T11:30:00.000Z');
    assert.deepEqual(byKey['inbound/from-ses'].recipients, ['berlin+x@inbound.example']);
    assert.equal(byKey['inbound/from-ses'].verdicts.virus, 'FAIL');

    const failing = setup([{ key: 'inbound/broken', lastModified: minutesAgo(30), raw: raw(['To: acme@inbound.example']) }]);
    failing.deps.file = async () => {
      throw new Error('table unavailable');
    };
    const failed = await reconcileInboundMail(failing.deps, { graceSeconds: 0, windowSeconds: 3600 });
    assert.deepEqual(failed.failed, [{ rawKey: 'inbound/broken', error: 'table unavailable' }]);
    assert.equal(await failing.blobs.exists(filedMarkKey('inbound/broken')), false, 'no mark: the next run tries again');
  });

  it('recipients from headers: only addresses at the inbound domain, Received "for" first', () => {
    const header = ['Received: by mx with SMTP id 1 for <a@inbound.example>;', 'Delivered-To: b@inbound.example', 'To: "Jobs" <jobs@acme.example>, c@INBOUND.example', 'Cc: d@other.example'].join('\r\n');
    assert.deepEqual(recipientsFromHeaders(header, 'inbound.example'), ['a@inbound.example', 'b@inbound.example', 'c@inbound.example']);
  });

  it('from events: checks only the mail named, files those without a mark, ignores other prefixes', async () => {
    const t = setup([
      { key: 'inbound/unfiled', lastModified: minutesAgo(20), raw: raw(['To: acme@inbound.example']) },
      { key: 'inbound/filed', lastModified: minutesAgo(20), raw: raw(['To: acme@inbound.example']) },
      { key: 'inbound/not-named', lastModified: minutesAgo(20), raw: raw(['To: acme@inbound.example']) },
    ]);
    await t.blobs.put(filedMarkKey('inbound/filed'), Buffer.from('{}'), 'application/json');
    const named = [
      ...storedMailOf(objectCreatedNotification('inbound/unfiled', minutesAgo(20))),
      ...storedMailOf(objectCreatedNotification('inbound/filed', minutesAgo(20))),
      ...storedMailOf(objectCreatedNotification('inbound-envelopes/unfiled.json', minutesAgo(20))),
    ];
    const report = await reconcileStoredMail(t.deps, named);
    assert.equal(report.examined, 2);
    assert.deepEqual(report.reconciled, [{ rawKey: 'inbound/unfiled', outcomes: ['unassigned'] }]);
    assert.deepEqual(t.filed.map((delivery) => delivery.rawKey), ['inbound/unfiled']);
  });

  it("reads S3's notifications: created objects under inbound/ with their URL-encoded keys; test events and removals name nothing", () => {
    const at = '2026-11-27T11:00:00.000Z';
    assert.deepEqual(
      storedMailOf({ Records: [{ eventName: 'ObjectCreated:Put', eventTime: at, s3: { object: { key: 'inbound/a+b%3Dc' } } }] }),
      [{ key: 'inbound/a b=c', lastModified: new Date(at) }],
    );
    assert.deepEqual(storedMailOf(objectCreatedNotification('inbound/x y=z', new Date(at))), [{ key: 'inbound/x y=z', lastModified: new Date(at) }]);
    assert.deepEqual(storedMailOf({ Service: 'Amazon S3', Event: 's3:TestEvent' }), []);
    assert.deepEqual(storedMailOf({ Records: [{ eventName: 'ObjectRemoved:Delete', s3: { object: { key: 'inbound/a' } } }] }), []);
    assert.deepEqual(storedMailOf(null), []);
  });
});
