/**
 * Property tests over the structure of mail, not one sample: MIME trees with hostile header
 * values (empty, missing, duplicated, parameter-only, non-ASCII, 64 KB long, of another type
 * after decoding) through the real parser (in memory), and through the real filing path
 * against dynalite and s3rver: nothing escapes as an exception, and every mail is findable,
 * filed, unassigned or set aside with its parse error.
 */
import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { OPAQUE_MEDIA_TYPE } from '../../shared/inbound/safe-header-value';
import { parseInboundMail } from '../../shared/inbound/parse-inbound-mail';
import { fileInboundMail } from '../../shared/messages/file-inbound-mail';
import { filedMarkKey } from '../../shared/messages/inbound-filing-marks';
import { hostileMail } from '../support/hostile-mime';
import { startInboundStores, type InboundStores } from '../support/inbound-stores';
import { MemoryAttachmentSink } from './memory-attachment-sink';

const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/;

describe('hostile MIME trees: the parser', () => {
  it('parses every tree without an exception, and hands on only safe values', async () => {
    await fc.assert(
      fc.asyncProperty(hostileMail, async (raw) => {
        const sink = new MemoryAttachmentSink();
        const mail = await parseInboundMail(raw, sink);
        assert.equal(typeof mail.subject, 'string');
        assert.ok(Array.isArray(mail.defects) && mail.defects.every((defect) => typeof defect === 'string'));
        for (const list of [mail.to, mail.cc, mail.replyTo, mail.fromAll]) assert.ok(list.every((entry) => typeof entry.address === 'string' && entry.address.includes('@')));
        assert.ok(mail.references.every((id) => typeof id === 'string'));
        for (const attachment of mail.attachments) {
          assert.ok(attachment.contentType === OPAQUE_MEDIA_TYPE || MEDIA_TYPE.test(attachment.contentType), attachment.contentType);
          assert.ok(attachment.filename === undefined || (typeof attachment.filename === 'string' && attachment.filename.length <= 255 && !/[\u0000-\u001f/\\]/.test(attachment.filename)));
          assert.equal(sink.stored.get(attachment.key)?.content.length, attachment.size);
        }
        for (const values of Object.values(mail.headers)) assert.ok(values.every((value) => typeof value === 'string'));
      }),
      { numRuns: 300 },
    );
  });
});

describe('hostile MIME trees: the filing, against dynalite and s3rver', () => {
  let stores: InboundStores;
  before(async () => {
    stores = await startInboundStores();
  });
  after(async () => {
    await stores?.stop();
  });

  it('files or sets aside every tree: no exception escapes, each mail is findable and marked filed', async () => {
    const { deps, company } = stores;
    let count = 0;
    await fc.assert(
      fc.asyncProperty(hostileMail, async (raw) => {
        const rawKey = `inbound/hostile-${count++}`;
        await deps.blobs.put(rawKey, raw, 'message/rfc822');
        const outcomes = await fileInboundMail(deps, { rawKey, recipients: [company.inboundAddress], verdicts: { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' }, receivedAt: new Date().toISOString() });
        assert.equal(outcomes.length, 1);
        const [outcome] = outcomes;
        assert.ok(['filed', 'unassigned', 'parse_error', 'duplicate', 'ignored_loop'].includes(outcome.result), outcome.result);
        if (outcome.result !== 'ignored_loop') {
          const message = await deps.messages.get(outcome.messageId);
          assert.ok(message, `message ${outcome.messageId} (${outcome.result}) is stored`);
          if (outcome.result === 'unassigned' || outcome.result === 'parse_error') assert.equal(message.candidateId, null);
          if (outcome.result === 'parse_error') assert.ok(message.verdicts?.parseError);
        }
        assert.ok(await deps.blobs.exists(filedMarkKey(rawKey)), 'marked filed');
      }),
      { numRuns: 40 },
    );
  });
});
