/**
 * One odd mail fails that mail alone. A fault in the mail (a value the parser hands over of a
 * type nobody expected, a throw inside a parser callback or in the filing's own code) sets the
 * mail aside as an unassigned message with a `parseError` verdict, its raw mail kept and its
 * filed mark written, and delivering it again replaces that record; a store that fails still
 * fails the delivery, so that it is retried.
 */
import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { BlobStore } from '../../shared/blob-store';
import { saveScopeSettings } from '../../shared/email-settings/email-settings-service';
import { parseInboundMail } from '../../shared/inbound/parse-inbound-mail';
import { UnparseableMail } from '../../shared/inbound/unparseable-mail';
import { fileInboundMail, type FileInboundDeps, type InboundDelivery } from '../../shared/messages/file-inbound-mail';
import { filedMarkKey } from '../../shared/messages/inbound-filing-marks';
import type { MessagesStore } from '../../shared/messages/messages-store';
import { messageView } from '../../shared/messages/message-view';
import { parameterOnlyContentTypeMail } from '../support/hostile-mime';
import { inMemorySettingsDeps } from '../support/in-memory-mail-deps';
import { MemoryBlobStore } from '../support/memory-blob-store';
import { MemoryCandidatesStore } from '../support/memory-candidates-store';
import { MemoryMessagesStore } from '../support/memory-messages-store';
import { MemoryAttachmentSink } from './memory-attachment-sink';

const INBOUND_DOMAIN = 'inbound.recruiting.example';
const now = () => new Date('2026-12-01T10:00:00Z');
const PASS = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' };

const parameterOnlyContentType = (sender: string) => parameterOnlyContentTypeMail({ from: sender, messageId: 'odd-1@candidate.example' });

async function setUp() {
  const { settings, settingsDeps } = inMemorySettingsDeps({ inboundDomain: INBOUND_DOMAIN, now });
  const saved = await saveScopeSettings(settingsDeps, 'acme', 'main', { address: 'jobs@acme.example', mode: 'default' });
  const inboundAddress = saved.settings!.inboundAddress;
  const blobs = new MemoryBlobStore();
  const messages = new MemoryMessagesStore();
  const candidates = new MemoryCandidatesStore();
  await candidates.put({ companyId: 'acme', id: 'cand-odd', emails: ['odd@candidate.example'], name: 'Odd', scope: 'main', closedAt: null, createdAt: now().toISOString(), updatedAt: now().toISOString(), version: 1 }, null);
  await candidates.indexAddress('acme', 'odd@candidate.example', 'cand-odd');
  const deps: FileInboundDeps = { settings, candidates, messages, blobs, inboundDomain: INBOUND_DOMAIN, inboundAddresses: settingsDeps.inboundAddresses, ourDomains: [INBOUND_DOMAIN], now };
  const deliver = async (rawKey: string, raw: Buffer, use: FileInboundDeps = deps) => {
    // A Message-ID of its own per stored mail, so that mails of one test are not each other's duplicates.
    await blobs.put(rawKey, Buffer.from(raw.toString('latin1').replace('<odd-1@', `<${rawKey.slice(8)}@`), 'latin1'), 'message/rfc822');
    const delivery: InboundDelivery = { rawKey, recipients: [inboundAddress], verdicts: PASS, receivedAt: now().toISOString() };
    return fileInboundMail(use, delivery);
  };
  return { deps, blobs, messages, candidates, deliver };
}

/** Fails the first call with the error, then calls through. */
function onceThen<A extends unknown[], R>(error: Error, call: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  let failed = false;
  return async (...args: A) => {
    if (failed) return call(...args);
    failed = true;
    throw error;
  };
}

