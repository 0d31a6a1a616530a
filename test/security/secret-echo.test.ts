/**
 * Issue 8, finding 1: a hostile company server that echoes the login back, in many encodings,
 * at every stage of the test conversation (greeting, EHLO, AUTH, MAIL FROM, RCPT; refusing or
 * accepting), must never get the password, in any form, into an API answer, the stored
 * settings (`lastTest`), or the process output. Includes "test the saved settings", where the
 * admin never typed the stored password, and the stored-password reuse rules.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { trustedCaFixture, type TrustedCaFixture } from '../support/mail-servers';
import { backendLogLevel, startTestBackend, type TestBackend } from '../support/test-backend';
import { echoedForms, startHostileServer, type EchoStage, type HostileServer } from './hostile-smtp-server';

const USER = 'jobs@acme.test';

/** A fixed pseudo-random long password, non-ASCII included, so that no window of it is common text. */
function longPassword(length: number): string {
  const alphabet = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789äöüß€%=+"\'\\/ ';
  let seed = 20261127;
  let text = '';
  for (let i = 0; i < length; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    text += alphabet[seed % alphabet.length];
  }
  return text;
}

const PASSWORDS: Record<string, string> = {
  'non-ASCII': 'pässwörd-€-🔑-ßecret',
  'ISO-8859-1 only': 'café-naïve-çà-Øre',
  'quotes, backslash, %, =': `q"u'o\\te%25=3D+ /&x`,
  long: longPassword(700),
};

const STAGES: EchoStage[] = ['greeting', 'ehlo', 'auth', 'mail_from', 'rcpt'];

let api: TestBackend;
let tls: TrustedCaFixture;
const servers = new Map<string, HostileServer>();

before(async () => {
  tls = trustedCaFixture('e2e-secret-echo-');
  for (const [name, password] of Object.entries(PASSWORDS)) servers.set(name, await startHostileServer({ tls, username: USER, password }));
  // At INFO, as the deployed stack logs: the leak checks below read every line it writes.
  api = await startTestBackend({
    LOG_LEVEL: 'INFO',
    SMTP_ALLOWED_PORTS: '*',
    SMTP_TESTS_PER_MINUTE: '1000',
    SMTP_TEST_DESTINATIONS_PER_MINUTE: '1000',
    ...tls.backendEnv,
  });
});

after(async () => {
  await api?.stop();
  await Promise.all([...servers.values()].map((server) => server.close()));
  tls?.remove();
});

/** Every way the password could show in our text: each echoed form read as UTF-8, latin1, escaped, JSON-escaped. */
function leakPatterns(password: string): string[] {
  const views = new Set<string>();
  const printable = (text: string) => text.replace(/[^\x20-\x7e\n]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
  for (const form of echoedForms(USER, password, null)) {
    const texts = [form.toString('utf8'), form.toString('latin1'), printable(form.toString('latin1'))];
    for (const text of texts) {
      views.add(text);
      views.add(JSON.stringify(text).slice(1, -1));
    }
  }
  // Pieces of a long password (a cut transcript line must not keep half of it).
  for (const text of [password, printable(Buffer.from(password, 'utf8').toString('latin1'))]) {
    if (text.length > 48) for (let i = 0; i + 24 <= text.length; i += 12) views.add(text.slice(i, i + 24));
  }
  return [...views].filter((view) => view.length >= 6);
}

function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) stringsIn(item, out);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) stringsIn(item, out);
  return out;
}

function assertNoLeak(response: { text: string; json: unknown }, password: string, what: string) {
  const haystacks = [response.text, ...stringsIn(response.json)];
  for (const pattern of leakPatterns(password)) {
    for (const text of haystacks) {
      assert.ok(!text.includes(pattern), `${what}: the password shows as ${JSON.stringify(pattern.slice(0, 80))} in ${JSON.stringify(text.slice(Math.max(0, text.indexOf(pattern) - 80), text.indexOf(pattern) + 120))}`);
    }
  }
}

const smtp = (server: HostileServer, password?: string) => ({
  host: '127.0.0.1',
  port: server.port,
  security: 'ssl',
  username: USER,
  ...(password !== undefined ? { password } : {}),
  fromAddress: USER,
});

