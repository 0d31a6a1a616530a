/**
 * Issue 5 end to end: inbound mail delivered through the local inbound SMTP listener (the SES
 * receiving stand-in) and read back through the HTTP API — whose mail it is (the envelope
 * recipient), under which candidate it is filed and how it matched (`from`, `forwarded`,
 * `attachment`, `thread`, `learned`), stored once however often it arrives, and never visible
 * to another company. Each test uses its own company, so that tests do not see each other's mail.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestBackend, waitForDelivery, type TestBackend } from '../support/test-backend';
import { deliver, deliverTo, fixture, getMessage, listAll, setUpCompany, SmtpRefused, uniqueMessageId } from '../support/inbound-e2e';

let api: TestBackend;

before(async () => {
  api = await startTestBackend();
});

after(async () => {
  await api?.stop();
});

describe('inbound: whose mail it is', () => {
  it('finds the company by the envelope recipient, never by the To header', async () => {
    const sender = 'sofia.marquez@mail.example';
    const ours = await setUpCompany(api, 'env-acme', { address: 'jobs@env-acme.example', candidates: { 'cand-sofia': [sender] } });
    const other = await setUpCompany(api, 'env-globex', { address: 'jobs@env-globex.example', candidates: { 'cand-sofia-globex': [sender] } });
    const messageId = uniqueMessageId('envelope');
    // The To header names the other company's inbound address; the envelope is ours.
    const raw = fixture('to-header-names-another-company.eml', { SENDER: sender, TO: other.inboundAddress, MESSAGE_ID: messageId });

    await deliverTo(api, ours, raw);

    const filed = await listAll(api, ours.token, '/v1/candidates/cand-sofia/messages');
    assert.equal(filed.length, 1);
    assert.equal(filed[0].messageIdHeader, `<${messageId}>`);
    assert.equal(filed[0].direction, 'inbound');
    assert.deepEqual(filed[0].match, { by: 'from', address: sender });
    assert.deepEqual(await listAll(api, other.token, '/v1/candidates/cand-sofia-globex/messages'), []);
    assert.deepEqual(await listAll(api, other.token, '/v1/messages/unassigned'), []);
  });

  it('accepts the inbound address in any letter case and with a +tag', async () => {
    const sender = 'case.sender@mail.example';
    const company = await setUpCompany(api, 'env-case', { address: 'jobs@env-case.example', candidates: { 'cand-case': [sender] } });
    const [local, domain] = company.inboundAddress.split('@');
    for (const [index, recipient] of [`${local.toUpperCase()}@${domain.toUpperCase()}`, `${local}+forwarded@${domain}`].entries()) {
      const raw = fixture('plain-from-sender.eml', { SENDER: sender, COMPANY_ADDRESS: company.address, SUBJECT: `variant ${index}`, MESSAGE_ID: uniqueMessageId(`case-${index}`) });
      assert.match(await deliver(api.backend.inboundSmtpPort, { from: sender, to: [recipient] }, raw), /^250/);
    }
    await api.backend.idle();
    const filed = await listAll(api, company.token, '/v1/candidates/cand-case/messages');
    assert.deepEqual(filed.map((m) => m.subject).sort(), ['variant 0', 'variant 1']);
  });

  it('refuses unknown recipients at RCPT TO with 550', async () => {
    const raw = fixture('plain-from-sender.eml', { SENDER: 'x@mail.example', COMPANY_ADDRESS: 'jobs@nobody.example', SUBJECT: 'hello', MESSAGE_ID: uniqueMessageId('unknown') });
    for (const recipient of ['nobody-0000000000@inbound.localhost', 'jobs@not-the-inbound-domain.example']) {
      await assert.rejects(deliver(api.backend.inboundSmtpPort, { from: 'x@mail.example', to: [recipient] }, raw), (error: unknown) => {
        assert.ok(error instanceof SmtpRefused, String(error));
        assert.equal(error.responseCode, 550);
        assert.equal(error.command, 'RCPT TO');
        assert.match(error.response, /5\.1\.1/);
        return true;
      });
    }
  });

  it('files the mail of a sub-company scope under that scope', async () => {
    const sender = 'noor.haddad@mail.example';
    const main = await setUpCompany(api, 'scope-co', { address: 'jobs@scope-co.example' });
    const berlin = await setUpCompany(api, 'scope-co', {
      scope: 'berlin',
      address: 'jobs.berlin@scope-co.example',
      candidates: { 'cand-noor': [sender] },
      candidateScope: 'berlin',
    });
    assert.notEqual(berlin.inboundAddress, main.inboundAddress);
    const messageId = uniqueMessageId('scope');

    await deliverTo(api, berlin, fixture('redirected-by-mailbox.eml', { SENDER: sender, COMPANY_ADDRESS: berlin.address, MESSAGE_ID: messageId }));

    const [filed, ...rest] = await listAll(api, main.token, '/v1/candidates/cand-noor/messages');
    assert.equal(rest.length, 0);
    assert.equal(filed.messageIdHeader, `<${messageId}>`);
    assert.equal(filed.scope, 'berlin');
    assert.equal(filed.match.by, 'from');
  });

  it("never shows one company's inbound mail to another (404)", async () => {
    const ours = await setUpCompany(api, 'tenant-a', { address: 'jobs@tenant-a.example' });
    const other = await setUpCompany(api, 'tenant-b', { address: 'jobs@tenant-b.example', candidates: { 'cand-b': ['someone@mail.example'] } });
    const messageId = uniqueMessageId('tenancy');
    await deliverTo(api, ours, fixture('plain-from-sender.eml', { SENDER: 'unknown.person@mail.example', COMPANY_ADDRESS: ours.address, SUBJECT: 'For tenant A only', MESSAGE_ID: messageId }));
    const [message] = await listAll(api, ours.token, '/v1/messages/unassigned');
    assert.equal(message.messageIdHeader, `<${messageId}>`);

    const read = await api.request('GET', `/v1/messages/${message.id}`, { token: other.token });
    assert.equal(read.status, 404);
    assert.equal(read.json.error.code, 'NOT_FOUND');
    assert.doesNotMatch(read.text, /For tenant A only/);
    const assign = await api.request('POST', `/v1/messages/${message.id}/assign`, { token: other.token, body: { candidateId: 'cand-b' } });
    assert.equal(assign.status, 404);
    assert.deepEqual(await listAll(api, other.token, '/v1/messages/unassigned'), []);
    assert.equal((await getMessage(api, ours.token, message.id)).candidateId, null);
  });
});

describe('inbound: finding the original sender', () => {
  it('files a redirected mail (From = the candidate) by `from`', async () => {
    const sender = 'priya.raman@mail.example';
    const company = await setUpCompany(api, 'redirect-co', { address: 'jobs@redirect-co.example', candidates: { 'cand-priya': ['Priya.Raman@Mail.Example'] } });
    const messageId = uniqueMessageId('redirect');

    await deliverTo(api, company, fixture('redirected-by-mailbox.eml', { SENDER: sender, COMPANY_ADDRESS: company.address, MESSAGE_ID: messageId }), sender);

    const [filed, ...rest] = await listAll(api, company.token, '/v1/candidates/cand-priya/messages');
    assert.equal(rest.length, 0);
    assert.equal(filed.messageIdHeader, `<${messageId}>`);
    assert.equal(filed.candidateId, 'cand-priya');
    assert.equal(filed.match.by, 'from');
    assert.equal(filed.match.address.toLowerCase(), sender);
    assert.equal(filed.subject, 'Application: Backend Engineer');
  });

  it('files a Gmail-forwarded mail (From = the company mailbox) by `forwarded`', async () => {
    const sender = 'lukas.brandt@mail.example';
    const company = await setUpCompany(api, 'gmail-co', { address: 'jobs@gmail-co.example', candidates: { 'cand-lukas': [sender] } });

    await deliverTo(api, company, fixture('gmail-forward.eml', { SENDER: sender, COMPANY_ADDRESS: company.address, MESSAGE_ID: uniqueMessageId('gmail') }), company.address);

    const [filed, ...rest] = await listAll(api, company.token, '/v1/candidates/cand-lukas/messages');
    assert.equal(rest.length, 0);
    assert.deepEqual(filed.match, { by: 'forwarded', address: sender });
    assert.equal(filed.from.address, company.address);
    assert.equal(filed.originalSender.address, sender);
    assert.deepEqual(await listAll(api, company.token, '/v1/messages/unassigned'), []);
  });

  // Inline forwards of other clients: the sender is in the forwarded block, From is the company.
  for (const [file, client] of [
    ['outlook-forward-de.eml', 'Outlook (German: Von/Gesendet/An/Betreff)'],
    ['apple-mail-forward.eml', 'Apple Mail (Begin forwarded message)'],
    ['thunderbird-forward.eml', 'Thunderbird (-------- Forwarded Message --------)'],
    ['yahoo-forward.eml', 'Yahoo (----- Forwarded Message -----)'],
  ] as const) {
    it(`files a mail forwarded inline by ${client} by \`forwarded\``, async () => {
      const sender = `author.${file.split('-')[0]}@mail.example`;
      const companyId = `client-${file.replace(/\.eml$/, '')}`;
      const company = await setUpCompany(api, companyId, { address: `jobs@${companyId}.example`, candidates: { 'cand-author': [sender], 'cand-other': ['someone.else@mail.example'] } });

      await deliverTo(api, company, fixture(file, { SENDER: sender, COMPANY_ADDRESS: company.address, MESSAGE_ID: uniqueMessageId(companyId) }), company.address);

      const [filed, ...rest] = await listAll(api, company.token, '/v1/candidates/cand-author/messages');
      assert.equal(rest.length, 0);
      assert.deepEqual(filed.match, { by: 'forwarded', address: sender });
      assert.deepEqual(await listAll(api, company.token, '/v1/messages/unassigned'), []);
    });
  }

  it('files a mail forwarded as an attached message/rfc822 by `attachment`', async () => {
    const sender = 'amara.okafor@mail.example';
    const company = await setUpCompany(api, 'attach-co', { address: 'jobs@attach-co.example', candidates: { 'cand-amara': [sender] } });

    await deliverTo(api, company, fixture('forward-as-attachment.eml', { SENDER: sender, COMPANY_ADDRESS: company.address, MESSAGE_ID: uniqueMessageId('fwd-attached') }));

    const [filed, ...rest] = await listAll(api, company.token, '/v1/candidates/cand-amara/messages');
    assert.equal(rest.length, 0);
    assert.deepEqual(filed.match, { by: 'attachment', address: sender });
  });

  // SES rewrites the Message-ID of what it sends: a reply may name ours or the one SES gave.
  for (const reference of ['messageIdHeader', 'providerMessageIdHeader'] as const) {
    it(`files a reply to a message we sent (In-Reply-To its ${reference}) by \`thread\`, whatever address it comes from`, async () => {
      const company = await setUpCompany(api, `thread-co-${reference}`, { address: 'jobs@thread-co.example', candidates: { 'cand-jonas': ['jonas.weber@mail.example'] } });
      const sent = await api.request('POST', '/v1/candidates/cand-jonas/messages', {
        token: company.token,
        body: { subject: 'Interview on Thursday', text: 'Could you come in on Thursday?' },
      });
      assert.equal(sent.status, 202, sent.text);
      const delivered = await waitForDelivery(api, company.token, sent.json.id);
      assert.equal(delivered.status, 'sent');
      assert.ok(delivered[reference], `the sent message has a ${reference}`);

      // The candidate answers from another address (their phone), unknown to the directory.
      const reply = fixture('reply-to-our-mail.eml', {
        SENDER: 'jonas.mobile@phone.example',
        COMPANY_ADDRESS: company.address,
        SUBJECT: 'Interview on Thursday',
        MESSAGE_ID: uniqueMessageId('reply'),
        IN_REPLY_TO: delivered[reference],
      });
      await deliverTo(api, company, reply);

      const conversation = await listAll(api, company.token, '/v1/candidates/cand-jonas/messages');
      const inbound = conversation.filter((m) => m.direction === 'inbound');
      assert.equal(inbound.length, 1);
      assert.equal(inbound[0].match.by, 'thread');
      assert.equal(inbound[0].inReplyTo, delivered[reference]);
      // Newest first: the reply before the message it answers.
      assert.deepEqual(conversation.map((m) => m.direction), ['inbound', 'outbound']);
    });
  }

  it('still threads a reply after our sent message came back in with its Message-ID (redirected by a mail client or an alias)', async () => {
    const company = await setUpCompany(api, 'thread-copy-co', { address: 'jobs@thread-copy-co.example', candidates: { 'cand-mia': ['mia.keller@mail.example'] } });
    const sent = await api.request('POST', '/v1/candidates/cand-mia/messages', { token: company.token, body: { subject: 'Offer', text: 'Here is our offer.' } });
    assert.equal(sent.status, 202, sent.text);
    const delivered = await waitForDelivery(api, company.token, sent.json.id);
    // SES gave the message its own Message-ID (ours would be recognised as our own mail looping back).
    const sesMessageId = String(delivered.providerMessageIdHeader).replace(/^<|>$/g, '');

    // The candidate's mail client redirects our message back to the company: a new From, the same Message-ID.
    await deliverTo(api, company, fixture('plain-from-sender.eml', { SENDER: 'mia.keller@mail.example', COMPANY_ADDRESS: company.address, SUBJECT: 'Offer', MESSAGE_ID: sesMessageId }));
    const reply = fixture('reply-to-our-mail.eml', {
      SENDER: 'mia.phone@phone.example',
      COMPANY_ADDRESS: company.address,
      SUBJECT: 'Offer',
      MESSAGE_ID: uniqueMessageId('copy-reply'),
      IN_REPLY_TO: delivered.providerMessageIdHeader,
    });
    await deliverTo(api, company, reply);

    const replies = (await listAll(api, company.token, '/v1/candidates/cand-mia/messages')).filter((m) => m.from?.address === 'mia.phone@phone.example');
    assert.deepEqual(replies.map((m) => m.match?.by), ['thread'], 'the copy must not take the place of our message in the Message-ID index');
  });

  it("does not thread a candidate's mail to another candidate whose (inbound) mail it answers", async () => {
    const alice = 'alice.first@mail.example';
    const bob = 'bob.second@mail.example';
    const company = await setUpCompany(api, 'thread-other-co', { address: 'jobs@thread-other-co.example', candidates: { 'cand-alice': [alice], 'cand-bob': [bob] } });
    const aliceMessageId = uniqueMessageId('alice');
    await deliverTo(api, company, fixture('redirected-by-mailbox.eml', { SENDER: alice, COMPANY_ADDRESS: company.address, MESSAGE_ID: aliceMessageId }));
    assert.equal((await listAll(api, company.token, '/v1/candidates/cand-alice/messages')).length, 1);

    // Bob answers Alice's mail (he was in Cc): In-Reply-To names an inbound mail, not one we sent.
    const bobMessageId = uniqueMessageId('bob');
    await deliverTo(
      api,
      company,
      fixture('reply-to-our-mail.eml', { SENDER: bob, COMPANY_ADDRESS: company.address, SUBJECT: 'Application', MESSAGE_ID: bobMessageId, IN_REPLY_TO: `<${aliceMessageId}>` }),
    );

    const bobs = await listAll(api, company.token, '/v1/candidates/cand-bob/messages');
    const alices = await listAll(api, company.token, '/v1/candidates/cand-alice/messages');
    assert.deepEqual(
      alices.map((m) => m.messageIdHeader),
      [`<${aliceMessageId}>`],
      "Bob's mail must not be filed under Alice: DESIGN 4 threads replies to a message *we sent*",
    );
    assert.deepEqual(bobs.map((m) => [m.messageIdHeader, m.match?.by]), [[`<${bobMessageId}>`, 'from']]);
  });

  it('keeps an unknown sender unassigned; assigning with `learn` makes their next mail file itself (`learned`)', async () => {
    const sender = 'new.person@mail.example';
    const company = await setUpCompany(api, 'learn-co', { address: 'jobs@learn-co.example', candidates: { 'cand-known': ['known.address@mail.example'] } });
    await deliverTo(api, company, fixture('plain-from-sender.eml', { SENDER: sender, COMPANY_ADDRESS: company.address, SUBJECT: 'First mail', MESSAGE_ID: uniqueMessageId('learn-1') }));

    const [unassigned, ...rest] = await listAll(api, company.token, '/v1/messages/unassigned');
    assert.equal(rest.length, 0);
    assert.equal(unassigned.candidateId, null);
    assert.equal(unassigned.match, null);

    const assigned = await api.request('POST', `/v1/messages/${unassigned.id}/assign`, { token: company.token, body: { candidateId: 'cand-known', learn: true } });
    assert.equal(assigned.status, 200, assigned.text);
    assert.equal(assigned.json.candidateId, 'cand-known');
    assert.deepEqual(assigned.json.match, { by: 'manual', address: sender });
    assert.deepEqual(await listAll(api, company.token, '/v1/messages/unassigned'), []);

    const secondId = uniqueMessageId('learn-2');
    await deliverTo(api, company, fixture('plain-from-sender.eml', { SENDER: sender, COMPANY_ADDRESS: company.address, SUBJECT: 'Second mail', MESSAGE_ID: secondId }));
    const conversation = await listAll(api, company.token, '/v1/candidates/cand-known/messages');
    assert.deepEqual(
      conversation.map((m) => [m.subject, m.match.by]),
      [
        ['Second mail', 'learned'],
        ['First mail', 'manual'],
      ],
    );
    assert.deepEqual(await listAll(api, company.token, '/v1/messages/unassigned'), []);
  });
});

describe('inbound: stored once', () => {
  it('stores the same mail delivered three times once', async () => {
    const sender = 'tomasz.nowak@mail.example';
    const company = await setUpCompany(api, 'dup-co', { address: 'jobs@dup-co.example', candidates: { 'cand-tomasz': [sender] } });
    const raw = fixture('resent-copy-a.eml', { SENDER: sender, COMPANY_ADDRESS: company.address, MESSAGE_ID: uniqueMessageId('thrice') });

    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await deliver(api.backend.inboundSmtpPort, { from: sender, to: [company.inboundAddress] }, raw));
    await api.backend.idle();

    assert.equal(answers.length, 3);
    for (const answer of answers) assert.match(answer, /^250/);
    const filed = await listAll(api, company.token, '/v1/candidates/cand-tomasz/messages');
    assert.equal(filed.length, 1);
    assert.deepEqual(await listAll(api, company.token, '/v1/messages/unassigned'), []);
  });

  it('stores the same Message-ID arriving twice with different bytes (two forwarding paths) once', async () => {
    const sender = 'tomasz.nowak@mail.example';
    const company = await setUpCompany(api, 'dup-path-co', { address: 'jobs@dup-path-co.example', candidates: { 'cand-tomasz': [sender] } });
    const values = { SENDER: sender, COMPANY_ADDRESS: company.address, MESSAGE_ID: uniqueMessageId('two-paths') };
    const first = fixture('resent-copy-a.eml', values);
    const second = fixture('resent-copy-b.eml', values);
    assert.notDeepEqual(first, second);

    await deliverTo(api, company, first);
    await deliverTo(api, company, second);

    const filed = await listAll(api, company.token, '/v1/candidates/cand-tomasz/messages');
    assert.equal(filed.length, 1);
    assert.equal(filed[0].messageIdHeader, `<${values.MESSAGE_ID}>`);
  });
});