describe('one odd mail fails that mail alone', () => {
  it('the parse: a throw inside a parser event callback rejects with UnparseableMail instead of ending the process', async () => {
    // A sink that throws synchronously: the throw happens inside MailParser's 'data' callback.
    const throwing = { put: () => { throw new TypeError('not a function'); } };
    await assert.rejects(parseInboundMail(parameterOnlyContentType('odd@candidate.example'), throwing as never), (error: unknown) => {
      assert.ok(error instanceof UnparseableMail, String(error));
      assert.match(error.reason, /^TypeError: not a function/);
      return true;
    });
    // The same from a stream, as the filing reads it.
    await assert.rejects(parseInboundMail(Readable.from([parameterOnlyContentType('odd@candidate.example')]), throwing as never), UnparseableMail);
    // And the process goes on: the next mail parses.
    const next = await parseInboundMail(parameterOnlyContentType('odd@candidate.example'), new MemoryAttachmentSink());
    assert.equal(next.attachments[0].contentType, 'application/octet-stream');
  });

  it('the crash mail of the report is filed under its candidate, its odd part kept as opaque bytes', async () => {
    const { messages, deliver } = await setUp();
    const [outcome] = await deliver('inbound/crash-mail', parameterOnlyContentType('odd@candidate.example'));
    assert.equal(outcome.result, 'filed');
    const message = await messages.get((outcome as { messageId: string }).messageId);
    assert.equal(message?.candidateId, 'cand-odd');
    assert.deepEqual(message?.attachments.map((a) => [a.filename, a.contentType, a.size]), [['x.jpg', 'application/octet-stream', 5]]);
    assert.equal(message?.verdicts?.parseError, undefined);
  });

  it('a fault in the filing is set aside: unassigned with its parseError verdict and raw mail, marked filed, then replaced when filed again', async () => {
    const { deps, blobs, messages, deliver } = await setUp();
    // The filing's own code meets a value it did not expect (here the classifier, a non-string domain).
    const broken: FileInboundDeps = { ...deps, ourDomains: [INBOUND_DOMAIN, 42 as unknown as string] };
    const rawKey = 'inbound/set-aside';
    const [outcome] = await deliver(rawKey, parameterOnlyContentType('odd@candidate.example'), broken);
    assert.equal(outcome.result, 'parse_error');
    const id = (outcome as { messageId: string }).messageId;
    const setAside = await messages.get(id);
    assert.ok(setAside);
    assert.equal(setAside.status, 'received');
    assert.equal(setAside.candidateId, null);
    assert.match(setAside.verdicts?.parseError ?? '', /^TypeError: /);
    assert.equal(setAside.rawKey, rawKey);
    assert.equal(setAside.subject, 'parameter-only content type', 'what parsed is shown');
    assert.ok(setAside.omissions.some((line) => /only in the raw mail/.test(line)));
    assert.deepEqual((await messages.listUnassigned('acme', { limit: 10 })).items.map((m) => m.id), [id], 'visible under unassigned');
    assert.ok(blobs.objects.has(filedMarkKey(rawKey)), 'settled: the reconciler does not retry it');
    assert.ok(blobs.objects.has(rawKey), 'the raw mail is kept');
    const view = await messageView(setAside, blobs);
    assert.equal(view.verdicts?.parseError, setAside.verdicts?.parseError);
    assert.match(view.rawDownloadUrl ?? '', /set-aside/);

    // After the fix, the same delivery (npm run replay) files it in place of the parse-error record.
    const [again] = await deliver(rawKey, parameterOnlyContentType('odd@candidate.example'));
    assert.deepEqual([again.result, (again as { messageId: string }).messageId], ['filed', id]);
    const filed = await messages.get(id);
    assert.equal(filed?.candidateId, 'cand-odd');
    assert.equal(filed?.verdicts?.parseError ?? null, null);
    assert.deepEqual(filed?.omissions, []);
    assert.deepEqual((await messages.listUnassigned('acme', { limit: 10 })).items, []);
    // Filed once: a further delivery is a duplicate.
    assert.equal((await deliver(rawKey, parameterOnlyContentType('odd@candidate.example')))[0].result, 'duplicate');
  });

  it('a store that fails fails the delivery (it is retried); a store refusing the request as written sets the mail aside', async () => {
    const { deps, deliver, blobs } = await setUp();
    const failingCreate = (error: Error): MessagesStore =>
      new Proxy(deps.messages, {
        get: (target, property) => (property === 'create' ? async () => Promise.reject(error) : Reflect.get(target, property).bind(target)),
      });
    const unavailable = Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' });
    await assert.rejects(deliver('inbound/store-down', parameterOnlyContentType('odd@candidate.example'), { ...deps, messages: failingCreate(unavailable) }), /Service unavailable/);
    assert.equal(blobs.objects.has(filedMarkKey('inbound/store-down')), false, 'not marked: the reconciler retries it');

    const failingRead: BlobStore = new Proxy(blobs, {
      get: (target, property) =>
        property === 'getStream' ? async () => new Readable({ read() { this.destroy(new Error('connection reset')); } }) : Reflect.get(target, property).bind(target),
    });
    await assert.rejects(deliver('inbound/read-fails', parameterOnlyContentType('odd@candidate.example'), { ...deps, blobs: failingRead }), /connection reset/);

    // A refusal of the request itself (an item DynamoDB will never take) is the same on every retry.
    const tooLarge = Object.assign(new Error('Item size has exceeded the maximum allowed size'), { name: 'ValidationException' });
    const refusing = { ...deps, messages: failingCreate(tooLarge) };
    await assert.rejects(deliver('inbound/refused', parameterOnlyContentType('odd@candidate.example'), refusing), /maximum allowed size/, 'the set-aside record is refused too: nothing stored, so it throws');
    const createRefusedOnce = onceThen(tooLarge, deps.messages.create.bind(deps.messages));
    const refusedOnce = { ...deps, messages: new Proxy(deps.messages, { get: (target, property) => (property === 'create' ? createRefusedOnce : Reflect.get(target, property).bind(target)) }) };
    const [setAside] = await deliver('inbound/refused-once', parameterOnlyContentType('odd@candidate.example'), refusedOnce);
    assert.equal(setAside.result, 'parse_error');
    assert.match((await deps.messages.get((setAside as { messageId: string }).messageId))?.verdicts?.parseError ?? '', /ValidationException: Item size/);
  });
});
