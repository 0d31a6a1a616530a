/**
 * Issue 2 end to end: company email settings and the "test settings" button through the HTTP
 * API of the local backend, against real smtp-server instances with real TLS (STARTTLS and
 * implicit TLS) and AUTH on 127.0.0.1.
 *
 * SMTP tests are rate-limited per company (SMTP_TESTS_PER_MINUTE=3 here), so each scenario
 * uses its own company and at most three tests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeCertificate } from '../support/smtp-helpers';
import { closedPort } from '../support/smtp-helpers';
import { startMailServer, startSilentServer, trustedCaFixture, type MailServer, type TrustedCaFixture } from '../support/mail-servers';
import { backendLogLevel, INBOUND_DOMAIN, secretForms, startTestBackend, type TestBackend } from '../support/test-backend';

const PASSWORD = 'Tr0ub4dor&3-e2e-secret';
const USER = 'jobs@acme.test';
const EGRESS_IPS = ['203.0.113.10', '203.0.113.11'];
const TESTS_PER_MINUTE = 3;

let api: TestBackend;
let starttls: MailServer;
let ssl: MailServer;
let untrusted: MailServer;
let noAuth: MailServer;
let noStartTls: MailServer;
let silent: Awaited<ReturnType<typeof startSilentServer>>;
let tls: TrustedCaFixture;

const smtpBody = (server: { port: number }, security: 'ssl' | 'starttls', extra: Record<string, unknown> = {}) => ({
  host: '127.0.0.1',
  port: server.port,
  security,
  username: USER,
  password: PASSWORD,
  ...extra,
});

before(async () => {
  tls = trustedCaFixture('e2e-settings-tls-');
  starttls = await startMailServer({ security: 'starttls', tls, users: { [USER]: PASSWORD }, senderMustBeLogin: true });
  noAuth = await startMailServer({ security: 'starttls', tls, users: {}, noAuth: true });
  noStartTls = await startMailServer({ security: 'starttls', tls, users: { [USER]: PASSWORD }, noStartTls: true });
  ssl = await startMailServer({ security: 'ssl', tls, users: { [USER]: PASSWORD } });
  // A certificate of its own, not the trusted fixture CA: what a misconfigured server presents.
  untrusted = await startMailServer({ security: 'ssl', tls: makeCertificate(), users: { [USER]: PASSWORD } });
  silent = await startSilentServer();
  // At INFO, as the deployed stack logs: the leak checks below read every line it writes.
  api = await startTestBackend({
    LOG_LEVEL: 'INFO',
    SMTP_ALLOWED_PORTS: '*',
    SMTP_TESTS_PER_MINUTE: String(TESTS_PER_MINUTE),
    EGRESS_IPS: EGRESS_IPS.join(','),
    ...tls.backendEnv,
  });
});

after(async () => {
  await api?.stop();
  await Promise.all([starttls?.close(), ssl?.close(), untrusted?.close(), noAuth?.close(), noStartTls?.close(), silent?.close()]);
  tls?.remove();
});

/** The test button on unsaved settings of the company's main scope: answered 200 whatever the outcome. */
async function testUnsaved(companyId: string, smtp: Record<string, unknown>) {
  const token = await api.token(companyId);
  const test = await api.request('POST', '/v1/email-settings/main/test', { token, body: { smtp } });
  assert.equal(test.status, 200, test.text);
  return test;
}

const fieldPaths = (body: any): string[] => (body?.error?.details ?? []).map((issue: { path: string }) => issue.path);

