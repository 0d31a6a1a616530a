/**
 * Issue 5 end to end, what the stored mail looks like and what it does: HTML served safe with
 * remote images marked, attachments stored and downloadable, charsets decoded, our own mail
 * coming back ignored, auto-replies flagged, bounces of our mail marking it failed, and the
 * redirect check completed by feeding the test mail (as the local SES stored it) back in through
 * the inbound SMTP listener, as the company's forwarding rule would.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestBackend, waitForDelivery, type TestBackend } from '../support/test-backend';
import { deliverTo, fixture, getMessage, listAll, rawMail, setUpCompany, uniqueMessageId, type Company } from '../support/inbound-e2e';

let api: TestBackend;

before(async () => {
  api = await startTestBackend();
});

after(async () => {
  await api?.stop();
});

/** The only message of a candidate's conversation, in full. */
async function onlyMessageOf(company: { token: string }, candidateId: string) {
  const items = await listAll(api, company.token, `/v1/candidates/${candidateId}/messages`);
  assert.equal(items.length, 1, `one message under ${candidateId}, got ${items.length}`);
  return getMessage(api, company.token, items[0].id);
}

/** The redirect test mail the default provider "sent" to the company's address (the local SES store keeps from, subject and text). */
async function sentRedirectTestMail(company: Company) {
  const store = (await (await fetch(api.backend.sesStoreUrl)).json()) as { emails: { from: string; subject: string; destination: { to: string[] }; body: { text?: string } }[] };
  const testMail = store.emails.find((email) => email.destination.to.some((to) => to.includes(company.address)) && /rchk-[0-9a-f]+/.test(email.subject));
  assert.ok(testMail, `the test mail to ${company.address} is in the SES store`);
  return testMail;
}

describe('inbound: content', () => {
  it('serves sanitised HTML: no scripts, event handlers, javascript: links or forms; remote images marked', async () => {
    const sender = 'mallory@mail.example';
    const company = await setUpCompany(api, 'html-co', { address: 'jobs@html-co.example', candidates: { 'cand-mallory': [sender] } });
    await deliverTo(api, company, fixture('hostile-html.eml', { SENDER: sender, COMPANY_ADDRESS: company.address, MESSAGE_ID: uniqueMessageId('html') }));

    const message = await onlyMessageOf(company, 'cand-mallory');
    const html: string = message.html;
    assert.ok(html, 'the message has html');
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /document\.cookie/);
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no event handler attributes (onload, onerror)');
    assert.doesNotMatch(html, /javascript:/i);
    assert.doesNotMatch(html, /<form|<input|<iframe/i);
    assert.match(html, /https:\/\/cv\.example\/mallory/, 'ordinary links stay');
    assert.match(html, /Regards, Mallory/);
    // The tracking pixel is kept but cannot load by itself.
    assert.match(html, /data-remote-src="https:\/\/tracker\.example\/pixel\.gif\?u=1"/);
    assert.doesNotMatch(html, /\ssrc="https:\/\/tracker\.example/);
    assert.ok(message.flags.remoteImages >= 1, `remoteImages ${message.flags.remoteImages}`);
    assert.doesNotMatch(message.text ?? '', /<script|document\.cookie/);
  });

  it('stores attachments and serves them through their downloadUrl, byte for byte', async () => {
    const sender = 'ines.duarte@mail.example';
    const company = await setUpCompany(api, 'attachment-co', { address: 'jobs@attachment-co.example', candidates: { 'cand-ines': [sender] } });
    await deliverTo(api, company, fixture('attachment.eml', { SENDER: sender, COMPANY_ADDRESS: company.address, MESSAGE_ID: uniqueMessageId('cv') }));

    const message = await onlyMessageOf(company, 'cand-ines');
    assert.equal(message.attachments.length, 1);
    const [attachment] = message.attachments;
    assert.equal(attachment.filename, 'Ines Duarte CV.pdf');
    assert.equal(attachment.contentType, 'application/pdf');
    assert.equal(attachment.size, 3000);
    assert.equal(attachment.inline, false);
    assert.ok(attachment.downloadUrl, 'a download link');

    const download = await fetch(attachment.downloadUrl);
    assert.equal(download.status, 200);
    const expected = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256));
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), expected);
    assert.match(download.headers.get('content-disposition') ?? '', /attachment/);
  });

  const charsets = [
    {
      mail: 'an ISO-8859-1 mail (quoted-printable body, encoded-word subject and name)', fixture: 'charset-latin1.eml', label: 'latin1',
      sender: 'juergen.mueller@mail.example', candidateId: 'cand-juergen',
      subject: 'Bewerbung für die Stelle in München', name: 'Jürgen Müller',
      text: [/Unterlagen für die ausgeschriebene Stelle\. Grüße aus München, à bientôt!/, /Jürgen Müller/],
    },
    {
      mail: 'a Shift_JIS mail (base64 body, encoded-word subject and name)', fixture: 'charset-shift-jis.eml', label: 'sjis',
      sender: 'taro.yamada@mail.example', candidateId: 'cand-taro',
      subject: 'メンセツ ニッテイ', name: 'ヤマダ タロウ',
      text: [/ありがとうございます。メンセツ の ニッテイ を おしらせ ください。/, /ヤマダ タロウ/],
    },
  ];
  for (const charset of charsets) {
    it(`decodes ${charset.mail} to UTF-8`, async () => {
      const { sender, candidateId, label } = charset;
      const company = await setUpCompany(api, `${label}-co`, { address: `jobs@${label}-co.example`, candidates: { [candidateId]: [sender] } });
      await deliverTo(api, company, fixture(charset.fixture, { SENDER: sender, COMPANY_ADDRESS: company.address, MESSAGE_ID: uniqueMessageId(label) }));

      const message = await onlyMessageOf(company, candidateId);
      assert.equal(message.subject, charset.subject);
      assert.equal(message.from.name, charset.name);
      for (const text of charset.text) assert.match(message.text, text);
    });
  }
});

