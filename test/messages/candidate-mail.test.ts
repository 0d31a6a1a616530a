/**
 * Issue 3 end to end: the candidates directory and candidate mail through the HTTP API of the
 * local backend (in-process queue + the real send worker), delivered to real smtp-server
 * instances with STARTTLS or implicit TLS and AUTH, falling back to the local SES.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startMailServer, trustedCaFixture, type MailServer, type ReceivedMail, type TrustedCaFixture } from '../support/mail-servers';
import { backendLogLevel, DEFAULT_FROM_ADDRESS, secretForms, startTestBackend, waitForDelivery, type TestBackend } from '../support/test-backend';
import type { LocalSesStoredEmail } from '../../infra/local/local-ses';

const PASSWORD = 'Candidate-mail-e2e-pw-42';
const ACME = 'jobs@acme.test';
const BERLIN = 'berlin@acme.test';
const GLOBEX = 'jobs@globex.test';
const INITECH = 'jobs@initech.test';

let api: TestBackend;
let company: MailServer; // STARTTLS on submission
let berlinServer: MailServer; // implicit TLS
let tls: TrustedCaFixture;
const tokens: Record<string, string> = {};

type SesEmail = LocalSesStoredEmail;

async function sesEmails(): Promise<SesEmail[]> {
  const response = await fetch(api.backend.sesStoreUrl);
  assert.equal(response.status, 200);
  return ((await response.json()) as { emails: SesEmail[] }).emails;
}

const receivedWithSubject = (server: MailServer, subject: string): ReceivedMail[] =>
  server.received.filter((mail) => mail.parsed.subject === subject);

async function configureSmtp(token: string, scope: string, server: MailServer, username: string, extra: Record<string, unknown> = {}) {
  const put = await api.request('PUT', `/v1/email-settings/${scope}`, {
    token,
    body: {
      address: username,
      mode: 'smtp',
      smtp: { host: '127.0.0.1', port: server.port, security: server.security, username, password: PASSWORD, fromName: extra.fromName ?? 'Recruiting Team' },
      ...(extra.fallbackToDefault === undefined ? {} : { fallbackToDefault: extra.fallbackToDefault }),
      ...(extra.displayName === undefined ? {} : { displayName: extra.displayName }),
    },
  });
  assert.equal(put.status, 200, `configuring ${scope}: ${put.text}`);
}

async function putCandidate(token: string, id: string, emails: string[], scope?: string) {
  const put = await api.request('PUT', `/v1/candidates/${id}`, { token, body: { emails, name: `Candidate ${id}`, ...(scope ? { scope } : {}) } });
  assert.equal(put.status, 200, put.text);
  return put.json;
}

async function send(token: string, candidateId: string, body: Record<string, unknown>, idempotencyKey?: string) {
  return api.request('POST', `/v1/candidates/${candidateId}/messages`, {
    token,
    body,
    headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
  });
}

async function sendAndDeliver(token: string, candidateId: string, body: Record<string, unknown>) {
  const accepted = await send(token, candidateId, body);
  assert.equal(accepted.status, 202, accepted.text);
  return waitForDelivery(api, token, accepted.json.id);
}

/** Sends to a new candidate at `address`, whose RCPT TO or end of DATA the company server first answers with `reply`. */
async function sendWithScriptedReply(stage: 'rcpt' | 'data', candidateId: string, address: string, reply: string, body: Record<string, unknown>) {
  await putCandidate(tokens.acme, candidateId, [address]);
  if (stage === 'rcpt') company.scriptRcpt(address, reply);
  else company.scriptData(address, reply);
  return sendAndDeliver(tokens.acme, candidateId, body);
}

