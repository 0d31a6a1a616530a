/**
 * Fault suite, company servers that misbehave, end to end through the local backend (HTTP API,
 * in-process queue, the real worker) against real smtp-server instances: a greylisting server
 * (retried with backoff, never a fallback, the settings stay healthy) and a server that resets
 * the connection in the middle of DATA (settled, never delivered twice). A server that stalls
 * after DATA (`DELIVERY_UNCERTAIN`, one copy) is covered with short timeouts in
 * test/smtp/send-via-smtp.test.ts and test/messages/deliver-candidate-mail.test.ts, and by the
 * late-answering server of crash-send.test.ts.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import type { LocalSesStoredEmail } from '../../infra/local/local-ses';
import { starttlsLoginOptions, startMailServer, trustedCaFixture, type MailServer, type TrustedCaFixture } from '../support/mail-servers';
import { startTestBackend, waitForDelivery, type TestBackend } from '../support/test-backend';

const PASSWORD = 'Misbehaving-pw-42';
const GREY = 'jobs@grey.test';
const RESET = 'jobs@reset.test';

let api: TestBackend;
let greylisting: MailServer;
let resetting: { port: number; dataStarts: () => number; close: () => Promise<void> };
let tls: TrustedCaFixture;

/** A server with AUTH that destroys the connection at the first chunk of DATA. */
async function startDataResetter(tls: { key: string; cert: string }, user: string) {
  let dataStarts = 0;
  const server: SMTPServer = new SMTPServer({
    ...starttlsLoginOptions(tls, user, PASSWORD),
    onData(stream, session, callback) {
      dataStarts += 1;
      stream.once('data', () => {
        const connections = (server as unknown as { connections: Set<{ id: string; _socket: { destroy(): void } }> }).connections;
        for (const connection of connections) if (connection.id === session.id) connection._socket.destroy();
      });
      stream.resume();
      void callback;
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    dataStarts: () => dataStarts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const connection of (server as unknown as { connections: Set<{ _socket: { destroy(): void } }> }).connections) connection._socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function configure(companyId: string, address: string, port: number) {
  const token = await api.token(companyId, ['admin', 'recruiter']);
  const put = await api.request('PUT', '/v1/email-settings/main', {
    token,
    body: { address, mode: 'smtp', smtp: { host: '127.0.0.1', port, security: 'starttls', username: address, password: PASSWORD } },
  });
  assert.equal(put.status, 200, put.text);
  const candidate = await api.request('PUT', '/v1/candidates/cand-1', { token, body: { emails: [`candidate@${companyId}.example`], name: 'Candidate' } });
  assert.equal(candidate.status, 200, candidate.text);
  return token;
}

async function sesCopies(subject: string): Promise<number> {
  const response = await fetch(api.backend.sesStoreUrl);
  const { emails } = (await response.json()) as { emails: LocalSesStoredEmail[] };
  return emails.filter((email) => JSON.stringify(email).includes(subject)).length;
}

before(async () => {
  tls = trustedCaFixture('faults-servers-');
  greylisting = await startMailServer({ security: 'starttls', tls, users: { [GREY]: PASSWORD } });
  resetting = await startDataResetter(tls, RESET);
  api = await startTestBackend({ SMTP_ALLOWED_PORTS: '*', SMTP_TESTS_PER_MINUTE: '100', ...tls.backendEnv });
});

after(async () => {
  await api?.stop();
  await Promise.all([greylisting?.close(), resetting?.close()]);
  tls?.remove();
});

describe('fault suite: misbehaving company servers', () => {
  it('a greylisting server: retried with backoff and sent through it; no fallback, settings stay healthy', async () => {
    const token = await configure('grey', GREY, greylisting.port);
    greylisting.scriptRcpt('candidate@grey.example', `450 4.7.1 <${GREY}>: Sender address rejected: Greylisted, please try again later`);
    const accepted = await api.request('POST', '/v1/candidates/cand-1/messages', { token, body: { subject: 'greylisted once', text: 'Hello' } });
    assert.equal(accepted.status, 202, accepted.text);
    const message = await waitForDelivery(api, token, accepted.json.id);
    assert.equal(message.status, 'sent', JSON.stringify(message));
    assert.equal(message.provider, 'smtp');
    assert.equal(message.fallbackReason, null);
    assert.equal(message.attempts, 2);
    assert.equal(greylisting.received.filter((mail) => mail.parsed.subject === 'greylisted once').length, 1);
    const settings = await api.request('GET', '/v1/email-settings/main', { token });
    assert.notEqual(settings.json.status, 'failing', JSON.stringify(settings.json));
  });

  it('a reset in the middle of DATA: the message ends settled and reaches the candidate at most once', async () => {
    const token = await configure('reset', RESET, resetting.port);
    const accepted = await api.request('POST', '/v1/candidates/cand-1/messages', { token, body: { subject: 'reset mid data', text: 'x'.repeat(200_000) } });
    assert.equal(accepted.status, 202, accepted.text);
    const message = await waitForDelivery(api, token, accepted.json.id);
    assert.ok(message.status === 'sent' || message.status === 'failed', JSON.stringify(message));
    assert.ok(resetting.dataStarts() >= 1, 'the server saw DATA begin');
    assert.ok((await sesCopies('reset mid data')) <= 1, 'never twice through the fallback');
  });
});