describe('inbound: automatic mail', () => {
  it('ignores our own mail coming back (X-Recruiting-Mail-Id): accepted, not stored', async () => {
    const company = await setUpCompany(api, 'loop-co', { address: 'jobs@loop-co.example' });
    const answer = await deliverTo(api, company, fixture('loop-own-mail.eml', { COMPANY_ADDRESS: company.address, MESSAGE_ID: uniqueMessageId('loop') }));
    assert.match(answer, /^250/);
    assert.deepEqual(await listAll(api, company.token, '/v1/messages/unassigned'), []);
  });

  it('flags an auto-reply (`autoReply`)', async () => {
    const sender = 'hannah.schmidt@mail.example';
    const company = await setUpCompany(api, 'ooo-co', { address: 'jobs@ooo-co.example', candidates: { 'cand-hannah': [sender] } });
    await deliverTo(api, company, fixture('auto-reply.eml', { SENDER: sender, COMPANY_ADDRESS: company.address, MESSAGE_ID: uniqueMessageId('ooo') }));

    const stored = [...(await listAll(api, company.token, '/v1/candidates/cand-hannah/messages')), ...(await listAll(api, company.token, '/v1/messages/unassigned'))];
    assert.equal(stored.length, 1);
    assert.equal(stored[0].flags.autoReply, true);
    assert.equal(stored[0].flags.bounce, false);
  });

  for (const reference of ['messageIdHeader', 'providerMessageIdHeader'] as const) {
    it(`marks a message we sent \`failed\` (BOUNCED) when a DSN bounce names its ${reference}`, async () => {
      const recipient = `no.such.person.${reference.length}@candidate-mail.example`;
      const company = await setUpCompany(api, `bounce-co-${reference}`, { address: 'jobs@bounce-co.example', candidates: { 'cand-gone': [recipient] } });
      const sent = await api.request('POST', '/v1/candidates/cand-gone/messages', { token: company.token, body: { subject: 'Your application', text: 'Thank you for applying.' } });
      assert.equal(sent.status, 202, sent.text);
      const delivered = await waitForDelivery(api, company.token, sent.json.id);
      assert.equal(delivered.status, 'sent');
      assert.ok(delivered[reference], `the sent message has a ${reference}`);

      await deliverTo(
        api,
        company,
        fixture('dsn-bounce.eml', {
          COMPANY_ADDRESS: company.address,
          MESSAGE_ID: uniqueMessageId('dsn'),
          RECIPIENT: recipient,
          SUBJECT: 'Your application',
          ORIGINAL_MESSAGE_ID: delivered[reference],
        }),
        '',
      );

      const after = await getMessage(api, company.token, sent.json.id);
      assert.equal(after.status, 'failed');
      assert.equal(after.error?.code, 'BOUNCED');
      assert.equal(after.bounce?.recipient, recipient);
      assert.equal(after.bounce?.status, '5.1.1');
      // The bounce itself is kept, flagged, and not filed under the candidate.
      const unassigned = await listAll(api, company.token, '/v1/messages/unassigned');
      assert.equal(unassigned.length, 1);
      assert.equal(unassigned[0].flags.bounce, true);
      const conversation = await listAll(api, company.token, '/v1/candidates/cand-gone/messages');
      assert.deepEqual(conversation.map((m) => m.direction), ['outbound']);
    });
  }
});