/** An error answer as the design promises it: `{error: {code, message}}`, no stack trace. */
function assertErrorShape(response: { text: string; json: any }, code: string) {
  assert.equal(response.json?.error?.code, code, response.text);
  assert.equal(typeof response.json.error.message, 'string');
  assert.doesNotMatch(response.text, /\s+at\s+\S+\s+\(|node_modules|\.ts:\d+/, 'no stack trace in an error');
}

describe('email settings of a scope', () => {
  it('answers 200 with mode default and an inbound address for a scope never configured', async () => {
    const token = await api.token('acme');
    const first = await api.request('GET', '/v1/email-settings/main', { token });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.scope, 'main');
    assert.equal(first.json.mode, 'default');
    assert.equal(first.json.smtp, null);
    assert.equal(first.json.status, 'unverified');
    assert.equal(first.json.fallbackToDefault, true);
    assert.equal(first.json.route, 'default');
    assert.equal(first.json.redirect.status, 'unverified');
    assert.match(first.json.inboundAddress, new RegExp(`^acme\\.[a-z2-7]{12}@${INBOUND_DOMAIN.replace('.', '\\.')}$`));

    const again = await api.request('GET', '/v1/email-settings/main', { token });
    assert.equal(again.json.inboundAddress, first.json.inboundAddress, 'the inbound address is stable');

    const sub = await api.request('GET', '/v1/email-settings/berlin', { token });
    assert.equal(sub.status, 200, sub.text);
    assert.equal(sub.json.scope, 'berlin');
    assert.equal(sub.json.mode, 'default');
    assert.ok(sub.json.inboundAddress.endsWith(`@${INBOUND_DOMAIN}`));
    assert.notEqual(sub.json.inboundAddress, first.json.inboundAddress, 'each scope has its own inbound address');

    const list = await api.request('GET', '/v1/email-settings', { token });
    assert.equal(list.status, 200, list.text);
    // Reads create nothing: the list holds the configured scopes, and main always.
    assert.deepEqual(list.json.items.map((item: { scope: string }) => item.scope).sort(), ['main']);
  });

  it('saves mode smtp after a passing test against a STARTTLS server: 200, passwordSet, never the password', async () => {
    const token = await api.token('acme');
    const put = await api.request('PUT', '/v1/email-settings/main', {
      token,
      body: { address: USER, displayName: 'ACME', mode: 'smtp', smtp: smtpBody(starttls, 'starttls', { fromName: 'ACME Jobs' }) },
    });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.mode, 'smtp');
    assert.equal(put.json.status, 'verified');
    assert.equal(put.json.route, 'smtp');
    assert.deepEqual(put.json.smtp, {
      host: '127.0.0.1',
      port: starttls.port,
      security: 'starttls',
      username: USER,
      fromAddress: USER,
      fromName: 'ACME Jobs',
      passwordSet: true,
      auth: 'password',
      oauth: null,
      // An unknown server's conservative preset, and the SIZE its EHLO announced.
      limits: { maxConnections: 3, perMinute: 30, perDay: 10000 },
      sizeLimit: put.json.test.sizeLimit,
    });
    assert.equal(typeof put.json.test.sizeLimit, 'number');
    assert.equal(put.json.lastTest.ok, true);
    assert.equal(put.json.test.ok, true);
    assert.equal(put.json.test.stage, 'done');
    assert.equal(put.json.test.code, 'OK');
    assert.deepEqual(put.json.test.egressIps, EGRESS_IPS);
    assert.ok(put.json.test.transcript.some((line: string) => /^C: AUTH PLAIN <redacted>/.test(line)), put.json.test.transcript.join('\n'));
    assert.ok(put.json.test.transcript.some((line: string) => /TLS established/.test(line)));
    assert.equal(starttls.received.length, 0, 'a settings test sends no message');

    const get = await api.request('GET', '/v1/email-settings/main', { token });
    assert.equal(get.status, 200);
    assert.equal(get.json.mode, 'smtp');
    assert.equal(get.json.smtp.passwordSet, true);
    assert.equal('password' in get.json.smtp, false);

    const sub = await api.request('GET', '/v1/email-settings/berlin', { token });
    assert.equal(sub.json.mode, 'default');
    assert.equal(sub.json.route, 'company', "a sub-company without its own settings uses the company's server");
  });

  it('answers 422 with AUTH_FAILED at stage auth for a wrong password, and keeps the previous configuration active', async () => {
    const token = await api.token('acme');
    const put = await api.request('PUT', '/v1/email-settings/main', {
      token,
      body: { mode: 'smtp', smtp: smtpBody(ssl, 'ssl', { password: 'wrong-password-123' }) },
    });
    assert.equal(put.status, 422, put.text);
    assertErrorShape(put, 'SMTP_TEST_FAILED');
    assert.equal(put.json.test.ok, false);
    assert.equal(put.json.test.code, 'AUTH_FAILED');
    assert.equal(put.json.test.stage, 'auth');
    assert.match(put.json.test.smtpResponse, /^535 5\.7\.8/);
    assert.ok(put.json.test.hint, 'a failed test says what to do');
    assert.doesNotMatch(put.text, /wrong-password-123/);
    assert.equal(put.json.settings.smtp.port, starttls.port, 'the answer shows the settings that stay active');

    const get = await api.request('GET', '/v1/email-settings/main', { token });
    assert.equal(get.json.mode, 'smtp');
    assert.equal(get.json.status, 'verified');
    assert.equal(get.json.smtp.port, starttls.port);
    assert.equal(get.json.smtp.security, 'starttls');
    assert.equal(get.json.smtp.passwordSet, true);
  });

  it('keeps the stored password when a PUT for the same host and username omits it', async () => {
    const token = await api.token('acme');
    const { password: _omitted, ...withoutPassword } = smtpBody(starttls, 'starttls', { fromName: 'ACME Talent' });
    const put = await api.request('PUT', '/v1/email-settings/main', { token, body: { mode: 'smtp', smtp: withoutPassword } });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.test.ok, true, 'the server accepted the stored password');
    assert.equal(put.json.smtp.fromName, 'ACME Talent');
    assert.equal(put.json.smtp.passwordSet, true);
  });

  it('refuses to reuse the stored password for another host or username: 400 at smtp.password', async () => {
    const token = await api.token('acme');
    for (const changed of [{ host: 'localhost' }, { username: 'other@acme.test' }]) {
      const { password: _omitted, ...smtp } = smtpBody(starttls, 'starttls', changed);
      const put = await api.request('PUT', '/v1/email-settings/main', { token, body: { mode: 'smtp', smtp } });
      assert.equal(put.status, 400, put.text);
      assertErrorShape(put, 'VALIDATION_FAILED');
      assert.ok(fieldPaths(put.json).includes('smtp.password'), put.text);
    }
    const get = await api.request('GET', '/v1/email-settings/main', { token });
    assert.equal(get.json.smtp.host, '127.0.0.1');
    assert.equal(get.json.smtp.username, USER);
  });

  it('goes back to the default provider on DELETE', async () => {
    const token = await api.token('acme');
    const before = await api.request('GET', '/v1/email-settings/main', { token });
    const deleted = await api.request('DELETE', '/v1/email-settings/main', { token });
    assert.equal(deleted.status, 200, deleted.text);
    assert.equal(deleted.json.mode, 'default');
    assert.equal(deleted.json.smtp, null);
    assert.equal(deleted.json.route, 'default');
    assert.equal(deleted.json.status, 'unverified');
    assert.equal(deleted.json.inboundAddress, before.json.inboundAddress, 'the inbound address survives');

    const get = await api.request('GET', '/v1/email-settings/main', { token });
    assert.equal(get.json.mode, 'default');
    assert.equal(get.json.smtp, null);
    const sub = await api.request('GET', '/v1/email-settings/berlin', { token });
    assert.equal(sub.json.route, 'default');

    const testSaved = await api.request('POST', '/v1/email-settings/main/test', { token, body: {} });
    assert.equal(testSaved.status, 400, 'nothing saved to test');
    assert.ok(fieldPaths(testSaved.json).includes('smtp'));
  });

  it('saves an implicit-TLS server too', async () => {
    const token = await api.token('initech');
    const put = await api.request('PUT', '/v1/email-settings/main', {
      token,
      body: { address: USER, mode: 'smtp', smtp: smtpBody(ssl, 'ssl'), fallbackToDefault: false },
    });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.smtp.security, 'ssl');
    assert.equal(put.json.fallbackToDefault, false);
    assert.equal(put.json.test.code, 'OK');
  });
});