before(async () => {
  tls = trustedCaFixture('e2e-mail-tls-');
  const users = { [ACME]: PASSWORD, [BERLIN]: PASSWORD, [GLOBEX]: PASSWORD, [INITECH]: PASSWORD };
  company = await startMailServer({ security: 'starttls', tls, users });
  berlinServer = await startMailServer({ security: 'ssl', tls, users });
  // At INFO, as the deployed stack logs: the leak checks read every line it writes.
  api = await startTestBackend({ LOG_LEVEL: 'INFO', SMTP_ALLOWED_PORTS: '*', SMTP_TESTS_PER_MINUTE: '100', ...tls.backendEnv });
  for (const name of ['acme', 'globex', 'initech', 'evil']) tokens[name] = await api.token(name);
  tokens.acmeRecruiter = await api.token('acme', ['recruiter']);
  await configureSmtp(tokens.acme, 'main', company, ACME, { fromName: 'ACME Jobs' });
  await configureSmtp(tokens.acme, 'berlin', berlinServer, BERLIN, { fromName: 'ACME Berlin' });
});

after(async () => {
  await api?.stop();
  await Promise.all([company?.close(), berlinServer?.close()]);
  tls?.remove();
});

describe('candidates directory', () => {
  it('stores, reads and deletes candidates; addresses are kept lowercase', async () => {
    const token = tokens.acmeRecruiter;
    const put = await api.request('PUT', '/v1/candidates/cand-ada', { token, body: { emails: ['Ada.Lovelace@Example.com', 'ada@home.example'], name: 'Ada Lovelace' } });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.json.emails, ['ada.lovelace@example.com', 'ada@home.example']);
    assert.equal(put.json.scope, 'main');
    const get = await api.request('GET', '/v1/candidates/cand-ada', { token });
    assert.equal(get.status, 200);
    assert.equal(get.json.name, 'Ada Lovelace');

    await putCandidate(token, 'cand-temp', ['temp@example.com']);
    assert.equal((await api.request('DELETE', '/v1/candidates/cand-temp', { token })).status, 204);
    const gone = await api.request('GET', '/v1/candidates/cand-temp', { token });
    assert.equal(gone.status, 404);
    assert.equal(gone.json.error.code, 'NOT_FOUND');

    const invalid = await api.request('PUT', '/v1/candidates/cand-bad', { token, body: { emails: ['not an address'] } });
    assert.equal(invalid.status, 400, invalid.text);
    assert.ok(invalid.json.error.details.some((issue: { path: string }) => issue.path === 'emails.0'), invalid.text);
  });
});