describe('a hostile server echoing the login', () => {
  for (const [name, password] of Object.entries(PASSWORDS)) {
    it(`never shows a ${name} password, at any stage, in any encoding: test answers, saved-settings tests, lastTest`, async () => {
      const server = servers.get(name)!;
      const company = `echo-${name.replace(/[^a-z]/gi, '')}`;
      const token = await api.token(company);
      server.echo = null;
      const saved = await api.request('PUT', '/v1/email-settings/main', { token, body: { mode: 'smtp', smtp: smtp(server, password) } });
      assert.equal(saved.status, 200, saved.text.slice(0, 500));
      assert.equal(saved.json.test.ok, true, saved.text.slice(0, 1000));

      for (const stage of STAGES) {
        for (const refuse of [true, false]) {
          server.echo = { stage, refuse };
          const label = `${stage}, ${refuse ? 'refusing' : 'accepting'}`;
          const typed = await api.request('POST', '/v1/email-settings/main/test', { token, body: { smtp: smtp(server, password) } });
          assert.equal(typed.status, 200, typed.text.slice(0, 300));
          if (refuse) assert.equal(typed.json.ok, false, `${label}: ${typed.text.slice(0, 300)}`);
          assert.ok(typed.json.transcript.length > 1, `${label}: the conversation took place`);
          assertNoLeak(typed, password, `unsaved test, ${label}`);

          const reused = await api.request('POST', '/v1/email-settings/main/test', { token, body: { smtp: smtp(server) } });
          assert.equal(reused.status, 200, reused.text.slice(0, 300));
          assertNoLeak(reused, password, `test reusing the stored password, ${label}`);

          const ofSaved = await api.request('POST', '/v1/email-settings/main/test', { token, body: {} });
          assert.equal(ofSaved.status, 200, ofSaved.text.slice(0, 300));
          assertNoLeak(ofSaved, password, `test of the saved settings, ${label}`);

          const stored = await api.request('GET', '/v1/email-settings/main', { token });
          assert.equal(stored.status, 200);
          assert.ok(stored.json.lastTest, 'the saved-settings test is recorded');
          assertNoLeak(stored, password, `stored settings after ${label}`);
        }
      }
      server.echo = null;
    });
  }

  it('left no form of any password in the process output (logs)', async () => {
    const output = api.output();
    assert.equal(await backendLogLevel(), 'INFO', 'the checked output is what the backend writes at INFO, as the stack logs');
    for (const password of Object.values(PASSWORDS)) {
      for (const pattern of leakPatterns(password)) assert.ok(!output.includes(pattern), `the process output contains ${JSON.stringify(pattern.slice(0, 60))}`);
    }
  });
});

describe('a hostile server echoing the login while candidate mail is sent', () => {
  it('never shows the password in the message record (smtpResponse, error) or the settings failure', async () => {
    const name = 'non-ASCII';
    const password = PASSWORDS[name];
    const server = servers.get(name)!;
    const token = await api.token('echo-send', ['admin', 'recruiter']);
    server.echo = null;
    const saved = await api.request('PUT', '/v1/email-settings/main', { token, body: { mode: 'smtp', smtp: smtp(server, password) } });
    assert.equal(saved.status, 200, saved.text.slice(0, 500));
    const candidate = await api.request('PUT', '/v1/candidates/cand-echo', { token, body: { emails: ['cand@elsewhere.example'] } });
    assert.equal(candidate.status, 200, candidate.text);

    for (const stage of ['rcpt', 'mail_from', 'auth'] as const) {
      server.echo = { stage, refuse: true };
      const sent = await api.request('POST', '/v1/candidates/cand-echo/messages', { token, body: { subject: `echo at ${stage}`, text: 'hello' } });
      assert.equal(sent.status, 202, sent.text);
      await api.backend.idle();
      const message = await api.request('GET', `/v1/messages/${sent.json.id}`, { token });
      assert.equal(message.status, 200);
      assert.ok(message.json.smtpResponse || message.json.error || message.json.fallbackReason, `${stage}: the failure is recorded: ${message.text.slice(0, 400)}`);
      assertNoLeak(message, password, `message record, echo at ${stage}`);
      const settings = await api.request('GET', '/v1/email-settings/main', { token });
      assertNoLeak(settings, password, `settings after a send, echo at ${stage}`);
    }
    server.echo = null;
  });
});

describe('the stored password is used only where it was saved for', () => {
  it('answers 400 at smtp.password for another host, another username, or security "none"', async () => {
    const server = servers.get('non-ASCII')!;
    const token = await api.token('reuse-rules');
    server.echo = null;
    const saved = await api.request('PUT', '/v1/email-settings/main', { token, body: { mode: 'smtp', smtp: smtp(server, PASSWORDS['non-ASCII']) } });
    assert.equal(saved.status, 200, saved.text.slice(0, 300));

    const variants: Record<string, Record<string, unknown>> = {
      'another host': { host: 'localhost' },
      'another username': { username: 'billing@acme.test' },
      'security none': { security: 'none' },
    };
    for (const [label, change] of Object.entries(variants)) {
      for (const [method, path, body] of [
        ['POST', '/v1/email-settings/main/test', { smtp: { ...smtp(server), ...change } }],
        ['PUT', '/v1/email-settings/main', { mode: 'smtp', smtp: { ...smtp(server), ...change } }],
      ] as const) {
        const response = await api.request(method, path, { token, body });
        assert.equal(response.status, 400, `${label}, ${method}: ${response.text.slice(0, 300)}`);
        assert.equal(response.json.error.code, 'VALIDATION_FAILED');
        assert.ok(
          response.json.error.details.some((issue: { path: string }) => issue.path === 'smtp.password'),
          `${label}, ${method}: ${response.text}`,
        );
      }
    }
    const none = await api.request('POST', '/v1/email-settings/main/test', { token, body: { smtp: { ...smtp(server), security: 'none' } } });
    assert.match(none.json.error.message, /never sent without encryption/);

    // Same host (other case, trailing dot) and the same username on another port: still allowed.
    const same = await api.request('POST', '/v1/email-settings/main/test', { token, body: { smtp: { ...smtp(server), host: '127.0.0.1.' } } });
    assert.notEqual(same.status, 400, same.text.slice(0, 300));
  });
});