describe('the test button (POST /v1/email-settings/{scope}/test)', () => {
  it('tests the saved settings with an empty body', async () => {
    const token = await api.token('initech');
    const test = await api.request('POST', '/v1/email-settings/main/test', { token });
    assert.equal(test.status, 200, test.text);
    assert.equal(test.json.ok, true);
    assert.equal(test.json.stage, 'done');
    assert.equal(test.json.code, 'OK');
    assert.equal(typeof test.json.durationMs, 'number');
    assert.deepEqual(test.json.egressIps, EGRESS_IPS);
    assert.ok(Array.isArray(test.json.transcript) && test.json.transcript.length > 3);
    const get = await api.request('GET', '/v1/email-settings/main', { token });
    assert.equal(get.json.lastTest.ok, true);
    assert.equal(get.json.lastTest.code, 'OK');
  });

  it('tests unsaved settings; a missing password means the stored one for the same host and username', async () => {
    const token = await api.token('initech');
    const { password: _omitted, ...smtp } = smtpBody(starttls, 'starttls');
    const test = await api.request('POST', '/v1/email-settings/main/test', { token, body: { smtp } });
    assert.equal(test.status, 200, test.text);
    assert.equal(test.json.ok, true, test.text);
    const get = await api.request('GET', '/v1/email-settings/main', { token });
    assert.equal(get.json.smtp.security, 'ssl', 'an unsaved test changes nothing');
  });

  it('answers 200 with ok false, AUTH_FAILED at auth, for unsaved settings with a wrong password', async () => {
    const test = await testUnsaved('umbrella', smtpBody(starttls, 'starttls', { password: 'nope-nope-nope', fromAddress: USER }));
    assert.equal(test.json.ok, false);
    assert.equal(test.json.code, 'AUTH_FAILED');
    assert.equal(test.json.stage, 'auth');
    assert.match(test.json.smtpResponse, /535 5\.7\.8/);
    assert.doesNotMatch(test.text, /nope-nope-nope/);
  });

  it('ends at the greeting with GREETING_TIMEOUT against a server that never greets', async () => {
    const test = await testUnsaved('hooli', { ...smtpBody(silent, 'starttls'), fromAddress: USER });
    assert.equal(test.json.ok, false);
    assert.equal(test.json.code, 'GREETING_TIMEOUT');
    assert.equal(test.json.stage, 'greeting');
    // The SMTP attempt, then one TLS handshake attempt that finds the port does not speak TLS either.
    assert.equal(silent.connections(), 2);
  });

  it('checks certificates: an untrusted one ends at tls with TLS_CERTIFICATE_INVALID', async () => {
    const test = await testUnsaved('stark', { ...smtpBody(untrusted, 'ssl'), fromAddress: USER });
    assert.equal(test.json.ok, false);
    assert.equal(test.json.code, 'TLS_CERTIFICATE_INVALID');
    assert.equal(test.json.stage, 'tls');
    assert.equal(untrusted.received.length, 0);
  });

  it('names the usual mismatch: SSL/TLS against a STARTTLS port ends at tls with TLS_MISMATCH', async () => {
    const test = await testUnsaved('stark', { ...smtpBody(starttls, 'ssl'), fromAddress: USER });
    assert.equal(test.json.ok, false);
    assert.equal(test.json.code, 'TLS_MISMATCH');
    assert.equal(test.json.stage, 'tls');
  });

  it('names the reverse mismatch: STARTTLS against an implicit-TLS port ends at greeting with TLS_MISMATCH', async () => {
    const test = await testUnsaved('stark', { ...smtpBody(ssl, 'starttls'), fromAddress: USER });
    assert.equal(test.json.code, 'TLS_MISMATCH');
    assert.equal(test.json.stage, 'greeting');
    assert.match(test.json.hint, /SSL\/TLS/);
  });

  it('refuses smtp-relay.gmail.com with HOST_NOT_SUPPORTED before any connection', async () => {
    const token = await api.token('hooli');
    const smtp = { host: 'smtp-relay.gmail.com', port: 587, security: 'starttls', username: USER, password: PASSWORD, fromAddress: USER };
    const test = await testUnsaved('hooli', smtp);
    assert.equal(test.json.ok, false);
    assert.equal(test.json.code, 'HOST_NOT_SUPPORTED');
    assert.equal(test.json.stage, 'policy');
    assert.ok(test.json.hint);
    assert.ok(!test.json.transcript.some((line: string) => /connect|resolved/i.test(line)), test.json.transcript.join('\n'));

    const put = await api.request('PUT', '/v1/email-settings/main', { token, body: { mode: 'smtp', smtp } });
    assert.equal(put.status, 422, put.text);
    assert.equal(put.json.test.code, 'HOST_NOT_SUPPORTED');
    const get = await api.request('GET', '/v1/email-settings/main', { token });
    assert.equal(get.json.mode, 'default');
  });

  it(`allows ${TESTS_PER_MINUTE} tests a minute per company, then answers 429 with Retry-After`, async () => {
    // The limit counts per calendar minute: start early enough in one to stay inside it.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 56_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
    const token = await api.token('rate-limited');
    const body = { smtp: { ...smtpBody(starttls, 'starttls'), fromAddress: USER } };
    for (let i = 0; i < TESTS_PER_MINUTE; i++) {
      const test = await api.request('POST', '/v1/email-settings/main/test', { token, body });
      assert.equal(test.status, 200, `test ${i + 1}: ${test.text}`);
    }
    const limited = await api.request('POST', '/v1/email-settings/main/test', { token, body });
    assert.equal(limited.status, 429, limited.text);
    assertErrorShape(limited, 'RATE_LIMITED');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `retry-after ${limited.headers.get('retry-after')}`);

    const put = await api.request('PUT', '/v1/email-settings/main', { token, body: { mode: 'smtp', ...body } });
    assert.equal(put.status, 429, 'saving tests too, so it counts as well');

    const other = await api.request('POST', '/v1/email-settings/main/test', { token: await api.token('not-rate-limited'), body });
    assert.equal(other.status, 200, 'the limit is per company');
  });
});