describe('sending candidate mail', () => {
  it("delivers through the company's server (STARTTLS + AUTH) with the company's From, our Message-ID, status sent", async () => {
    const subject = 'Your application at ACME';
    const accepted = await send(tokens.acmeRecruiter, 'cand-ada', { subject, text: 'Dear Ada,\n\nthank you.\n.\nA line with a dot.', cc: ['hr-copy@example.com'] });
    assert.equal(accepted.status, 202, accepted.text);
    assert.equal(accepted.json.status, 'queued');
    assert.equal(accepted.json.direction, 'outbound');
    assert.equal(accepted.json.candidateId, 'cand-ada');
    assert.equal(accepted.headers.get('location'), `/v1/messages/${accepted.json.id}`);

    const message = await waitForDelivery(api, tokens.acmeRecruiter, accepted.json.id);
    assert.equal(message.status, 'sent', JSON.stringify(message));
    assert.equal(message.provider, 'smtp');
    assert.equal(message.fallbackReason, null);
    assert.equal(message.attempts, 1);
    assert.match(message.smtpResponse, /^250 .*queued as/);
    assert.match(message.messageIdHeader, /^<[^<>@\s]+@mail\.localhost>$/);
    assert.equal(message.from.address, ACME);
    assert.ok(message.sentAt);

    const [mail, ...more] = receivedWithSubject(company, subject);
    assert.ok(mail, 'the mail arrived at the company server');
    assert.equal(more.length, 0);
    assert.equal(mail.user, ACME, 'sent after AUTH as the company login');
    assert.equal(mail.envelope.from, ACME);
    assert.deepEqual(mail.envelope.to.sort(), ['ada.lovelace@example.com', 'hr-copy@example.com']);
    assert.deepEqual(mail.parsed.from?.value, [{ address: ACME, name: 'ACME Jobs' }]);
    assert.equal(mail.parsed.messageId, message.messageIdHeader, 'the stored Message-ID is the one the server received');
    assert.equal(mail.parsed.headers.get('x-recruiting-mail-id'), message.id);
    assert.match(mail.parsed.text ?? '', /Dear Ada,\n\nthank you\.\n\.\nA line with a dot\./);
  });

  it('uses the sub-company’s own server, and the company’s server for a sub-company without settings', async () => {
    await putCandidate(tokens.acme, 'cand-munich', ['munich@example.com'], 'munich');
    const viaCompany = await sendAndDeliver(tokens.acme, 'cand-munich', { subject: 'Munich role', text: 'Hello' });
    assert.equal(viaCompany.status, 'sent', JSON.stringify(viaCompany));
    assert.equal(receivedWithSubject(company, 'Munich role').length, 1);
    assert.equal(receivedWithSubject(company, 'Munich role')[0].envelope.from, ACME);

    await putCandidate(tokens.acme, 'cand-berlin', ['berlin-cand@example.com'], 'berlin');
    const viaBerlin = await sendAndDeliver(tokens.acme, 'cand-berlin', { subject: 'Berlin role', text: 'Hallo' });
    assert.equal(viaBerlin.status, 'sent', JSON.stringify(viaBerlin));
    assert.equal(receivedWithSubject(berlinServer, 'Berlin role').length, 1);
    assert.equal(receivedWithSubject(berlinServer, 'Berlin role')[0].envelope.from, BERLIN);
    assert.equal(receivedWithSubject(company, 'Berlin role').length, 0);
  });

  it('sends once for the same Idempotency-Key and body, and answers 409 for the same key with another body', async () => {
    const subject = 'Interview invitation (idempotent)';
    const body = { subject, text: 'Would Tuesday suit you?' };
    const first = await send(tokens.acme, 'cand-ada', body, 'key-interview-1');
    const second = await send(tokens.acme, 'cand-ada', body, 'key-interview-1');
    assert.equal(first.status, 202, first.text);
    assert.equal(second.status, 202, second.text);
    assert.equal(second.json.id, first.json.id, 'the repeat returns the first message');

    const delivered = await waitForDelivery(api, tokens.acme, first.json.id);
    assert.equal(delivered.status, 'sent');
    const third = await send(tokens.acme, 'cand-ada', body, 'key-interview-1');
    assert.equal(third.status, 202);
    assert.equal(third.json.id, first.json.id);
    assert.equal(third.json.status, 'sent', 'the repeat shows the first message as it is now');
    await api.backend.sendQueue.idle();
    assert.equal(receivedWithSubject(company, subject).length, 1, 'exactly one mail reached the server');

    const conflict = await send(tokens.acme, 'cand-ada', { ...body, text: 'Would Wednesday suit you?' }, 'key-interview-1');
    assert.equal(conflict.status, 409, conflict.text);
    assert.equal(conflict.json.error.code, 'IDEMPOTENCY_KEY_REUSED');
    await api.backend.sendQueue.idle();
    assert.equal(receivedWithSubject(company, subject).length, 1);
  });

  it('fails a message whose recipient the server rejects (550 5.1.1), without fallback', async () => {
    const subject = 'To a mailbox that does not exist';
    const message = await sendWithScriptedReply('rcpt', 'cand-nobody', 'nobody@example.com', '550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table', { subject, text: 'Hello?' });
    assert.equal(message.status, 'failed', JSON.stringify(message));
    assert.equal(message.error?.code, 'RECIPIENT_REJECTED');
    assert.equal(message.fallbackReason, null);
    assert.notEqual(message.provider, 'default');
    assert.match(message.smtpResponse ?? '', /^550 5\.1\.1/);
    assert.equal(receivedWithSubject(company, subject).length, 0);
    assert.equal((await sesEmails()).filter((email) => email.subject === subject).length, 0, 'nothing went through the default provider');
    const settings = await api.request('GET', '/v1/email-settings/main', { token: tokens.acme });
    assert.equal(settings.json.status, 'verified', "a rejected recipient is not the company server's fault");
  });

  it('retries a temporary 451 4.3.0 on RCPT and then sends (attempts 2)', async () => {
    const subject = 'After a greylisting pause';
    const message = await sendWithScriptedReply('rcpt', 'cand-flaky', 'flaky@example.com', '451 4.3.0 <flaky@example.com>: Temporary lookup failure', { subject, text: 'Second time lucky' });
    assert.equal(message.status, 'sent', JSON.stringify(message));
    assert.equal(message.provider, 'smtp');
    assert.equal(message.fallbackReason, null);
    assert.equal(message.attempts, 2);
    assert.equal(receivedWithSubject(company, subject).length, 1);
  });

  it('retries a temporary 451 4.3.0 at the end of DATA and then sends (attempts 2)', async () => {
    const subject = 'After a full queue';
    const message = await sendWithScriptedReply('data', 'cand-flaky-data', 'flaky-data@example.com', '451 4.3.0 Error: queue file write error', { subject, text: 'Second time lucky' });
    assert.equal(message.status, 'sent', `a 451 answer to DATA is a definite "not taken, try later": ${JSON.stringify(message)}`);
    assert.equal(message.provider, 'smtp');
    assert.equal(message.attempts, 2);
    assert.equal(receivedWithSubject(company, subject).length, 1);
    assert.equal(company.dataAttempts() >= 2, true);
  });

  it('sends attachments byte for byte (base64 in, MIME out), and serves them back', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(48 * 1024), Buffer.from([0, 0, 13, 10, 46, 13, 10])]);
    const notes = Buffer.from('Grüße aus Berlin\r\n.\r\nline after a dot\r\n', 'utf8');
    const subject = 'Your offer letter';
    const accepted = await send(tokens.acme, 'cand-berlin', {
      subject,
      text: 'Please find the offer attached.',
      attachments: [
        { filename: 'Offer – letter.pdf', contentType: 'application/pdf', contentBase64: pdf.toString('base64') },
        { filename: 'notes.txt', contentType: 'text/plain', contentBase64: notes.toString('base64') },
      ],
    });
    assert.equal(accepted.status, 202, accepted.text);
    const message = await waitForDelivery(api, tokens.acme, accepted.json.id);
    assert.equal(message.status, 'sent', JSON.stringify(message));

    const [mail] = receivedWithSubject(berlinServer, subject);
    assert.ok(mail, 'arrived at the sub-company server');
    const attachments = mail.parsed.attachments;
    assert.equal(attachments.length, 2);
    const receivedPdf = attachments.find((attachment) => attachment.contentType === 'application/pdf');
    const receivedNotes = attachments.find((attachment) => attachment.contentType.startsWith('text/plain'));
    assert.equal(receivedPdf?.filename, 'Offer – letter.pdf');
    assert.ok(receivedPdf && receivedPdf.content.equals(pdf), 'the PDF arrived with the same bytes');
    assert.equal(receivedNotes?.filename, 'notes.txt');
    assert.ok(receivedNotes && receivedNotes.content.equals(notes), 'the text file arrived with the same bytes');

    assert.deepEqual(
      message.attachments.map((attachment: { filename: string; size: number; contentType: string }) => [attachment.filename, attachment.size, attachment.contentType]),
      [
        ['Offer – letter.pdf', pdf.length, 'application/pdf'],
        ['notes.txt', notes.length, 'text/plain'],
      ],
    );
    const download = await fetch(message.attachments[0].downloadUrl);
    assert.equal(download.status, 200);
    assert.ok(Buffer.from(await download.arrayBuffer()).equals(pdf), 'the download link serves the same bytes');
  });

  it('refuses header injection and ambiguous addresses with 400, and queues nothing', async () => {
    const token = tokens.acme;
    const before = await api.request('GET', '/v1/candidates/cand-ada/messages?limit=100', { token });
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['CR/LF in the subject', { subject: 'a\r\nBcc: x@y.z', text: 'x' }, 'subject'],
      ['LF alone in the subject', { subject: 'a\nBcc: x@y.z', text: 'x' }, 'subject'],
      ['an ambiguous to', { subject: 'Hi', text: 'x', to: ['a@good.com(x)evil.com'] }, 'to'],
      ['two addresses in one to', { subject: 'Hi', text: 'x', to: ['a@good.com, b@evil.com'] }, 'to'],
      ['CR/LF in cc', { subject: 'Hi', text: 'x', cc: ['a@good.com\r\nBcc: b@evil.com'] }, 'cc'],
      ['CR/LF in a filename', { subject: 'Hi', text: 'x', attachments: [{ filename: 'a.pdf\r\nBcc: b@evil.com', contentType: 'application/pdf', contentBase64: 'AAAA' }] }, 'attachments'],
      ['a MIME type with parameters', { subject: 'Hi', text: 'x', attachments: [{ filename: 'a.txt', contentType: 'text/plain\r\nBcc: b@evil.com', contentBase64: 'AAAA' }] }, 'attachments'],
      ['base64 that is not', { subject: 'Hi', text: 'x', attachments: [{ filename: 'a.pdf', contentType: 'application/pdf', contentBase64: '***not base64***' }] }, 'attachments'],
      ['neither text nor html', { subject: 'Hi' }, 'text'],
      ['an unknown field', { subject: 'Hi', text: 'x', bcc: ['hidden@evil.com'] }, ''],
      ['CR/LF in inReplyTo', { subject: 'Hi', text: 'x', inReplyTo: '<a@b.c>\r\nBcc: x@y.z' }, 'inReplyTo'],
    ];
    for (const [what, body, path] of cases) {
      const response = await send(token, 'cand-ada', body);
      assert.equal(response.status, 400, `${what}: ${response.status} ${response.text}`);
      assert.equal(response.json.error.code, 'VALIDATION_FAILED', `${what}: ${response.text}`);
      const paths: string[] = (response.json.error.details ?? []).map((issue: { path: string }) => issue.path);
      assert.ok(paths.some((p) => p.startsWith(path)), `${what}: details ${JSON.stringify(paths)}`);
    }
    const invalidJson = await api.request('POST', '/v1/candidates/cand-ada/messages', { token, rawBody: '{"subject": "Hi", "text": ' });
    assert.equal(invalidJson.status, 400);
    assert.equal(invalidJson.json.error.code, 'INVALID_JSON');

    const afterwards = await api.request('GET', '/v1/candidates/cand-ada/messages?limit=100', { token });
    assert.equal(afterwards.json.items.length, before.json.items.length, 'nothing was stored or queued');
    assert.ok(!company.received.some((mail) => /evil\.com|x@y\.z/.test(mail.envelope.to.join(' '))));
  });

  it('answers 413 for attachments over the limit', async () => {
    const big = Buffer.alloc(11 * 1024 * 1024, 7).toString('base64');
    const response = await api.request('POST', '/v1/candidates/cand-ada/messages', {
      token: tokens.acme,
      body: { subject: 'Too big', text: 'x', attachments: [{ filename: 'big.bin', contentType: 'application/octet-stream', contentBase64: big }] },
      freshConnection: true,
    });
    assert.equal(response.status, 413, response.text.slice(0, 300));
    // Over API Gateway's 10 MB payload limit: the gateway answers, in its own shape.
    assert.deepEqual(response.json, { message: 'Request Entity Too Large' });
  });
});

