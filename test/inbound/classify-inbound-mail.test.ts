import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { classifyInboundMail } from '../../shared/inbound/classify-inbound-mail';
import { parseInboundMail, type ParsedInboundMail } from '../../shared/inbound/parse-inbound-mail';
import { CORPUS_DIR, parseFixture } from './fixtures';
import { MemoryAttachmentSink } from './memory-attachment-sink';

const CONTEXT = { ourDomains: ['mail.recruiting.example'] };

const withHeaders = (mail: ParsedInboundMail, headers: Record<string, string[]>, subject = mail.subject): ParsedInboundMail => ({
  ...mail,
  subject,
  headers: { ...mail.headers, ...headers },
});

describe('classifyInboundMail', () => {
  it('files people\'s mail as normal', async () => {
    for (const fixture of [
      'gmail-forward.eml',
      'outlook-forward-de.eml',
      'office365-rewritten-from.eml',
      'forward-as-attachment.eml',
      'redirect-resent.eml',
      'google-group-rewritten.eml',
      'candidate-reply.eml',
      'gmail-auto-forward.eml',
      'nasty-html.eml',
      'malformed.eml',
    ]) {
      const result = classifyInboundMail(await parseFixture(fixture), CONTEXT);
      assert.equal(result.kind, 'normal', `${fixture}: ${result.reasons.join('; ')}`);
    }
  });

  it('marks out-of-office replies (Auto-Submitted, X-Autoreply, localised subjects)', async () => {
    const outlook = classifyInboundMail(await parseFixture('out-of-office.eml'), CONTEXT);
    assert.equal(outlook.kind, 'auto_reply');
    assert.ok(outlook.reasons.includes('Auto-Submitted: auto-replied'));
    const german = classifyInboundMail(await parseFixture('abwesenheitsnotiz.eml'), CONTEXT);
    assert.equal(german.kind, 'auto_reply');
    assert.ok(german.reasons.some((reason) => reason.startsWith('x-autoreply')));

    const plain = await parseFixture('candidate-reply.eml');
    for (const subject of ['Réponse automatique : Votre candidature', 'Out of Office: back Monday', 'Automatische Antwort: Ihre Nachricht']) {
      assert.equal(classifyInboundMail({ ...plain, subject }, CONTEXT).kind, 'auto_reply', subject);
    }
    assert.equal(classifyInboundMail(withHeaders(plain, { precedence: ['auto_reply'] }), CONTEXT).kind, 'auto_reply');
    assert.equal(
      classifyInboundMail(withHeaders(plain, { 'x-auto-response-suppress': ['All'] }, 'I am out of the office'), CONTEXT).kind,
      'auto_reply',
    );
  });

  it('does not take bulk mail, Auto-Submitted: no or a server-side auto-forward for an auto-reply', async () => {
    const plain = await parseFixture('candidate-reply.eml');
    assert.equal(classifyInboundMail(withHeaders(plain, { 'auto-submitted': ['no'] }), CONTEXT).kind, 'normal');
    assert.equal(classifyInboundMail(withHeaders(plain, { 'auto-submitted': ['auto-forwarded'] }), CONTEXT).kind, 'normal');
    assert.equal(classifyInboundMail(withHeaders(plain, { precedence: ['bulk'] }), CONTEXT).kind, 'normal');
    assert.equal(classifyInboundMail(withHeaders(plain, { 'x-auto-response-suppress': ['All'] }), CONTEXT).kind, 'normal');
  });

  it('recognises a DSN bounce and extracts the bounced message, recipient and status', async () => {
    const result = classifyInboundMail(await parseFixture('dsn-bounce.eml'), CONTEXT);
    assert.equal(result.kind, 'bounce');
    assert.deepEqual(result.bounce, {
      originalMessageId: '<msg-456@mail.recruiting.example>',
      recipient: 'no.such.person@mail.example',
      status: '5.1.1',
      diagnostic: 'smtp; 550 5.1.1 <no.such.person@mail.example>: Recipient address rejected: User unknown',
      action: 'failed',
    });
  });

  it('recognises a non-standard bounce from a mailer daemon with the original attached', async () => {
    const raw = [
      'From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>',
      'To: jobs@acme.example',
      'Subject: Delivery Status Notification (Failure)',
      'X-Failed-Recipients: gone@mail.example',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      "Your message wasn't delivered to gone@mail.example because the address couldn't be found.",
      '--b',
      'Content-Type: message/rfc822',
      '',
      'From: jobs@acme.example',
      'To: gone@mail.example',
      'Subject: Interview',
      'Message-ID: <msg-999@mail.recruiting.example>',
      '',
      'Hello',
      '--b--',
      '',
    ].join('\r\n');
    const mail = await parseInboundMail(Buffer.from(raw), new MemoryAttachmentSink());
    const result = classifyInboundMail(mail, CONTEXT);
    assert.equal(result.kind, 'bounce');
    assert.equal(result.bounce?.originalMessageId, '<msg-999@mail.recruiting.example>');
    assert.equal(result.bounce?.recipient, 'gone@mail.example');
  });

  it('recognises our own mail coming back, by header or by Message-ID', async () => {
    const byHeader = classifyInboundMail(await parseFixture('loop-own-mail.eml'), { ourDomains: [] });
    assert.equal(byHeader.kind, 'loop');
    const plain = await parseFixture('candidate-reply.eml');
    const byId = classifyInboundMail({ ...plain, messageId: '<abc@mail.recruiting.example>' }, CONTEXT);
    assert.equal(byId.kind, 'loop');
    // A reply that merely references our message is not a loop.
    assert.equal(classifyInboundMail(plain, CONTEXT).kind, 'normal');
  });

  const corpusPresent = existsSync(resolve(CORPUS_DIR, 'manifest.json'));
  it(
    'flags the corpus bounces and nothing else as bounce',
    { skip: corpusPresent ? false : `no corpus at ${CORPUS_DIR}` },
    async () => {
      const manifest = JSON.parse(readFileSync(resolve(CORPUS_DIR, 'manifest.json'), 'utf8')) as Array<{ file: string; kind: string }>;
      let bounces = 0;
      let caught = 0;
      const falseBounces: string[] = [];
      const loops: string[] = [];
      for (const entry of manifest) {
        const mail = await parseInboundMail(readFileSync(resolve(CORPUS_DIR, entry.file)), new MemoryAttachmentSink());
        const result = classifyInboundMail(mail, CONTEXT);
        if (entry.kind === 'bounce') {
          bounces += 1;
          if (result.kind === 'bounce') caught += 1;
        } else if (result.kind === 'bounce') {
          falseBounces.push(entry.file);
        }
        if (result.kind === 'loop') loops.push(entry.file);
      }
      assert.deepEqual(falseBounces, []);
      assert.deepEqual(loops, []);
      assert.ok(caught / bounces >= 0.95, `${caught}/${bounces} bounces recognised`);
    },
  );
});
