/**
 * Outbound safety end to end (DESIGN section 2), with the operator's exemptions NOT covering
 * loopback: a real mail server listens on 127.0.0.1 with an allowed port, and every way of
 * naming a loopback, private, link-local or transition address must be refused before any
 * connection. Known-bad hosts and disallowed ports are refused before any DNS or connection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMailServer, trustedCaFixture, type MailServer, type TrustedCaFixture } from '../support/mail-servers';
import { startTestBackend, type TestBackend } from '../support/test-backend';

const USER = 'jobs@acme.test';
const PASSWORD = 'safety-e2e-password-7';

let api: TestBackend;
let server: MailServer;
let tls: TrustedCaFixture;

before(async () => {
  tls = trustedCaFixture('e2e-safety-tls-');
  server = await startMailServer({ security: 'starttls', tls, users: { [USER]: PASSWORD } });
  api = await startTestBackend({
    // The server's own port is allowed, so only the address can stop the connection.
    SMTP_ALLOWED_PORTS: `${server.port},465,587`,
    // Local mode would exempt 127.0.0.0/8 and ::1; an exemption elsewhere leaves them blocked
    // (an empty value cannot be given: the local runner treats it as unset).
    SMTP_ALLOWED_PRIVATE_CIDRS: '198.51.100.7/32',
    SMTP_TESTS_PER_MINUTE: '500',
    ...tls.backendEnv,
  });
});

after(async () => {
  await api?.stop();
  await server?.close();
  tls?.remove();
});

const smtp = (host: string, extra: Record<string, unknown> = {}) => ({
  host,
  port: server.port,
  security: 'starttls',
  username: USER,
  password: PASSWORD,
  fromAddress: USER,
  ...extra,
});

/** Names of loopback, private and special addresses, in the odd forms resolvers accept. */
const BLOCKED_HOSTS = [
  '127.0.0.1',
  '127.1',
  '0x7f.1',
  '0x7f000001',
  '2130706433',
  '0177.0.0.1',
  'localhost',
  '[::1]',
  '::1',
  '::ffff:127.0.0.1',
  '[::ffff:7f00:1]',
  '[64:ff9b::7f00:1]',
  '[2002:7f00:1::]',
  '169.254.169.254',
  '10.0.0.1',
  '172.16.0.1',
  '192.168.1.1',
  '100.64.0.1',
  '0.0.0.0',
  '[fe80::1]',
  '[fc00::1]',
];

describe('blocked destinations', () => {
  it('refuses every form of a loopback or private address with DESTINATION_BLOCKED, without connecting', async () => {
    const token = await api.token('acme');
    const wrong: string[] = [];
    for (const host of BLOCKED_HOSTS) {
      const test = await api.request('POST', '/v1/email-settings/main/test', { token, body: { smtp: smtp(host) } });
      const ok = test.status === 200 && test.json.ok === false && test.json.code === 'DESTINATION_BLOCKED' && ['dns', 'policy'].includes(test.json.stage);
      if (!ok) wrong.push(`${host}: ${test.status} ${test.json?.code ?? ''} at ${test.json?.stage ?? ''} ${test.json?.error?.message ?? ''}`);
      else assert.ok(test.json.hint, `${host}: a hint`);
    }
    assert.deepEqual(wrong, [], 'hosts not refused as DESTINATION_BLOCKED');
    assert.equal(server.connections(), 0, 'the server saw no connection');
  });

  it('does not save a blocked destination (422) and keeps the default provider', async () => {
    const token = await api.token('acme');
    const put = await api.request('PUT', '/v1/email-settings/main', { token, body: { address: USER, mode: 'smtp', smtp: smtp('127.0.0.1') } });
    assert.equal(put.status, 422, put.text);
    assert.equal(put.json.test.code, 'DESTINATION_BLOCKED');
    const get = await api.request('GET', '/v1/email-settings/main', { token });
    assert.equal(get.json.mode, 'default');
    assert.equal(server.connections(), 0);
  });

  it('refuses a port outside SMTP_ALLOWED_PORTS with PORT_NOT_ALLOWED at policy', async () => {
    const token = await api.token('acme');
    const test = await api.request('POST', '/v1/email-settings/main/test', { token, body: { smtp: smtp('smtp.example.com', { port: 26 }) } });
    assert.equal(test.status, 200, test.text);
    assert.equal(test.json.code, 'PORT_NOT_ALLOWED');
    assert.equal(test.json.stage, 'policy');
    assert.deepEqual(test.json.transcript, []);
  });

  it('refuses plaintext SMTP unless the operator allows it', async () => {
    const token = await api.token('acme');
    const test = await api.request('POST', '/v1/email-settings/main/test', { token, body: { smtp: smtp('smtp.example.com', { port: 587, security: 'none' }) } });
    assert.equal(test.status, 200, test.text);
    assert.equal(test.json.ok, false);
    assert.equal(test.json.stage, 'policy');
    assert.equal(test.json.code, 'DESTINATION_BLOCKED');
  });
});

describe('known-bad hosts', () => {
  for (const host of ['smtp-relay.gmail.com', 'aspmx.l.google.com', 'acme-com.mail.protection.outlook.com']) {
    it(`refuses ${host} with HOST_NOT_SUPPORTED and a hint, before any DNS lookup or connection`, async () => {
      const token = await api.token('acme');
      const test = await api.request('POST', '/v1/email-settings/main/test', { token, body: { smtp: smtp(host, { port: 587 }) } });
      assert.equal(test.status, 200, test.text);
      assert.equal(test.json.ok, false);
      assert.equal(test.json.code, 'HOST_NOT_SUPPORTED');
      assert.equal(test.json.stage, 'policy');
      assert.ok(test.json.hint && test.json.hint.length > 20, test.json.hint);
      assert.deepEqual(test.json.transcript, [], 'nothing resolved, nothing connected');
    });
  }
});