describe('fallback to the default provider', () => {
  it("sends through the local SES with fallbackReason AUTH_FAILED when the server starts refusing the login, and marks the settings failing", async () => {
    await configureSmtp(tokens.globex, 'main', company, GLOBEX, { displayName: 'Globex' });
    await putCandidate(tokens.globex, 'cand-g1', ['grace@example.com']);
    const settingsBefore = await api.request('GET', '/v1/email-settings/main', { token: tokens.globex });
    assert.equal(settingsBefore.json.status, 'verified');

    company.refusedLogins.add(GLOBEX); // the admin changed the password on the server
    const subject = 'Globex: next steps';
    const message = await sendAndDeliver(tokens.globex, 'cand-g1', { subject, text: 'Hello Grace' });
    assert.equal(message.status, 'sent', JSON.stringify(message));
    assert.equal(message.provider, 'default');
    assert.equal(message.fallbackReason, 'AUTH_FAILED');
    assert.match(message.messageIdHeader, /@mail\.localhost>$/, 'our Message-ID is kept');
    assert.ok(message.providerMessageIdHeader, 'and the one SES gave it is stored');

    assert.equal(receivedWithSubject(company, subject).length, 0);
    const viaSes = (await sesEmails()).filter((email) => email.subject === subject);
    assert.equal(viaSes.length, 1, 'exactly one mail through the default provider');
    assert.match(viaSes[0].from, new RegExp(DEFAULT_FROM_ADDRESS.replace('.', '\\.')));
    assert.match(viaSes[0].from, /Globex/, 'the candidate still sees the company');
    assert.ok(viaSes[0].replyTo.some((address) => address.includes(settingsBefore.json.inboundAddress)), `Reply-To ${viaSes[0].replyTo}`);
    assert.ok(viaSes[0].destination.to.some((address) => address.includes('grace@example.com')));

    const settings = await api.request('GET', '/v1/email-settings/main', { token: tokens.globex });
    assert.equal(settings.json.status, 'failing');
    assert.equal(settings.json.failure?.code, 'AUTH_FAILED');
    assert.match(settings.json.failure?.smtpResponse ?? '', /^535 5\.7\.8/);
    assert.equal(settings.json.mode, 'smtp', 'the configuration stays for the admin to fix');
  });

  it('ends failed, without the default provider, when fallbackToDefault is false', async () => {
    await configureSmtp(tokens.initech, 'main', company, INITECH, { fallbackToDefault: false });
    await putCandidate(tokens.initech, 'cand-i1', ['peter@example.com']);
    company.refusedLogins.add(INITECH);
    const subject = 'Initech: TPS reports';
    const message = await sendAndDeliver(tokens.initech, 'cand-i1', { subject, text: 'Hello Peter' });
    assert.equal(message.status, 'failed', JSON.stringify(message));
    assert.equal(message.error?.code, 'AUTH_FAILED');
    assert.notEqual(message.provider, 'default');
    assert.equal((await sesEmails()).filter((email) => email.subject === subject).length, 0);
    assert.equal(receivedWithSubject(company, subject).length, 0);
    const settings = await api.request('GET', '/v1/email-settings/main', { token: tokens.initech });
    assert.equal(settings.json.status, 'failing');
    assert.equal(settings.json.failure?.code, 'AUTH_FAILED');
  });
});