describe('inbound: redirect check', () => {
  it('needs the scope address before it can send the test mail', async () => {
    const token = await api.token('redirect-no-address', ['admin']);
    const response = await api.request('POST', '/v1/email-settings/main/redirect-test', { token });
    assert.equal(response.status, 400);
    assert.equal(response.json.error.code, 'VALIDATION_FAILED');
  });

  it('turns `verified` when the test mail comes back through the company forwarding, and shows it as unassigned', async () => {
    const company = await setUpCompany(api, 'redirect-check-co', { address: 'jobs@redirect-check.example' });
    const before = await api.request('GET', '/v1/email-settings/main', { token: company.token });
    assert.equal(before.json.redirect.status, 'unverified');

    const sent = await api.request('POST', '/v1/email-settings/main/redirect-test', { token: company.token });
    assert.ok(sent.status === 200 || sent.status === 202, `redirect-test answered ${sent.status}: ${sent.text}`);
    const pending = await api.request('GET', '/v1/email-settings/main', { token: company.token });
    assert.equal(pending.json.redirect.status, 'pending');

    const testMail = await sentRedirectTestMail(company);
    const token = /rchk-[0-9a-f]+/.exec(testMail.subject)![0];
    assert.match(testMail.body.text ?? '', new RegExp(token));

    // The company's mailbox forwards it (a forwarding rule that rewrites From, as Office 365 does).
    const forwarded = rawMail(
      [
        `From: Company Jobs <${company.address}>`,
        `To: ${company.address}`,
        `Subject: FW: ${testMail.subject}`,
        'Date: Tue, 24 Mar 2026 09:00:00 +0000',
        `Message-ID: <${uniqueMessageId('redirect-check')}>`,
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
      ],
      [
        '________________________________',
        `From: ${testMail.from}`,
        'Sent: Tuesday, March 24, 2026 8:59 AM',
        `To: ${company.address}`,
        `Subject: ${testMail.subject}`,
        '',
        testMail.body.text ?? '',
      ],
    );
    await deliverTo(api, company, forwarded, company.address);

    const verified = await api.request('GET', '/v1/email-settings/main', { token: company.token });
    assert.equal(verified.json.redirect.status, 'verified');
    assert.ok(verified.json.redirect.verifiedAt);
    const unassigned = await listAll(api, company.token, '/v1/messages/unassigned');
    assert.equal(unassigned.length, 1);
    assert.match(unassigned[0].subject, new RegExp(token));
  });

  it('turns `verified` when a redirect (From, Subject and body kept) brings the test mail back', async () => {
    const company = await setUpCompany(api, 'redirect-kept-co', { address: 'jobs@redirect-kept.example' });
    const sent = await api.request('POST', '/v1/email-settings/main/redirect-test', { token: company.token });
    assert.ok(sent.status === 200 || sent.status === 202, `redirect-test answered ${sent.status}: ${sent.text}`);

    const testMail = await sentRedirectTestMail(company);
    // A redirect keeps the original From (the default sender, on our own domain) and adds Resent-*.
    const redirected = rawMail(
      [
        `Resent-From: ${company.address}`,
        'Resent-Date: Tue, 24 Mar 2026 09:00:00 +0000',
        `From: ${testMail.from}`,
        `To: ${company.address}`,
        `Subject: ${testMail.subject}`,
        'Date: Tue, 24 Mar 2026 08:59:59 +0000',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
      ],
      [testMail.body.text ?? ''],
    );
    await deliverTo(api, company, redirected, company.address);

    const verified = await api.request('GET', '/v1/email-settings/main', { token: company.token });
    assert.equal(verified.json.redirect.status, 'verified');
    const unassigned = await listAll(api, company.token, '/v1/messages/unassigned');
    assert.deepEqual(unassigned.map((m) => m.subject), [testMail.subject]);
  });
});
