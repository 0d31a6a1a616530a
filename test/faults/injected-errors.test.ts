/**
 * Fault suite, storage and table errors injected at the adapter boundary (the BlobStore and
 * MessagesStore interfaces the use cases take): a filing that fails half-way leaves no filed
 * mark and the reconciler files the mail exactly once; a send whose record update fails after
 * the server took the message ends DELIVERY_UNCERTAIN, never sent twice; a send that fails
 * before reaching a server is put back on the queue by the sweeper and sent once.
 */
import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BlobStore } from '../../shared/blob-store';
import { saveScopeSettings } from '../../shared/email-settings/email-settings-service';
import { deliverCandidateMail } from '../../shared/messages/deliver-candidate-mail';
import { fileInboundMail, type FileInboundDeps } from '../../shared/messages/file-inbound-mail';
import { filedMarkKey } from '../../shared/messages/inbound-filing-marks';
import type { MessagesStore } from '../../shared/messages/messages-store';
import { newMessageRecord } from '../../shared/messages/model';
import { reconcileInboundMail } from '../../shared/messages/reconcile-inbound-mail';
import { sweepUnsettledMessages } from '../../shared/messages/sweep-unsettled-messages';
import { newMessageId } from '../../shared/mail/message-id';
import { MemoryBlobStore } from '../support/memory-blob-store';
import { MemoryCandidatesStore } from '../support/memory-candidates-store';
import { MemoryMessagesStore } from '../support/memory-messages-store';
import { inMemoryDeliverDeps, inMemorySettingsDeps, MESSAGE_ID_DOMAIN } from '../support/in-memory-mail-deps';

const INBOUND_DOMAIN = 'inbound.recruiting.example';

/** Wraps an adapter: the named method throws for calls the predicate picks, as a throttled or unreachable service would. */
function failing<T extends object>(target: T, method: keyof T, shouldFail: (...args: any[]) => boolean, error = 'ServiceUnavailable: injected'): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (property !== method || typeof value !== 'function') return typeof value === 'function' ? value.bind(object) : value;
      return async (...args: unknown[]) => {
        if (shouldFail(...args)) throw new Error(error);
        return value.apply(object, args);
      };
    },
  });
}

let clock = new Date('2026-11-27T10:00:00Z');
const now = () => clock;

const company = () => inMemorySettingsDeps({ inboundDomain: INBOUND_DOMAIN, now });

const rawMail = [
  'From: Kwame Boateng <kwame@candidate.example>',
  'To: jobs@acme.example',
  'Subject: My application',
  'Message-ID: <kwame-1@candidate.example>',
  'Date: Fri, 27 Nov 2026 09:00:00 +0000',
  'Content-Type: multipart/mixed; boundary="b"',
  '',
  '--b',
  'Content-Type: text/plain',
  '',
  'Please find my CV attached.',
  '--b',
  'Content-Type: application/pdf; name="cv.pdf"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('%PDF-1.4 cv').toString('base64'),
  '--b--',
  '',
].join('\r\n');