describe('what real servers answer, classified', () => {
  const unsaved = (server: { port: number }, security: 'ssl' | 'starttls', extra: Record<string, unknown> = {}) => ({
    smtp: { ...smtpBody(server, security), fromAddress: USER, ...extra },
  });

  it('names a server that offers no login AUTH_UNAVAILABLE at auth', async () => {
    const test = await api.request('POST', '/v1/email-settings/main/test', { token: await api.token('wayne'), body: unsaved(noAuth, 'starttls') });
    assert.equal(test.status, 200, test.text);
    assert.equal(test.json.code, 'AUTH_UNAVAILABLE');
    assert.equal(test.json.stage, 'auth');
    assert.ok(test.json.hint);
  });

  it('names a From the login may not use SENDER_NOT_ALLOWED at mail_from, with the send-as warning', async () => {
    const test = await api.request('POST', '/v1/email-settings/main/test', {
      token: await api.token('wayne'),
      body: unsaved(starttls, 'starttls', { fromAddress: 'ceo@acme.test' }),
    });
    assert.equal(test.status, 200, test.text);
    assert.equal(test.json.code, 'SENDER_NOT_ALLOWED');
    assert.equal(test.json.stage, 'mail_from');
    assert.match(test.json.smtpResponse, /^553 5\.7\.1/);
    assert.ok(test.json.warnings.some((warning: { code: string }) => warning.code === 'SEND_AS_REQUIRED'), JSON.stringify(test.json.warnings));
  });

  it('names a server without STARTTLS STARTTLS_UNAVAILABLE at tls, before sending the password', async () => {
    const test = await api.request('POST', '/v1/email-settings/main/test', { token: await api.token('wayne'), body: unsaved(noStartTls, 'starttls') });
    assert.equal(test.status, 200, test.text);
    assert.equal(test.json.code, 'STARTTLS_UNAVAILABLE');
    assert.equal(test.json.stage, 'tls');
    assert.ok(!test.json.transcript.some((line: string) => /AUTH/.test(line) && line.startsWith('C:')), 'no login in clear text');
  });

  it('names a closed port CONNECTION_REFUSED at connect', async () => {
    const port = await closedPort();
    const test = await api.request('POST', '/v1/email-settings/main/test', { token: await api.token('tyrell'), body: unsaved({ port }, 'starttls') });
    assert.equal(test.status, 200, test.text);
    assert.equal(test.json.code, 'CONNECTION_REFUSED');
    assert.equal(test.json.stage, 'connect');
  });
});