describe('reading messages', () => {
  it('pages a conversation newest first with limit and nextCursor', async () => {
    const token = tokens.acmeRecruiter;
    await putCandidate(token, 'cand-pages', ['pages@example.com']);
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const accepted = await send(token, 'cand-pages', { subject: `Page ${n}`, text: `Message ${n}` });
      assert.equal(accepted.status, 202, accepted.text);
      ids.push(accepted.json.id);
      // Distinct creation times, so that "newest first" has one answer.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    for (const id of ids) await waitForDelivery(api, token, id);

    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 5; page++) {
      const query: string = cursor ? `?limit=1&cursor=${encodeURIComponent(cursor)}` : '?limit=1';
      const response = await api.request('GET', `/v1/candidates/cand-pages/messages${query}`, { token });
      assert.equal(response.status, 200, response.text);
      assert.ok(response.json.items.length <= 1);
      seen.push(...response.json.items.map((item: { id: string }) => item.id));
      for (const item of response.json.items) {
        assert.equal(item.candidateId, 'cand-pages');
        assert.equal(item.direction, 'outbound');
      }
      cursor = response.json.nextCursor;
      if (!cursor) break;
    }
    assert.deepEqual(seen, [...ids].reverse(), 'every message once, newest first');

    const all = await api.request('GET', '/v1/candidates/cand-pages/messages', { token });
    assert.deepEqual(all.json.items.map((item: { subject: string }) => item.subject), ['Page 3', 'Page 2', 'Page 1']);
    assert.equal(all.json.nextCursor, null);

    for (const bad of ['?limit=0', '?limit=101', '?limit=abc', '?cursor=not-a-cursor']) {
      const response = await api.request('GET', `/v1/candidates/cand-pages/messages${bad}`, { token });
      assert.equal(response.status, 400, `${bad}: ${response.text}`);
    }
  });

  it('GET /v1/messages/{id} shows one message with its text', async () => {
    const token = tokens.acmeRecruiter;
    const list = await api.request('GET', '/v1/candidates/cand-pages/messages?limit=1', { token });
    const id = list.json.items[0].id;
    const message = await api.request('GET', `/v1/messages/${id}`, { token });
    assert.equal(message.status, 200, message.text);
    assert.equal(message.json.id, id);
    assert.equal(message.json.subject, 'Page 3');
    assert.equal(message.json.text, 'Message 3');
    assert.equal(message.json.status, 'sent');
    assert.deepEqual(message.json.to.map((to: { address: string }) => to.address), ['pages@example.com']);
    assert.ok(message.json.messageIdHeader);
    assert.equal((await api.request('GET', '/v1/messages/msg-does-not-exist', { token })).status, 404);
  });
});