describe('fault suite: errors injected at the adapter boundary', () => {
  it('inbound: a filing that fails on storage or the table is filed once by the reconciler', async () => {
    const { settings, settingsDeps } = company();
    const saved = await saveScopeSettings(settingsDeps, 'acme', 'main', { address: 'jobs@acme.example', mode: 'default' });
    const inboundAddress = saved.settings!.inboundAddress;
    const blobs = new MemoryBlobStore();
    const messages = new MemoryMessagesStore();
    const candidates = new MemoryCandidatesStore();
    const base: FileInboundDeps = { settings, candidates, messages, blobs, inboundDomain: INBOUND_DOMAIN, inboundAddresses: settingsDeps.inboundAddresses, ourDomains: [INBOUND_DOMAIN], now };
    const results: string[] = [];
    for (const [label, deps] of [
      ['body upload fails', { ...base, blobs: failing<BlobStore>(blobs, 'put', (key: string) => key.startsWith('bodies/')) }],
      ['attachment upload fails', { ...base, blobs: failing<BlobStore>(blobs, 'put', (key: string) => key.startsWith('attachments/')) }],
      ['message write fails', { ...base, messages: failing<MessagesStore>(messages, 'create', () => true) }],
      ['mark write fails', { ...base, blobs: failing<BlobStore>(blobs, 'put', (key: string) => key.startsWith('inbound-filed/')) }],
    ] as const) {
      const rawKey = `inbound/${label.replace(/\W+/g, '-')}`;
      // A body over the inline limit (200 KB) goes to storage, where the first case fails.
      // As SES stores it: its Received line names the envelope recipient.
      const received = `Received: from mx.candidate.example by inbound-smtp.eu-west-1.amazonaws.com with SMTP id 1 for ${inboundAddress}; Fri, 27 Nov 2026 09:00:01 +0000\r\n`;
      const mail = received + rawMail.replace('kwame-1@', `${rawKey.slice(8)}@`).replace('Please find my CV attached.', `Please find my CV attached. ${'x'.repeat(210 * 1024)}`);
      await blobs.put(rawKey, Buffer.from(mail), 'message/rfc822');
      await assert.rejects(fileInboundMail(deps, { rawKey, recipients: [inboundAddress], verdicts: { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' }, receivedAt: clock.toISOString() }), /injected/, label);
      results.push(label);
    }
    const unmarked = [...blobs.objects.keys()].filter((key) => key.startsWith('inbound/') && !blobs.objects.has(filedMarkKey(key)));
    assert.equal(unmarked.length, 4, 'no failed filing left a filed mark');

    clock = new Date(clock.getTime() + 3600_000);
    const objects = { list: async function* (prefix: string) { for (const key of blobs.objects.keys()) if (key.startsWith(prefix)) yield { key, lastModified: new Date(clock.getTime() - 1800_000) }; } };
    const report = await reconcileInboundMail({ blobs, objects, file: (delivery) => fileInboundMail(base, delivery), inboundDomain: INBOUND_DOMAIN, now }, { graceSeconds: 60, windowSeconds: 86_400 });
    assert.equal(report.found, 4);
    // The mail whose mark write failed had been filed: refiling it stores nothing new.
    assert.deepEqual(report.reconciled.find((entry) => entry.rawKey.includes('mark'))?.outcomes, ['duplicate']);
    assert.deepEqual(report.failed, []);
    const again = await reconcileInboundMail({ blobs, objects, file: (delivery) => fileInboundMail(base, delivery), inboundDomain: INBOUND_DOMAIN, now }, { graceSeconds: 60, windowSeconds: 86_400 });
    assert.equal(again.found, 0);
    const stored = [...messages.messages.values()].filter((message) => message.direction === 'inbound');
    process.stdout.write(`# injected errors, inbound: accepted 4, findable ${stored.length}, lost ${4 - stored.length}\n`);
    assert.equal(stored.length, 4, `one message per mail (${results.join(', ')})`);
  });

  it('outbound: a failed record update after delivery ends uncertain; a storage error before it is requeued and sent once', async () => {
    const { settingsDeps } = company();
    await saveScopeSettings(settingsDeps, 'acme', 'main', {
      address: 'jobs@acme.example',
      mode: 'smtp',
      smtp: { host: 'smtp.acme.example', port: 587, security: 'starttls', username: 'jobs@acme.example', password: 'secret-pw-1' },
    });
    const { deps, messages, blobs, smtp, queue } = inMemoryDeliverDeps({ settingsDeps });
    const queued = async (id: string, fields = {}) => {
      await messages.create(
        newMessageRecord({ id, companyId: 'acme', scope: 'main', direction: 'outbound', status: 'queued', createdAt: clock.toISOString(), candidateId: 'c1', to: [{ address: 'c@candidate.example', name: null }], subject: id, text: 'Hello', messageIdHeader: newMessageId(MESSAGE_ID_DOMAIN), ...fields }),
      );
    };
    await queued('msg_after_send');
    await queued('msg_before_send', { attachments: [{ id: '0', filename: 'cv.pdf', contentType: 'application/pdf', size: 3, key: 'outbound/cv', contentId: null, inline: false }] });
    await blobs.put('outbound/cv', Buffer.from('pdf'), 'application/pdf');

    // The table refuses the final update once the server took the message.
    const updateFails = failing<MessagesStore>(messages, 'update', (_id: string, changes: { status?: string }) => changes.status === 'sent');
    await assert.rejects(deliverCandidateMail({ ...deps, messages: updateFails }, 'msg_after_send'), /injected/);
    // Storage refuses the attachment before any server is contacted: an interrupted attempt,
    // back on the queue with backoff (interrupted-attempts.ts).
    assert.equal(await deliverCandidateMail({ ...deps, blobs: failing<BlobStore>(blobs, 'getBuffer', () => true) }, 'msg_before_send'), 'retrying');
    assert.equal(messages.messages.get('msg_after_send')!.status, 'sending');
    assert.equal(messages.messages.get('msg_before_send')!.status, 'queued');
    assert.equal(messages.messages.get('msg_before_send')!.error?.code, 'DELIVERY_ERROR');

    clock = new Date(clock.getTime() + 600_000);
    const report = await sweepUnsettledMessages({ messages, queue, now }, { leaseSeconds: 120, queuedStaleSeconds: 1200, batch: 100, maxInterruptedAttempts: 3 });
    assert.deepEqual(Object.fromEntries(report.settled.map((s) => [s.messageId, s.outcome])), { msg_after_send: 'uncertain' });
    for (const { job } of queue.jobs) await deliverCandidateMail(deps, job.messageId);
    const delivered = smtp.accepted.map((attempt) => attempt.message.envelope.to.join(',') + ' ' + /Subject: (\S+)/.exec(String(attempt.message.raw))?.[1]);
    process.stdout.write(`# injected errors, outbound: accepted 2, sent ${[...messages.messages.values()].filter((m) => m.status === 'sent').length}, uncertain 1, deliveries ${delivered.length}\n`);
    assert.equal(messages.messages.get('msg_after_send')!.error?.code, 'DELIVERY_UNCERTAIN');
    assert.equal(messages.messages.get('msg_before_send')!.status, 'sent');
    assert.equal(smtp.accepted.length, 2, 'each message reached the server exactly once');
  });
});