describe('roles and tokens', () => {
  it('lets a recruiter read settings but not change or test them (403)', async () => {
    const recruiter = await api.token('acme', ['recruiter']);
    assert.equal((await api.request('GET', '/v1/email-settings/main', { token: recruiter })).status, 200);
    assert.equal((await api.request('GET', '/v1/email-settings', { token: recruiter })).status, 200);
    const put = await api.request('PUT', '/v1/email-settings/main', { token: recruiter, body: { mode: 'default' } });
    assert.equal(put.status, 403, put.text);
    assertErrorShape(put, 'FORBIDDEN');
    assert.equal((await api.request('DELETE', '/v1/email-settings/main', { token: recruiter })).status, 403);
    const test = await api.request('POST', '/v1/email-settings/main/test', { token: recruiter, body: { smtp: smtpBody(starttls, 'starttls') } });
    assert.equal(test.status, 403);
  });

  it('refuses a token without a role of this product (403)', async () => {
    const viewer = await api.token('acme', ['viewer']);
    const get = await api.request('GET', '/v1/email-settings/main', { token: viewer });
    assert.equal(get.status, 403, get.text);
  });

  it('answers 401 without a token', async () => {
    const get = await api.request('GET', '/v1/email-settings/main');
    assert.equal(get.status, 401, get.text);
    // API Gateway's JWT authorizer answers this one itself, in its own shape.
    assert.deepEqual(get.json, { message: 'Unauthorized' });
  });
});

