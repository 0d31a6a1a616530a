/**
 * An inbound mail that would not fit one DynamoDB item (400 KB) is filed anyway, against
 * dynalite, which enforces the limit: long address lists and References are cut (and the cut
 * named on the message), the body goes to the bucket when the item cannot hold it, and a mail
 * of thousands of parts stores the first 100 (the rest stays in the raw mail, said on the message).
 * Without the caps the first mail's item is refused by dynalite (`ValidationException: Item size
 * has exceeded the maximum allowed size`): before, on every retry; now it would be set aside.
 */
import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_MAX_STORED_PARTS } from '../../shared/inbound/parse-inbound-mail';
import { fileInboundMail } from '../../shared/messages/file-inbound-mail';
import { INBOUND_ITEM_BUDGET, INBOUND_RECORD_CAPS, itemSize } from '../../shared/messages/inbound-record-limits';
import { loadBody } from '../../shared/messages/message-body';
import { startInboundStores, type InboundStores } from '../support/inbound-stores';

let stores: InboundStores;
before(async () => {
  stores = await startInboundStores();
});
after(async () => {
  await stores?.stop();
});

const PASS = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' };

async function file(rawKey: string, raw: string) {
  await stores.deps.blobs.put(rawKey, Buffer.from(raw), 'message/rfc822');
  const [outcome] = await fileInboundMail(stores.deps, { rawKey, recipients: [stores.company.inboundAddress], verdicts: PASS, receivedAt: new Date().toISOString() });
  assert.ok(outcome.result === 'unassigned', `unassigned, not set aside or failed: ${JSON.stringify(outcome)}`);
  const message = await stores.deps.messages.get(outcome.messageId);
  assert.ok(message);
  return message;
}

/** A header field of `count` addresses, folded, each field under the 64 KB a field may have. */
const addressField = (name: string, count: number, tag: string) =>
  `${name}: ${Array.from({ length: count }, (_, i) => `"Recipient ${tag} ${i}" <r${i}.${tag}@list.example>`).join(',\r\n ')}`;

describe('inbound mail near the item limit (dynalite)', () => {
  it('a large HTML body with long address lists and References is filed within the item limit, what was cut named', async () => {
    // Its html and the text made of it (about 190 KB together) are what the item takes inline on its own.
    const html = `<html><body>${'<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n'.repeat(1500)}</body></html>`;
    const references = `References: ${Array.from({ length: 1200 }, (_, i) => `<thread-${i}.${'x'.repeat(20)}@mail.example>`).join('\r\n ')}`;
    const raw = [
      'From: Big Sender <big@sender.example>',
      addressField('To', 1200, 'to'),
      addressField('Cc', 1200, 'cc'),
      addressField('Reply-To', 1200, 'rt'),
      references,
      'Message-ID: <big-1@sender.example>',
      `Subject: ${'A long subject '.repeat(300)}`,
      'Content-Type: text/html; charset=utf-8',
      '',
      html,
    ].join('\r\n');
    const message = await file('inbound/near-limit', raw);
    assert.equal(message.to.length, INBOUND_RECORD_CAPS.addresses);
    assert.equal(message.cc.length, INBOUND_RECORD_CAPS.addresses);
    assert.equal(message.replyTo.length, INBOUND_RECORD_CAPS.addresses);
    assert.equal(message.references.length, INBOUND_RECORD_CAPS.references);
    assert.equal(message.references.at(-1), '<thread-1199.xxxxxxxxxxxxxxxxxxxx@mail.example>', 'the nearest References are kept');
    assert.equal(message.subject.length, INBOUND_RECORD_CAPS.subjectLength);
    for (const cut of ['to: 1200 entries', 'cc: 1200 entries', 'reply-to: 1200 entries', 'references: 1200 entries', 'subject: ']) {
      assert.ok(message.omissions.some((line) => line.startsWith(cut)), `${cut} named in ${JSON.stringify(message.omissions)}`);
    }
    assert.ok(itemSize(message) <= INBOUND_ITEM_BUDGET, `item ${itemSize(message)} bytes`);
    const body = await loadBody(stores.deps.blobs, message);
    assert.equal((body.html ?? '').match(/Lorem ipsum/g)?.length, 1500, 'the body is kept whole');
  });

  it('a mail of 3,000 parts stores the first 100 and says the rest is in the raw mail', async () => {
    const parts = Array.from({ length: 3000 }, (_, i) => `--p\r\nContent-Type: application/octet-stream; name="part-${i}.bin"\r\nContent-Disposition: attachment; filename="part-${i}.bin"\r\n\r\npart ${i}`);
    const raw = ['From: many@parts.example', 'Subject: many parts', 'Message-ID: <parts-1@parts.example>', 'Content-Type: multipart/mixed; boundary="p"', '', '--p', 'Content-Type: text/plain', '', 'see the parts', ...parts, '--p--', ''].join('\r\n');
    const message = await file('inbound/many-parts', raw);
    assert.equal(message.attachments.length, DEFAULT_MAX_STORED_PARTS);
    assert.equal(message.attachments[99].filename, 'part-99.bin');
    // The parser itself gives up after about 1,000 parts (mailsplit's limit): that is named too.
    assert.ok(message.omissions.some((line) => line.endsWith(`attachments past the first ${DEFAULT_MAX_STORED_PARTS} are only in the raw mail`)), JSON.stringify(message.omissions));
    assert.ok(message.omissions.includes('not parsed: parse error: Max allowed child nodes exceeded'), JSON.stringify(message.omissions));
  });
});
