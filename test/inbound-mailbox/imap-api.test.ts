/**
 * The inbound settings through the HTTP API of the whole local backend (`npm start`'s), reading
 * a real Dovecot: a failed test answers 422 and keeps forwarding, only admins may change it,
 * the password never comes back, the poller (invoked as the schedule would) files the mailbox's
 * mail under the candidate, and another company sees none of it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { startDovecot, type DovecotServer } from '../support/dovecot-server';
import { startTestBackend, type TestBackend } from '../support/test-backend';

const MAILBOX = 'jobs@acme.test';
const PASSWORD = 'api-imap-secret-7';

let dovecot: DovecotServer;
let backend: TestBackend;
let admin: string;

before(async () => {
  dovecot = await startDovecot({ users: [{ user: MAILBOX, password: PASSWORD }] });
  backend = await startTestBackend({ IMAP_ALLOWED_PORTS: '*', INBOUND_IMAP_POLL_SECONDS: '3600' });
  admin = await backend.token('acme', ['admin']);
});

after(async () => {
  await backend?.stop();
  await dovecot?.stop();
});

const imap = (password?: string) => ({ host: 'localhost', port: dovecot.port, security: 'starttls', username: MAILBOX, auth: 'password', ...(password ? { password } : {}) });

describe('inbound over IMAP through the API', () => {
  it('answers 422 IMAP_TEST_FAILED for a wrong password and keeps forwarding; recruiters may not change it', async () => {
    const refused = await backend.request('PUT', '/v1/email-settings/main/inbound', { token: admin, body: { mode: 'imap', imap: imap('wrong') } });
    assert.equal(refused.status, 422);
    assert.equal(refused.json.error.code, 'IMAP_TEST_FAILED');
    assert.equal(refused.json.test.code, 'AUTH_FAILED');
    assert.equal(refused.json.settings.inbound.mode, 'forward');
    const recruiter = await backend.token('acme', ['recruiter']);
    const forbidden = await backend.request('PUT', '/v1/email-settings/main/inbound', { token: recruiter, body: { mode: 'imap', imap: imap(PASSWORD) } });
    assert.equal(forbidden.status, 403);
    const invalid = await backend.request('PUT', '/v1/email-settings/main/inbound', { token: admin, body: { mode: 'imap', imap: { auth: 'password' } } });
    assert.equal(invalid.status, 400);
  });

  it('saves a mailbox that passes, never showing the password, and files its mail under the candidate', async () => {
    const candidate = await backend.request('PUT', '/v1/candidates/cand-ada', { token: admin, body: { emails: ['ada@candidates.test'], name: 'Ada' } });
    assert.ok(candidate.status === 200 || candidate.status === 201, JSON.stringify(candidate.json));
    const client = new ImapFlow({ host: '127.0.0.1', port: dovecot.tlsPort, secure: true, servername: 'localhost', tls: { ca: [dovecot.cert] }, auth: { user: MAILBOX, pass: PASSWORD }, logger: false });
    await client.connect();
    await client.append('INBOX', Buffer.from(`From: Ada <ada@candidates.test>\r\nTo: ${MAILBOX}\r\nSubject: Bewerbung\r\nMessage-ID: <api-ada-1@candidates.test>\r\nDate: ${new Date().toUTCString()}\r\n\r\nHallo\r\n`));
    await client.logout();

    const saved = await backend.request('PUT', '/v1/email-settings/main/inbound', { token: admin, body: { mode: 'imap', imap: imap(PASSWORD) } });
    assert.equal(saved.status, 200, JSON.stringify(saved.json));
    assert.equal(saved.json.inbound.mode, 'imap');
    assert.equal(saved.json.inbound.imap.passwordSet, true);
    assert.equal(saved.json.test.ok, true);
    assert.ok(!backend.responseBodies.some((body) => body.includes(PASSWORD)), 'the password never comes back');

    const tested = await backend.request('POST', '/v1/email-settings/main/inbound-test', { token: admin, body: {} });
    assert.equal(tested.status, 200);
    assert.equal(tested.json.code, 'OK');

    const run = await backend.request('POST', '/2015-03-31/functions/inbound-mailbox-poller/invocations', { body: {} });
    assert.deepEqual(run.json, { dispatched: 1, failed: 0 });
    const conversation = await backend.request('GET', '/v1/candidates/cand-ada/messages', { token: admin });
    assert.equal(conversation.json.items.length, 1);
    assert.equal(conversation.json.items[0].subject, 'Bewerbung');
    const settings = await backend.request('GET', '/v1/email-settings/main', { token: admin });
    assert.equal(settings.json.inbound.status, 'active');
    assert.ok(settings.json.inbound.lastPollAt);
  });

  it('another company sees its own inbound settings only', async () => {
    const other = await backend.token('globex', ['admin']);
    const theirs = await backend.request('GET', '/v1/email-settings/main', { token: other });
    assert.equal(theirs.json.inbound.mode, 'forward');
    const tested = await backend.request('POST', '/v1/email-settings/main/inbound-test', { token: other, body: {} });
    assert.equal(tested.status, 400);
  });
});
