import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import type { ParsedInboundMail } from '../../shared/inbound/parse-inbound-mail';
import { resolveOriginalSender } from '../../shared/inbound/resolve-original-sender';
import { evaluateSenderCorpus } from '../../shared/inbound/sender-eval';
import { CONTEXT, CORPUS_DIR, parseFixture } from './fixtures';

const CASES: Array<{ fixture: string; address: string | null; by: string; name?: string }> = [
  { fixture: 'gmail-forward.eml', address: 'jana.novakova@mail.example', by: 'forwarded', name: 'Jana Nováková' },
  { fixture: 'outlook-forward-de.eml', address: 'joerg.mueller@post.example', by: 'forwarded' },
  { fixture: 'outlook-forward-fr.eml', address: 'elodie.martin@courriel.example', by: 'forwarded' },
  { fixture: 'outlook-classic-original-message.eml', address: 'sam.okafor@inbox.example', by: 'forwarded' },
  { fixture: 'office365-rewritten-from.eml', address: 'priya.raman@portfolio.example', by: 'forwarded' },
  { fixture: 'apple-mail-forward.eml', address: 'lars.eriksson@posten.example', by: 'forwarded' },
  { fixture: 'thunderbird-forward.eml', address: 'chen.wei@correo.example', by: 'forwarded' },
  { fixture: 'yahoo-forward.eml', address: 'amara.diallo@webmail.example', by: 'forwarded' },
  { fixture: 'nested-forward.eml', address: 'olu.bello@mailhost.example', by: 'forwarded' },
  { fixture: 'forward-as-attachment.eml', address: 'zoe.adeyemi@fastmail.example', by: 'attachment', name: 'Zoë Adeyemi' },
  { fixture: 'redirect-resent.eml', address: 'tomas.garcia@correo.example', by: 'from' },
  { fixture: 'gmail-auto-forward.eml', address: 'jana.novakova@mail.example', by: 'from' },
  { fixture: 'google-group-rewritten.eml', address: 'nia.brooks@mailbox.example', by: 'header' },
  { fixture: 'candidate-reply.eml', address: 'jana.novakova@mail.example', by: 'from' },
  { fixture: 'iso-2022-jp.eml', address: 'yamada@mail.example', by: 'from' },
  { fixture: 'forward-without-sender.eml', address: null, by: 'forwarded' },
  { fixture: 'malformed.eml', address: null, by: 'forwarded' },
  // A forward of the forwarding mailbox's own forward: the innermost author, not the mailbox.
  { fixture: 'forward-of-own-forward.eml', address: 'kofi.mensah@mail.example', by: 'forwarded', name: 'Kofi Mensah' },
  // A colleague at the company's domain passing on an Outlook "Original Message" without "Fwd:".
  { fixture: 'outlook-original-message-without-fwd.eml', address: 'kofi.mensah@mail.example', by: 'forwarded' },
  // ... naming two authors: ambiguous, so unassigned rather than a guess.
  { fixture: 'outlook-two-original-messages.eml', address: null, by: 'forwarded' },
  // An inline message/rfc822 part (Content-Disposition: inline, not a file) passed on by a colleague.
  { fixture: 'forward-inline-rfc822.eml', address: 'efua.asante@mailbox.example', by: 'attachment', name: 'Efua Asante' },
  // A candidate's reply quoting someone else's Outlook block stays the candidate's.
  { fixture: 'candidate-reply-quoting-original-message.eml', address: 'kofi.mensah@mail.example', by: 'from' },
];

describe('resolveOriginalSender', () => {
  for (const expected of CASES) {
    it(`${expected.fixture} -> ${expected.address ?? 'unassigned'} (${expected.by})`, async () => {
      const resolved = resolveOriginalSender(await parseFixture(expected.fixture), CONTEXT);
      assert.equal(resolved.address, expected.address, resolved.evidence.join('\n'));
      assert.equal(resolved.by, expected.by);
      if (expected.name) assert.equal(resolved.name, expected.name);
      assert.ok(resolved.evidence.length > 0);
    });
  }

  it('records the redirect headers as evidence', async () => {
    const resolved = resolveOriginalSender(await parseFixture('redirect-resent.eml'), CONTEXT);
    assert.ok(resolved.evidence.includes('resent-from: jobs@acme.example'));
    const gmail = resolveOriginalSender(await parseFixture('gmail-auto-forward.eml'), CONTEXT);
    assert.ok(gmail.evidence.some((line) => line.startsWith('x-forwarded-for: jobs@acme.example')));
  });

  it('never returns the company mailbox or one of our domains', async () => {
    const own = resolveOriginalSender(await parseFixture('loop-own-mail.eml'), CONTEXT);
    assert.equal(own.address, null);

    const mail = await parseFixture('gmail-forward.eml');
    const onlyOurs: ParsedInboundMail = {
      ...mail,
      text: mail.text?.replaceAll('jana.novakova@mail.example', 'someone@inbound.localhost'),
      html: undefined,
      replyTo: [{ address: 'JOBS@acme.example' }],
    };
    const resolved = resolveOriginalSender(onlyOurs, CONTEXT);
    assert.equal(resolved.address, null);
    assert.ok(resolved.evidence.some((line) => line.includes('someone@inbound.localhost')));
  });

  it('matches the company mailbox case-insensitively', async () => {
    const mail = await parseFixture('forward-without-sender.eml');
    const shouting = { ...mail, from: { address: 'JOBS@ACME.EXAMPLE' } };
    assert.equal(resolveOriginalSender(shouting, CONTEXT).address, null);
  });

  it('leaves a mail with several attached messages from different people unassigned', async () => {
    const mail = await parseFixture('forward-as-attachment.eml');
    const second = { ...mail.embeddedMessages[0], from: { address: 'someone.else@mail.example' } };
    const resolved = resolveOriginalSender({ ...mail, embeddedMessages: [mail.embeddedMessages[0], second] }, CONTEXT);
    assert.equal(resolved.address, null);
    assert.equal(resolved.by, 'attachment');
  });

  it('does not mistake a reply quoting an earlier mail for a forward', async () => {
    const mail = await parseFixture('candidate-reply.eml');
    const fromPerson = resolveOriginalSender(mail, CONTEXT);
    assert.equal(fromPerson.address, 'jana.novakova@mail.example');
  });

  const corpusPresent = existsSync(resolve(CORPUS_DIR, 'manifest.json'));
  it(
    'resolves the real-mail corpus with no wrong sender and at least 99% correct',
    { skip: corpusPresent ? false : `no corpus at ${CORPUS_DIR}` },
    async () => {
      const report = await evaluateSenderCorpus(CORPUS_DIR);
      const { correct, wrong } = report.totals.resolver;
      const wrongFiles = report.misses.filter((miss) => miss.outcome === 'wrong').map((miss) => miss.file);
      assert.deepEqual(wrongFiles, []);
      assert.equal(wrong, 0);
      assert.ok(correct / report.totals.withExpected >= 0.99, `${correct}/${report.totals.withExpected} correct`);
    },
  );
});
