/**
 * Through the local backend (HTTP API, in-process queue, the real send worker, a real SMTP
 * server with STARTTLS and AUTH): a company server that starts refusing the login fails a message
 * (no fallback allowed), opens its circuit (shown in the settings), the recruiter sends the
 * message again by hand once the server is fixed, the probe goes through the server, and the
 * settings are `verified` again without anyone pressing the test button.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMailServer, trustedCaFixture, type MailServer, type TrustedCaFixture } from '../support/mail-servers';
import { startTestBackend, waitForDelivery, type TestBackend } from '../support/test-backend';

const PASSWORD = 'Circuit-e2e-pw-42';
const ACME = 'jobs@acme.test';

let api: TestBackend;
let server: MailServer;
let tls: TrustedCaFixture;
const tokens: Record<string, string> = {};

before(async () => {
  tls = trustedCaFixture('e2e-circuit-tls-');
  server = await startMailServer({ security: 'starttls', tls, users: { [ACME]: PASSWORD } });
  api = await startTestBackend({ SMTP_ALLOWED_PORTS: '*', SEND_CIRCUIT_COOLDOWN_SECONDS: '1', ...tls.backendEnv });
  tokens.admin = await api.token('acme');
  tokens.recruiter = await api.token('acme', ['recruiter']);
  tokens.globex = await api.token('globex', ['recruiter']);
});

after(async () => {
  await api?.stop();
  await server?.close();
  tls?.remove();
});

describe('a failing company server, end to end', () => {
  it('fails the message without fallback, opens the circuit; sent again by hand once fixed, the server takes it and the settings are verified again', async () => {
    const put = await api.request('PUT', '/v1/email-settings/main', {
      token: tokens.admin,
      body: { address: ACME, mode: 'smtp', fallbackToDefault: false, smtp: { host: '127.0.0.1', port: server.port, security: 'starttls', username: ACME, password: PASSWORD } },
    });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.json.circuit, { state: 'closed', since: null, nextProbeAt: null });
    const candidate = await api.request('PUT', '/v1/candidates/cand-1', { token: tokens.recruiter, body: { emails: ['ann@example.com'], name: 'Ann' } });
    assert.equal(candidate.status, 200, candidate.text);

    server.refusedLogins.add(ACME); // the password was changed on the server
    const accepted = await api.request('POST', '/v1/candidates/cand-1/messages', { token: tokens.recruiter, body: { subject: 'Your interview', text: 'Hi Ann' } });
    assert.equal(accepted.status, 202, accepted.text);
    const failed = await waitForDelivery(api, tokens.recruiter, accepted.json.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error.code, 'AUTH_FAILED');

    const failing = await api.request('GET', '/v1/email-settings/main', { token: tokens.admin });
    assert.equal(failing.json.status, 'failing');
    assert.equal(failing.json.circuit.state, 'open');
    assert.ok(Date.parse(failing.json.circuit.nextProbeAt) > Date.parse(failing.json.circuit.since));

    assert.equal((await api.request('POST', `/v1/messages/${accepted.json.id}/retry`, { token: tokens.globex })).status, 404, "another company's message");

    server.refusedLogins.delete(ACME); // fixed
    const retried = await api.request('POST', `/v1/messages/${accepted.json.id}/retry`, { token: tokens.recruiter });
    assert.equal(retried.status, 202, retried.text);
    assert.deepEqual([retried.json.id, retried.json.status, retried.json.attempts, retried.json.error], [accepted.json.id, 'queued', 0, null]);

    const sent = await waitForDelivery(api, tokens.recruiter, accepted.json.id);
    assert.equal(sent.status, 'sent', JSON.stringify(sent));
    assert.equal(sent.provider, 'smtp');
    assert.equal(sent.messageIdHeader, accepted.json.messageIdHeader, 'the same message');
    assert.equal(server.received.filter((mail) => mail.parsed.subject === 'Your interview').length, 1);

    const recovered = await api.request('GET', '/v1/email-settings/main', { token: tokens.admin });
    assert.equal(recovered.json.status, 'verified', 'a delivery the server accepted clears failing');
    assert.equal(recovered.json.failure, null);
    assert.deepEqual(recovered.json.circuit, { state: 'closed', since: null, nextProbeAt: null });

    const again = await api.request('POST', `/v1/messages/${accepted.json.id}/retry`, { token: tokens.recruiter });
    assert.equal(again.status, 409, 'a sent message is never sent twice');
    assert.equal(again.json.error.code, 'CONFLICT');
  });
});
