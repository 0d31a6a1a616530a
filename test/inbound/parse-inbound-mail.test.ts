import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { parseInboundMail, type AttachmentSink } from '../../shared/inbound/parse-inbound-mail';
import { parameterOnlyContentTypeMail } from '../support/hostile-mime';
import { FIXTURE_DIR, parseFixture, readFixture } from './fixtures';
import { MemoryAttachmentSink } from './memory-attachment-sink';

describe('parseInboundMail', () => {
  it('reads headers, addresses, threading ids, text and html', async () => {
    const mail = await parseFixture('gmail-forward.eml');
    assert.equal(mail.messageId, '<CAGmail-fwd-1@mail.gmail.com>');
    assert.equal(mail.subject, 'Fwd: Application for the backend role');
    assert.deepEqual(mail.from, { address: 'jobs@acme.example', name: 'Acme Jobs' });
    assert.deepEqual(mail.to, [{ address: 'acme-k3f9q2@inbound.localhost' }]);
    assert.equal(mail.date?.toISOString(), '2026-03-03T09:15:00.000Z');
    assert.match(mail.text ?? '', /From: Jana Nováková <jana\.novakova@mail\.example>/);
    assert.match(mail.html ?? '', /gmail_quote/);
    assert.deepEqual(mail.defects, []);
  });

  it('keeps In-Reply-To and References as bracketed ids', async () => {
    const mail = await parseFixture('candidate-reply.eml');
    assert.equal(mail.inReplyTo, '<msg-123@mail.recruiting.example>');
    assert.deepEqual(mail.references, ['<msg-100@mail.recruiting.example>', '<msg-123@mail.recruiting.example>']);
  });

  it('exposes the evidence headers decoded', async () => {
    const redirect = await parseFixture('redirect-resent.eml');
    assert.deepEqual(redirect.headers['resent-from'], ['jobs@acme.example']);
    const group = await parseFixture('google-group-rewritten.eml');
    assert.deepEqual(group.headers['x-original-from'], ['Nia Brooks <nia.brooks@mailbox.example>']);
    assert.deepEqual(group.headers['list-id'], ['<jobs.acme.example>']);
    assert.deepEqual(group.replyTo, [{ address: 'nia.brooks@mailbox.example', name: 'Nia Brooks' }]);
    const bounce = await parseFixture('dsn-bounce.eml');
    assert.equal(bounce.contentType.value, 'multipart/report');
    assert.equal(bounce.contentType.params['report-type'], 'delivery-status');
    assert.deepEqual(bounce.headers['auto-submitted'], ['auto-replied']);
  });

  it('decodes legacy charsets to UTF-8', async () => {
    const german = await parseFixture('outlook-forward-de.eml');
    assert.match(german.text ?? '', /Von: Müller, Jörg <joerg\.mueller@post\.example>/);
    const japanese = await parseFixture('iso-2022-jp.eml');
    assert.equal(japanese.subject, '応募');
    assert.equal(japanese.from?.name, '山田 太郎');
    assert.match(japanese.text ?? '', /よろしくお願いします。/);
    const autoReply = await parseFixture('abwesenheitsnotiz.eml');
    assert.equal(autoReply.subject, 'Abwesenheitsnotiz: Ihre Bewerbung');
  });

  it('streams attachments to the sink and records their metadata', async () => {
    const sink = new MemoryAttachmentSink();
    const mail = await parseInboundMail(readFixture('nasty-html.eml'), sink);
    assert.equal(mail.attachments.length, 1);
    const [image] = mail.attachments;
    assert.equal(image.contentType, 'image/png');
    assert.equal(image.contentId, 'photo@evil.example');
    assert.equal(image.inline, true);
    assert.equal(image.size, 70);
    const stored = sink.stored.get(image.key);
    assert.ok(stored);
    assert.equal(stored.content.length, image.size);
    assert.deepEqual(stored.content.subarray(1, 4), Buffer.from('PNG'));
  });

  it('stores an attached message and also parses it', async () => {
    const sink = new MemoryAttachmentSink();
    const mail = await parseInboundMail(readFixture('forward-as-attachment.eml'), sink);
    assert.equal(mail.attachments.length, 1);
    assert.equal(mail.attachments[0].contentType, 'message/rfc822');
    assert.equal(mail.attachments[0].filename, 'Thank you for the interview.eml');
    assert.match(sink.stored.get(mail.attachments[0].key)?.content.toString() ?? '', /^From: =\?UTF-8\?Q\?Zo=C3=AB_Adeyemi/);
    assert.equal(mail.embeddedMessages.length, 1);
    const inner = mail.embeddedMessages[0];
    assert.equal(inner.attachmentIndex, 0);
    assert.equal(inner.attachedAsFile, true);
    assert.deepEqual(inner.from, { address: 'zoe.adeyemi@fastmail.example', name: 'Zoë Adeyemi' });
    assert.equal(inner.messageId, '<inner-1@fastmail.example>');
    assert.match(inner.text ?? '', /Thank you for your time today/);
    assert.equal(inner.truncated, false);
  });

  it('keeps delivery-status and rfc822-headers parts in memory for bounce handling', async () => {
    const mail = await parseFixture('dsn-bounce.eml');
    const types = mail.reportParts.map((part) => part.contentType);
    assert.deepEqual(types, ['message/delivery-status', 'text/rfc822-headers']);
    assert.match(mail.reportParts[0].content, /Final-Recipient: rfc822; no\.such\.person@mail\.example/);
    // They are attachments too, so nothing of the mail is lost.
    assert.equal(mail.attachments.length, 2);
  });

  it('caps what it keeps of an attached message but still reads its headers', async () => {
    const body = 'x'.repeat(5000);
    const raw = [
      'From: jobs@acme.example',
      'Subject: big attached message',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: message/rfc822',
      'Content-Disposition: attachment; filename="big.eml"',
      '',
      'From: Big Sender <big.sender@mail.example>',
      'Subject: inner',
      '',
      body,
      '--b--',
      '',
    ].join('\r\n');
    const sink = new MemoryAttachmentSink();
    const mail = await parseInboundMail(Buffer.from(raw), sink, { maxRetainedPartBytes: 1024 });
    assert.equal(mail.embeddedMessages[0].truncated, true);
    assert.equal(mail.embeddedMessages[0].from?.address, 'big.sender@mail.example');
    assert.ok(mail.attachments[0].size > 5000, 'the stored part is complete');
  });

  it('bounds the memory kept for attached messages across the whole mail', async () => {
    const part = (n: number): string[] => [
      '--b',
      'Content-Type: message/rfc822',
      `Content-Disposition: attachment; filename="m${n}.eml"`,
      '',
      `From: sender${n}@mail.example`,
      `Subject: message ${n}`,
      '',
      'y'.repeat(300),
    ];
    const raw = ['From: jobs@acme.example', 'Content-Type: multipart/mixed; boundary="b"', '']
      .concat(...Array.from({ length: 6 }, (_, n) => part(n)), ['--b--', ''])
      .join('\r\n');
    const sink = new MemoryAttachmentSink();
    const mail = await parseInboundMail(Buffer.from(raw), sink, { maxRetainedTotalBytes: 1200 });
    assert.equal(mail.attachments.length, 6, 'every part is stored');
    assert.ok(mail.embeddedMessages.length >= 3 && mail.embeddedMessages.length < 6, `${mail.embeddedMessages.length} inspected`);
    assert.ok(mail.defects.some((defect) => defect.includes('memory budget')));
  });

  it('keeps an attachment whose Content-Type is only a parameter (`Content-Type: ; name="x.jpg"`) as opaque bytes under its name', async () => {
    const raw = parameterOnlyContentTypeMail({ from: 'a@mail.example' });
    const sink = new MemoryAttachmentSink();
    const mail = await parseInboundMail(raw, sink);
    assert.equal(mail.text?.trim(), 'hello');
    assert.equal(mail.attachments.length, 1);
    assert.deepEqual({ ...mail.attachments[0], key: '' }, { filename: 'x.jpg', contentType: 'application/octet-stream', size: 5, key: '', inline: false, checksum: mail.attachments[0].checksum });
    assert.equal(sink.stored.get(mail.attachments[0].key)?.content.toString(), 'hello');
  });

  it('never throws on malformed mail, and says what was wrong', async () => {
    const mail = await parseFixture('malformed.eml');
    assert.equal(mail.from, undefined);
    assert.equal(mail.date, undefined);
    assert.ok(mail.text?.includes('half'));
    assert.equal(mail.attachments.length, 1);

    assert.deepEqual(mail.defects, ['the From header names no mailbox', 'the Date header is not a date']);

    // Each broken in one way, and each defect named.
    const garbage: Array<[Buffer, RegExp]> = [
      [Buffer.alloc(0), /^no header fields/],
      [Buffer.from('\u0000\u0001\u0002 not a mail at all'), /^no header fields/],
      [Buffer.from(`From: a@b.example\r\nSubject: ${'a'.repeat(200_000)}\r\n\r\nbody`), /^header field "Subject" \(200011 bytes\) dropped: larger than 65536 bytes/],
      [Buffer.from(`From: a@b.example\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n${'--z\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n'.repeat(2000)}`), /^parse error: Max allowed child nodes exceeded/],
      [Buffer.from('From: a@b.example\r\nDate: the day after tomorrow\r\n\r\nbody'), /^the Date header is not a date$/],
      [Buffer.from('From: nobody at all\r\nSubject: x\r\n\r\nbody'), /^the From header names no mailbox$/],
    ];
    for (const [raw, defect] of garbage) {
      const parsed = await parseInboundMail(raw, new MemoryAttachmentSink());
      assert.ok(parsed.defects.some((line) => defect.test(line)), `${raw.subarray(0, 40).toString('latin1')}…: ${defect} in ${JSON.stringify(parsed.defects)}`);
    }
    // A well-formed mail has none.
    assert.deepEqual((await parseInboundMail(Buffer.from('From: a@b.example\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\nSubject: fine\r\n\r\nbody'), new MemoryAttachmentSink())).defects, []);
  });

  it('parses every fixture without throwing', async () => {
    for (const name of readdirSync(FIXTURE_DIR).filter((file) => file.endsWith('.eml'))) {
      const mail = await parseFixture(name);
      assert.equal(typeof mail.subject, 'string', name);
    }
  });

  it('rejects when the sink fails, so the caller can retry instead of losing the attachment', async () => {
    const failing: AttachmentSink = {
      async put(_name, _type, content) {
        content.resume();
        throw new Error('bucket unavailable');
      },
    };
    await assert.rejects(parseInboundMail(readFixture('nasty-html.eml'), failing), /bucket unavailable/);
  });

  it('rejects when the source stream fails', async () => {
    const source = new Readable({
      read() {
        this.push('From: a@b.example\r\nSubject: x\r\n\r\npartial');
        this.destroy(new Error('connection reset'));
      },
    });
    await assert.rejects(parseInboundMail(source, new MemoryAttachmentSink()), /connection reset/);
  });

  it('streams a 30 MB attachment to the sink without buffering it', async () => {
    const attachmentBytes = 30 * 1024 * 1024;
    // 57 decoded bytes per 76-character base64 line.
    const block = Buffer.alloc(57 * 1024, 'recruiting-mail ');
    const encodedBlock = Buffer.from(
      block
        .toString('base64')
        .match(/.{1,76}/g)!
        .join('\r\n') + '\r\n',
    );
    const blocks = Math.ceil(attachmentBytes / block.length);
    const head = Buffer.from(
      [
        'From: Big Sender <big.sender@mail.example>',
        'To: jobs@acme.example',
        'Subject: portfolio',
        'Content-Type: multipart/mixed; boundary="big"',
        '',
        '--big',
        'Content-Type: text/plain',
        '',
        'Portfolio attached.',
        '--big',
        'Content-Type: application/octet-stream; name="portfolio.bin"',
        'Content-Disposition: attachment; filename="portfolio.bin"',
        'Content-Transfer-Encoding: base64',
        '',
        '',
      ].join('\r\n'),
    );
    const tail = Buffer.from('--big--\r\n');
    let sourceBytes = 0;
    let sent = 0;
    const source = new Readable({
      read() {
        if (sent === 0) {
          sourceBytes += head.length;
          this.push(head);
        }
        if (sent < blocks) {
          sent += 1;
          sourceBytes += encodedBlock.length;
          this.push(encodedBlock);
          return;
        }
        this.push(tail);
        this.push(null);
      },
    });
    const totalSourceBytes = head.length + blocks * encodedBlock.length + tail.length;

    let receivedStream = false;
    let sourceBytesAtFirstChunk = -1;
    let largestChunk = 0;
    const sink: AttachmentSink = {
      async put(name, contentType, content) {
        receivedStream = content instanceof Readable;
        let size = 0;
        for await (const chunk of content) {
          if (sourceBytesAtFirstChunk < 0) sourceBytesAtFirstChunk = sourceBytes;
          largestChunk = Math.max(largestChunk, (chunk as Buffer).length);
          size += (chunk as Buffer).length;
        }
        assert.equal(name, 'portfolio.bin');
        assert.equal(contentType, 'application/octet-stream');
        return { key: 'big-1', size };
      },
    };

    const mail = await parseInboundMail(source, sink);
    assert.equal(receivedStream, true);
    assert.equal(mail.attachments.length, 1);
    assert.equal(mail.attachments[0].size, blocks * block.length);
    assert.equal(mail.attachments[0].key, 'big-1');
    assert.equal(mail.text?.trim(), 'Portfolio attached.');
    // The sink saw data while most of the mail was still unread: nothing was buffered whole.
    assert.ok(sourceBytesAtFirstChunk > 0 && sourceBytesAtFirstChunk < totalSourceBytes / 4, `first chunk at ${sourceBytesAtFirstChunk}`);
    assert.ok(largestChunk < 1024 * 1024, `largest chunk ${largestChunk}`);
  });
});