describe('invalid input', () => {
  it('answers 400 INVALID_JSON for a body that is not JSON', async () => {
    const token = await api.token('acme');
    const put = await api.request('PUT', '/v1/email-settings/main', { token, rawBody: '{"mode": "smtp", ' });
    assert.equal(put.status, 400, put.text);
    assertErrorShape(put, 'INVALID_JSON');
  });

  it('answers 400 with field paths for wrong types and missing fields', async () => {
    const token = await api.token('acme');
    const wrongTypes = await api.request('PUT', '/v1/email-settings/main', {
      token,
      body: { mode: 'smtp', smtp: { host: '127.0.0.1', port: '587', security: 'tls', username: 42 }, fallbackToDefault: 'yes' },
    });
    assert.equal(wrongTypes.status, 400, wrongTypes.text);
    assertErrorShape(wrongTypes, 'VALIDATION_FAILED');
    for (const path of ['smtp.port', 'smtp.security', 'smtp.username', 'fallbackToDefault']) {
      assert.ok(fieldPaths(wrongTypes.json).includes(path), `${path} in ${wrongTypes.text}`);
    }

    const missing = await api.request('PUT', '/v1/email-settings/main', { token, body: { smtp: smtpBody(starttls, 'starttls') } });
    assert.equal(missing.status, 400);
    assert.ok(fieldPaths(missing.json).includes('mode'), missing.text);

    const smtpMissing = await api.request('PUT', '/v1/email-settings/main', { token, body: { mode: 'smtp' } });
    assert.equal(smtpMissing.status, 400);
    assert.ok(fieldPaths(smtpMissing.json).includes('smtp'), smtpMissing.text);

    const badAddress = await api.request('PUT', '/v1/email-settings/main', { token, body: { mode: 'default', address: 'jobs@acme.test\r\nBcc: x@y.z' } });
    assert.equal(badAddress.status, 400);
    assert.ok(fieldPaths(badAddress.json).includes('address'), badAddress.text);

    const crlfName = await api.request('PUT', '/v1/email-settings/main', { token, body: { mode: 'default', displayName: 'ACME\r\nBcc: x@y.z' } });
    assert.equal(crlfName.status, 400);
    assert.ok(fieldPaths(crlfName.json).includes('displayName'), crlfName.text);
  });

  it('answers 400 for unknown fields, naming them', async () => {
    const token = await api.token('acme');
    const top = await api.request('PUT', '/v1/email-settings/main', { token, body: { mode: 'default', colour: 'red' } });
    assert.equal(top.status, 400, top.text);
    assert.match(top.text, /colour/);
    const nested = await api.request('PUT', '/v1/email-settings/main', {
      token,
      body: { mode: 'smtp', smtp: { ...smtpBody(starttls, 'starttls'), tls: { rejectUnauthorized: false } } },
    });
    assert.equal(nested.status, 400, nested.text);
    assert.ok(fieldPaths(nested.json).some((path) => path.startsWith('smtp')), nested.text);
    assert.match(nested.text, /tls/);
  });

  it('answers 400 for a malformed scope', async () => {
    const token = await api.token('acme');
    for (const scope of ['-leading-dash', 'has%20space', 'x'.repeat(65), 'semi;colon', '%E2%9C%93']) {
      const get = await api.request('GET', `/v1/email-settings/${scope}`, { token });
      assert.equal(get.status, 400, `${scope}: ${get.text}`);
      assertErrorShape(get, 'VALIDATION_FAILED');
      assert.ok(fieldPaths(get.json).some((path) => path.endsWith('scope')), get.text);
      const put = await api.request('PUT', `/v1/email-settings/${scope}`, { token, body: { mode: 'default' } });
      assert.equal(put.status, 400, `${scope}: ${put.text}`);
    }
  });

  it('answers 413 for an oversized body', async () => {
    const token = await api.token('acme');
    const put = await api.request('PUT', '/v1/email-settings/main', {
      token,
      body: { mode: 'default', displayName: 'x'.repeat(40 * 1024) },
    });
    assert.equal(put.status, 413, put.text.slice(0, 300));
    assertErrorShape(put, 'PAYLOAD_TOO_LARGE');
  });
});

describe('secrets', () => {
  it('never returned the password, in any form, in any response body or log line', async () => {
    const forms = secretForms(USER, PASSWORD);
    assert.ok(api.responseBodies.length > 30);
    for (const [index, body] of api.responseBodies.entries()) {
      for (const form of forms) assert.ok(!body.includes(form), `response ${index} contains the password (${form}): ${body.slice(0, 300)}`);
    }
    const output = api.output();
    for (const form of forms) assert.ok(!output.includes(form), `the process output contains the password (${form})`);
    assert.equal(await backendLogLevel(), 'INFO', 'the checked output is what the backend writes at INFO, as the stack logs');
  });
});