describe('tenancy', () => {
  it("never shows one company another company's candidates or messages (404)", async () => {
    const evil = tokens.evil;
    const acmeMessages = await api.request('GET', '/v1/candidates/cand-pages/messages?limit=1', { token: tokens.acme });
    const acmeMessageId = acmeMessages.json.items[0].id;
    const acmeCursor = acmeMessages.json.nextCursor;

    assert.equal((await api.request('GET', '/v1/candidates/cand-ada', { token: evil })).status, 404);
    assert.equal((await api.request('DELETE', '/v1/candidates/cand-ada', { token: evil })).status, 404);
    const message = await api.request('GET', `/v1/messages/${acmeMessageId}`, { token: evil });
    assert.equal(message.status, 404, message.text);
    assert.equal(message.json.error.code, 'NOT_FOUND');
    const assign = await api.request('POST', `/v1/messages/${acmeMessageId}/assign`, { token: evil, body: { candidateId: 'cand-x' } });
    assert.equal(assign.status, 404, assign.text);
    const sendAs = await send(evil, 'cand-ada', { subject: 'From evil', text: 'x' });
    assert.equal(sendAs.status, 404, sendAs.text);
    const conversation = await api.request('GET', '/v1/candidates/cand-pages/messages', { token: evil });
    assert.equal(conversation.status, 200);
    assert.deepEqual(conversation.json.items, []);
    const borrowedCursor = await api.request('GET', `/v1/candidates/cand-pages/messages?limit=1&cursor=${encodeURIComponent(acmeCursor)}`, { token: evil });
    assert.equal(borrowedCursor.status, 400, "another company's cursor is not a cursor of this list");
    const unassigned = await api.request('GET', '/v1/messages/unassigned', { token: evil });
    assert.deepEqual(unassigned.json.items, []);

    // Still intact for its owner.
    assert.equal((await api.request('GET', '/v1/candidates/cand-ada', { token: tokens.acme })).status, 200);
    assert.equal((await api.request('GET', `/v1/messages/${acmeMessageId}`, { token: tokens.acme })).status, 200);
  });
});

describe('secrets', () => {
  it('never returned the SMTP password, in any form, in any response body or log line', async () => {
    assert.equal(await backendLogLevel(), 'INFO', 'the checked output is what the backend writes at INFO, as the stack logs');
    for (const user of [ACME, BERLIN, GLOBEX, INITECH]) {
      for (const form of secretForms(user, PASSWORD)) {
        for (const [index, body] of api.responseBodies.entries()) assert.ok(!body.includes(form), `response ${index}: ${body.slice(0, 300)}`);
        assert.ok(!api.output().includes(form), `the process output contains a form of the password of ${user}`);
      }
    }
  });
});
