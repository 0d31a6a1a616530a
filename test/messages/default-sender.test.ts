import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simpleParser, type AddressObject } from 'mailparser';
import { buildCandidateMail, type CandidateMailInput } from '../../shared/outbound/build-candidate-mail';
import {
  boundReferences,
  defaultSenderIdentity,
  defaultSenderName,
  forDefaultProvider,
  threadingFor,
} from '../../shared/outbound/default-sender';
import { MAX_REFERENCES } from '../../shared/outbound/limits';
import { newMessageId } from '../../shared/mail/message-id';

const context = {
  companyDisplayName: 'ACME',
  inboundAddress: 'acme-berlin@inbound.recruiting.example',
  defaultFromAddress: 'no-reply@mail.recruiting.example',
};

const addresses = (field: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(field) ? field : field ? [field] : []).flatMap((entry) => entry.value);

describe('default sender', () => {
  it('shows the company: "<Company> Recruiting" from our verified address, Reply-To the inbound address only', () => {
    assert.deepEqual(defaultSenderIdentity(context), {
      from: { name: 'ACME Recruiting', address: 'no-reply@mail.recruiting.example' },
      replyTo: [{ name: 'ACME Recruiting', address: 'acme-berlin@inbound.recruiting.example' }],
    });
  });

  it("uses the scope's fromName as is when set", () => {
    assert.equal(defaultSenderName({ companyDisplayName: 'ACME', fromName: 'ACME Talent Team' }), 'ACME Talent Team');
    assert.equal(defaultSenderName({ companyDisplayName: 'ACME', fromName: '  ' }), 'ACME Recruiting');
    assert.equal(defaultSenderName({ companyDisplayName: 'ACME', fromName: null }), 'ACME Recruiting');
  });

  it('never lets a company name break the header: controls and runs of whitespace become one space', () => {
    assert.equal(defaultSenderName({ companyDisplayName: 'ACME\r\nBcc: x@evil.example' }), 'ACME Bcc: x@evil.example Recruiting');
    assert.equal(defaultSenderName({ companyDisplayName: '' }), 'Recruiting');
    const long = defaultSenderName({ companyDisplayName: 'A'.repeat(500) });
    assert.ok(long.length <= 200 && long.endsWith(' Recruiting'));
  });

  it('keeps our Message-ID in References, and the mail it produces builds and parses back', async () => {
    const messageId = newMessageId('mail.recruiting.example');
    const mail: CandidateMailInput & { messageId: string } = {
      from: { address: 'jobs@acme.example', name: 'ACME Jobs' },
      to: ['jane@candidate.example'],
      subject: 'Your application',
      text: 'Hello',
      references: ['<root@acme.example>'],
      messageIdDomain: 'mail.recruiting.example',
      messageId,
    };
    const prepared = forDefaultProvider(mail, context);
    assert.deepEqual(prepared.references, ['<root@acme.example>', messageId]);
    assert.equal(prepared.messageId, messageId);

    const built = await buildCandidateMail(prepared);
    const parsed = await simpleParser(built.raw);
    assert.deepEqual(addresses(parsed.from), [{ name: 'ACME Recruiting', address: 'no-reply@mail.recruiting.example' }]);
    assert.deepEqual(addresses(parsed.replyTo), [{ name: 'ACME Recruiting', address: 'acme-berlin@inbound.recruiting.example' }]);
    assert.equal(parsed.messageId, messageId);
    assert.deepEqual(parsed.references, ['<root@acme.example>', messageId]);
    assert.equal(built.envelope.from, 'no-reply@mail.recruiting.example');
  });

  it('threads a later message under both ids when SES replaced ours', () => {
    const threading = threadingFor({
      messageIdHeader: '<ours.1@mail.recruiting.example>',
      providerMessageIdHeader: '<0100018f-aaaa-000000@email.amazonses.com>',
      references: ['<root@acme.example>', '<ours.1@mail.recruiting.example>'],
    });
    assert.deepEqual(threading, {
      inReplyTo: '<0100018f-aaaa-000000@email.amazonses.com>',
      references: ['<root@acme.example>', '<ours.1@mail.recruiting.example>', '<0100018f-aaaa-000000@email.amazonses.com>'],
    });
    assert.deepEqual(threadingFor({ messageIdHeader: 'ours.2@mail.recruiting.example' }), {
      inReplyTo: '<ours.2@mail.recruiting.example>',
      references: ['<ours.2@mail.recruiting.example>'],
    });
  });

  it('bounds References: the thread root and the latest ids', () => {
    const ids = Array.from({ length: MAX_REFERENCES + 10 }, (_, i) => `<m${i}@x.example>`);
    const bounded = boundReferences(ids);
    assert.equal(bounded.length, MAX_REFERENCES);
    assert.equal(bounded[0], '<m0@x.example>');
    assert.equal(bounded[bounded.length - 1], `<m${MAX_REFERENCES + 9}@x.example>`);
  });
});
