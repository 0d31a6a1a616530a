import assert from 'node:assert/strict';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { SMTPServerOptions } from 'smtp-server';
import { testSmtpSettings, type TestSmtpOptions } from '../../shared/smtp/test-smtp-settings';
import type { OutboundPolicy, SmtpServerSettings, SmtpTestResult } from '../../shared/smtp/types';
import {
  closedPort,
  expiredCertificate,
  fakeResolver,
  startUnansweredPort,
  makeCertificate,
  onSmtpLines,
  smtpReply,
  startRawServer,
  startSmtpServer,
  testPolicy,
  testServerSettings,
  type RunningSmtpServer,
} from '../support/smtp-helpers';

const PASSWORD = 'correct-horse-battery-9';
const tlsFixture = makeCertificate();
const expiredFixture = expiredCertificate();
const resolver = fakeResolver({
  'mail.test.local': ['127.0.0.1'],
  'wrong.test.local': ['127.0.0.1'],
  'private.test.local': ['10.1.2.3'],
  'metadata.test.local': ['169.254.169.254'],
});

/** Replies of real providers, chosen by the login name. */
const AUTH_REPLIES: Record<string, string> = {
  'postfix-wrong@acme.test': '535 5.7.8 Error: authentication failed: authentication failure',
  'gmail-wrong@acme.test': '535 5.7.8 Username and Password not accepted. For more information, go to https://support.google.com/mail/?p=BadCredentials',
  'ms-wrong@acme.test': '535 5.7.3 Authentication unsuccessful [BN9PR03CA0123.namprd03.prod.outlook.com]',
  'ms-disabled@acme.test': '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.',
  'ms-basic@acme.test': '550 5.7.30 Basic authentication is not supported for Client Submission.',
  'ms-policy@acme.test': '535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator.',
  'gmail-app@acme.test': '534 5.7.9 Application-specific password required. Learn more at https://support.google.com/mail/?p=InvalidSecondFactor',
};
const MAIL_FROM_REPLIES: Record<string, string> = {
  'ceo@acme.test': '553 5.7.1 <ceo@acme.test>: Sender address rejected: not owned by user jobs@acme.test',
  'shared@acme.test': '550 5.7.60 SMTP; Client does not have permissions to send as this sender',
  'exchange@acme.test': '550 5.7.1 Client does not have permissions to send as this sender',
  'busy@acme.test': '421 4.7.0 Try again later, closing connection.',
  'tempfail@acme.test': '451 4.3.0 Local error in processing',
  'greylisted@acme.test': '450 4.7.1 <greylisted@acme.test>: Sender address rejected: Greylisted, please try again later',
  'misconfigured@acme.test': '451 4.3.5 Server configuration problem',
};
const RCPT_REPLIES: Record<string, string> = {
  'nobody@acme.test': '550 5.1.1 <nobody@acme.test>: Recipient address rejected: User unknown in virtual mailbox table',
  'someone@elsewhere.test': '554 5.7.1 <someone@elsewhere.test>: Relay access denied',
  'tenant@elsewhere.test': '550 5.7.64 TenantAttribution; Relay Access Denied',
};

const handlers: SMTPServerOptions = {
  key: tlsFixture.key,
  cert: tlsFixture.cert,
  onAuth(auth, _session, callback) {
    const username = auth.username ?? '';
    if (AUTH_REPLIES[username]) return callback(smtpReply(AUTH_REPLIES[username]));
    if (auth.password !== PASSWORD) return callback(smtpReply('535 5.7.8 Error: authentication failed'));
    callback(null, { user: username });
  },
  onMailFrom(address, _session, callback) {
    const line = MAIL_FROM_REPLIES[address.address];
    callback(line ? smtpReply(line) : undefined);
  },
  onRcptTo(address, _session, callback) {
    const line = RCPT_REPLIES[address.address];
    callback(line ? smtpReply(line) : undefined);
  },
};

let sslServer: RunningSmtpServer;
let starttlsServer: RunningSmtpServer;
let noAuthServer: RunningSmtpServer;
let noStarttlsServer: RunningSmtpServer;
let expiredServer: RunningSmtpServer;
const rawServers: Array<{ close: () => Promise<void> }> = [];

before(async () => {
  sslServer = await startSmtpServer({ ...handlers, secure: true });
  starttlsServer = await startSmtpServer({ ...handlers, secure: false });
  noAuthServer = await startSmtpServer({ ...handlers, secure: false, disabledCommands: ['AUTH'], authOptional: true });
  noStarttlsServer = await startSmtpServer({ ...handlers, secure: false, disabledCommands: ['STARTTLS'], allowInsecureAuth: true });
  expiredServer = await startSmtpServer({ ...handlers, secure: true, key: expiredFixture.key, cert: expiredFixture.cert });
});

after(async () => {
  await Promise.all([sslServer, starttlsServer, noAuthServer, noStarttlsServer, expiredServer, ...rawServers].map((server) => server.close()));
});

const settingsFor = (port: number, overrides: Partial<SmtpServerSettings> = {}) => testServerSettings(port, PASSWORD, overrides);

/** Runs the test and checks, for every case, that the password left no trace in the answer. */
async function run(settings: SmtpServerSettings, options: Partial<TestSmtpOptions> = {}): Promise<SmtpTestResult> {
  const result = await testSmtpSettings(settings, {
    policy: testPolicy,
    egressIps: ['203.0.113.10'],
    resolver,
    tlsCa: tlsFixture.cert,
    timeouts: { greeting: 500, connect: 1000, command: 1000, auth: 1000, tls: 1000, total: 4000 },
    ...options,
  });
  const json = JSON.stringify(result);
  const password = settings.password ?? '';
  if (password) {
    assert.ok(!json.includes(password), 'password in the result');
    assert.ok(!json.includes(Buffer.from(password).toString('base64')), 'base64 password in the result');
    assert.ok(!json.includes(Buffer.from(`\u0000${settings.username}\u0000${password}`).toString('base64')), 'AUTH PLAIN blob in the result');
  }
  assert.ok(result.durationMs >= 0 && result.durationMs < 15000);
  return result;
}

const brief = (result: SmtpTestResult) => `${result.stage}:${result.code}`;

describe('testSmtpSettings: success', () => {
  it('passes through implicit TLS (ssl) with the certificate checked against the fixture CA', async () => {
    const result = await run(settingsFor(sslServer.port));
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(brief(result), 'done:OK');
    assert.deepEqual(result.egressIps, ['203.0.113.10']);
    assert.ok(result.transcript.includes('C: AUTH PLAIN <redacted>'));
    assert.ok(result.transcript.some((line) => line.startsWith('*  TLS established')));
    assert.ok(result.transcript.includes('C: RSET'));
    assert.equal(result.hint, null);
  });

  it('passes through STARTTLS, asking EHLO again after the upgrade', async () => {
    const result = await run(settingsFor(starttlsServer.port, { security: 'starttls' }));
    assert.equal(brief(result), 'done:OK');
    const ehlos = result.transcript.filter((line) => line.startsWith('C: EHLO'));
    assert.equal(ehlos.length, 2);
    assert.ok(result.transcript.indexOf('C: STARTTLS') < result.transcript.indexOf('C: AUTH PLAIN <redacted>'));
  });

  it('sends a real test message when asked', async () => {
    const before = sslServer.received.length;
    const result = await run(settingsFor(sslServer.port), { sendTestMessage: { to: 'hr@acme.test' } });
    assert.equal(brief(result), 'done:OK');
    assert.match(result.smtpResponse ?? '', /^250 .*queued as TEST123/);
    assert.equal(sslServer.received.length, before + 1);
    assert.deepEqual(sslServer.received.at(-1)?.to, ['hr@acme.test']);
  });

  it('reports pre-connection warnings beside a successful test', async () => {
    const result = await run(settingsFor(sslServer.port, { fromAddress: 'careers@acme.test' }));
    assert.equal(result.ok, true);
    assert.deepEqual(result.warnings.map((w) => w.code), ['SEND_AS_REQUIRED']);
  });
});

describe('testSmtpSettings: authentication and envelope replies', () => {
  const authCases: Array<[string, string]> = [
    ['postfix-wrong@acme.test', 'AUTH_FAILED'],
    ['gmail-wrong@acme.test', 'AUTH_FAILED'],
    ['ms-wrong@acme.test', 'AUTH_FAILED'],
    ['ms-disabled@acme.test', 'AUTH_DISABLED'],
    ['ms-basic@acme.test', 'AUTH_DISABLED'],
    ['ms-policy@acme.test', 'AUTH_BLOCKED_BY_POLICY'],
    ['gmail-app@acme.test', 'APP_PASSWORD_REQUIRED'],
  ];
  for (const [username, code] of authCases) {
    it(`${AUTH_REPLIES[username].slice(0, 40)}… -> ${code}`, async () => {
      const result = await run(settingsFor(sslServer.port, { username, fromAddress: username }));
      assert.equal(brief(result), `auth:${code}`);
      assert.equal(result.smtpResponse, AUTH_REPLIES[username]);
      assert.ok(result.hint && result.hint.length > 20);
    });
  }

  it('a wrong password -> AUTH_FAILED, and the password stays out of the answer', async () => {
    const result = await run(settingsFor(starttlsServer.port, { security: 'starttls', password: 'not-the-password-42' }));
    assert.equal(brief(result), 'auth:AUTH_FAILED');
    assert.equal(result.smtpResponse, '535 5.7.8 Error: authentication failed');
  });

  for (const [from, code] of [
    ['ceo@acme.test', 'SENDER_NOT_ALLOWED'],
    ['shared@acme.test', 'SENDER_NOT_ALLOWED'],
    ['exchange@acme.test', 'SENDER_NOT_ALLOWED'],
    ['busy@acme.test', 'RATE_LIMITED'],
    ['tempfail@acme.test', 'TEMPORARY_FAILURE'],
    ['greylisted@acme.test', 'TEMPORARY_FAILURE'],
    ['misconfigured@acme.test', 'TEMPORARY_FAILURE'],
  ]) {
    it(`MAIL FROM ${from} -> ${code}`, async () => {
      const result = await run(settingsFor(sslServer.port, { fromAddress: from }));
      assert.equal(brief(result), `mail_from:${code}`);
      assert.equal(result.smtpResponse, MAIL_FROM_REPLIES[from]);
    });
  }

  it('a greylisting server is a temporary failure with a greylisting hint, not a send-as problem', async () => {
    const result = await run(settingsFor(sslServer.port, { fromAddress: 'greylisted@acme.test' }));
    assert.equal(result.code, 'TEMPORARY_FAILURE');
    assert.match(result.message ?? '', /greylist/i);
    assert.doesNotMatch(result.hint ?? '', /permission|send as/i);
  });

  for (const [to, code] of [
    ['nobody@acme.test', 'RECIPIENT_REJECTED'],
    ['someone@elsewhere.test', 'RELAY_DENIED'],
    ['tenant@elsewhere.test', 'RELAY_DENIED'],
  ]) {
    it(`RCPT TO ${to} -> ${code}`, async () => {
      const result = await run(settingsFor(sslServer.port), { sendTestMessage: { to } });
      assert.equal(brief(result), `rcpt:${code}`);
    });
  }

  for (const [offered, server, stage, code] of [
    ['AUTH', () => noAuthServer, 'auth', 'AUTH_UNAVAILABLE'],
    ['STARTTLS', () => noStarttlsServer, 'tls', 'STARTTLS_UNAVAILABLE'],
  ] as const) {
    it(`no ${offered} offered -> ${code}`, async () => {
      const result = await run(settingsFor(server().port, { security: 'starttls' }));
      assert.equal(brief(result), `${stage}:${code}`);
    });
  }
});

describe('testSmtpSettings: TLS', () => {
  it('ssl against a STARTTLS port fails the handshake at once -> TLS_MISMATCH', async () => {
    const result = await run(settingsFor(starttlsServer.port, { security: 'ssl' }));
    assert.equal(brief(result), 'tls:TLS_MISMATCH');
  });

  it('starttls against an implicit-TLS port: no greeting, but the port answers a TLS handshake -> TLS_MISMATCH', async () => {
    const result = await run(settingsFor(sslServer.port, { security: 'starttls' }));
    assert.equal(brief(result), 'greeting:TLS_MISMATCH');
    assert.match(result.hint ?? '', new RegExp(`SSL/TLS for port ${sslServer.port}`));
    assert.ok(result.transcript.some((line) => /TLS handshake on the same port succeeds/.test(line)));
  });

  it('an untrusted self-signed certificate -> TLS_CERTIFICATE_INVALID (checking is on by default)', async () => {
    const result = await run(settingsFor(sslServer.port), { tlsCa: undefined });
    assert.equal(brief(result), 'tls:TLS_CERTIFICATE_INVALID');
    assert.match(result.message, /self-signed/);
    const starttls = await run(settingsFor(starttlsServer.port, { security: 'starttls' }), { tlsCa: undefined });
    assert.equal(brief(starttls), 'tls:TLS_CERTIFICATE_INVALID');
  });

  it('an untrusted certificate is accepted, with a warning, only inside an allowed private range when the policy says so', async () => {
    const lenient = { ...testPolicy, acceptUntrustedCertificatesInAllowedCidrs: true };
    const accepted = await run(settingsFor(sslServer.port), { tlsCa: undefined, policy: lenient });
    assert.equal(brief(accepted), 'done:OK');
    assert.ok(accepted.warnings.some((warning) => warning.code === 'TLS_CERTIFICATE_UNTRUSTED'));
    assert.ok(accepted.transcript.some((line) => /certificate NOT trusted/.test(line)));
    const starttls = await run(settingsFor(starttlsServer.port, { security: 'starttls' }), { tlsCa: undefined, policy: lenient });
    assert.equal(brief(starttls), 'done:OK');
  });

  it('the untrusted-certificate warning comes with a failed test too (a wrong password on a self-signed server)', async () => {
    const lenient = { ...testPolicy, acceptUntrustedCertificatesInAllowedCidrs: true };
    const refused = await run(settingsFor(starttlsServer.port, { security: 'starttls', password: 'wrong-password' }), { tlsCa: undefined, policy: lenient });
    assert.equal(brief(refused), 'auth:AUTH_FAILED');
    assert.deepEqual(refused.warnings.map((warning) => warning.code), ['TLS_CERTIFICATE_UNTRUSTED']);
  });

  it('a certificate for another name -> TLS_CERTIFICATE_INVALID', async () => {
    const result = await run(settingsFor(sslServer.port, { host: 'wrong.test.local' }));
    assert.equal(brief(result), 'tls:TLS_CERTIFICATE_INVALID');
    assert.match(result.message, /not issued for wrong\.test\.local/);
  });

  it('an expired certificate -> TLS_CERTIFICATE_INVALID', async () => {
    const result = await run(settingsFor(expiredServer.port), { tlsCa: expiredFixture.cert });
    assert.equal(brief(result), 'tls:TLS_CERTIFICATE_INVALID');
    assert.match(result.message, /expired/);
  });
});

describe('testSmtpSettings: connection problems end within the deadline', () => {
  it('a closed port -> CONNECTION_REFUSED', async () => {
    const result = await run(settingsFor(await closedPort()));
    assert.equal(brief(result), 'connect:CONNECTION_REFUSED');
  });

  it('a port that never completes the connection -> CONNECTION_TIMEOUT at connect', async (t) => {
    const unanswered = await startUnansweredPort();
    if (!unanswered) return t.skip('python3 is needed to hold a never-accepting listener');
    try {
      const result = await run(settingsFor(unanswered.port), { timeouts: { connect: 300 } });
      assert.equal(brief(result), 'connect:CONNECTION_TIMEOUT');
    } finally {
      unanswered.close();
    }
  });

  it('ssl against a port that never speaks -> GREETING_TIMEOUT at tls (not a mismatch: a STARTTLS port would greet)', async () => {
    const silent = await startRawServer(() => undefined);
    rawServers.push(silent);
    const result = await run(settingsFor(silent.port, { security: 'ssl' }), { timeouts: { tls: 300 } });
    assert.equal(brief(result), 'tls:GREETING_TIMEOUT');
  });

  it('a server that accepts and never greets -> GREETING_TIMEOUT at greeting', async () => {
    const silent = await startRawServer(() => undefined);
    rawServers.push(silent);
    const result = await run(settingsFor(silent.port, { security: 'starttls' }), { timeouts: { greeting: 300 } });
    assert.equal(brief(result), 'greeting:GREETING_TIMEOUT');
  });

  it('a server that never finishes its greeting is cut off by the total deadline', async () => {
    const dripping = await startRawServer((socket) => {
      const timer = setInterval(() => socket.write('220-still greeting\r\n'), 50);
      socket.on('close', () => clearInterval(timer));
    });
    rawServers.push(dripping);
    // Only the total deadline can end this: the greeting timeout is far beyond the test's own limit.
    const result = await run(settingsFor(dripping.port, { security: 'starttls' }), { timeouts: { greeting: 120_000, total: 700 } });
    assert.equal(brief(result), 'greeting:GREETING_TIMEOUT');
  });

  it('a server that does not answer the login in time -> TEMPORARY_FAILURE at auth, with the login-delay hint', async () => {
    const staller = await startRawServer(scripted({ AUTH: null }));
    rawServers.push(staller);
    const result = await run(settingsFor(staller.port, { security: 'none' }), {
      policy: { ...testPolicy, allowPlaintext: true },
      timeouts: { auth: 300 },
    });
    assert.equal(brief(result), 'auth:TEMPORARY_FAILURE');
    assert.match(result.hint ?? '', /failed attempts/);
  });

  it('a server that stalls after EHLO -> CONNECTION_TIMEOUT at that stage', async () => {
    const staller = await startRawServer(scripted({ MAIL: null }));
    rawServers.push(staller);
    const result = await run(settingsFor(staller.port, { security: 'none', username: '' }), {
      policy: { ...testPolicy, allowPlaintext: true },
      timeouts: { command: 300 },
    });
    assert.equal(brief(result), 'mail_from:CONNECTION_TIMEOUT');
  });

  it('garbage instead of SMTP -> PROTOCOL_ERROR', async () => {
    const http = await startRawServer((socket) => socket.write('HTTP/1.1 400 Bad Request\r\n\r\n'));
    rawServers.push(http);
    const result = await run(settingsFor(http.port, { security: 'starttls' }));
    assert.equal(brief(result), 'greeting:PROTOCOL_ERROR');
  });

  it('a server that echoes the credentials cannot leak them into the answer', async () => {
    const echo = await startRawServer(scripted({ AUTH: (line) => `535 5.7.8 rejected ${line} (${Buffer.from(line.split(' ')[2] ?? '', 'base64').toString()})` }));
    rawServers.push(echo);
    const result = await run(settingsFor(echo.port, { security: 'none' }), { policy: { ...testPolicy, allowPlaintext: true } });
    assert.equal(brief(result), 'auth:AUTH_FAILED');
    assert.match(result.smtpResponse ?? '', /<redacted>/);
  });
});

describe('testSmtpSettings: refused before connecting', () => {
  const strict: OutboundPolicy = { allowedPorts: '*', allowedPrivateCidrs: [], allowPlaintext: false, acceptUntrustedCertificatesInAllowedCidrs: false };
  const hosts = [
    '127.0.0.1',
    '169.254.169.254',
    '10.0.0.1',
    '100.64.1.1',
    '::1',
    '[::1]',
    '::ffff:127.0.0.1',
    '64:ff9b::7f00:1',
    '2002:7f00:1::',
    '0x7f.1',
    '2130706433',
    'private.test.local',
    'metadata.test.local',
  ];
  for (const host of hosts) {
    it(`${host} -> DESTINATION_BLOCKED, no connection`, async () => {
      const before = sslServer.connections();
      const result = await run(settingsFor(sslServer.port, { host }), { policy: strict });
      assert.equal(brief(result), 'dns:DESTINATION_BLOCKED');
      assert.equal(sslServer.connections(), before);
      assert.ok(!result.transcript.some((line) => line.includes('connected')));
    });
  }

  it('a port outside the allowed set -> PORT_NOT_ALLOWED at policy', async () => {
    const result = await run(settingsFor(sslServer.port), { policy: { ...testPolicy, allowedPorts: [465, 587] } });
    assert.equal(brief(result), 'policy:PORT_NOT_ALLOWED');
  });

  it('known-bad hosts stop at policy with HOST_NOT_SUPPORTED', async () => {
    const calls: string[] = [];
    const result = await run(settingsFor(587, { host: 'smtp-relay.gmail.com', security: 'starttls' }), { resolver: fakeResolver({}, calls) });
    assert.equal(brief(result), 'policy:HOST_NOT_SUPPORTED');
    assert.deepEqual(calls, []);
  });

  it('plaintext where the operator does not allow it', async () => {
    const result = await run(settingsFor(starttlsServer.port, { security: 'none' }));
    assert.equal(brief(result), 'policy:DESTINATION_BLOCKED');
  });

  it('a name that does not exist -> DNS_NOT_FOUND', async () => {
    const result = await run(settingsFor(587, { host: 'nope.test.local' }));
    assert.equal(brief(result), 'dns:DNS_NOT_FOUND');
  });
});

/**
 * A minimal plaintext SMTP server: greets, answers EHLO with AUTH PLAIN, and answers each
 * command from `script` (a function of the line, or null to stall), else 250.
 */
function scripted(script: Record<string, ((line: string) => string) | null>) {
  return (socket: net.Socket) => {
    socket.write('220 scripted ESMTP\r\n');
    onSmtpLines(socket, (line) => {
      const verb = line.split(' ')[0].toUpperCase();
      if (verb === 'EHLO') socket.write('250-scripted\r\n250 AUTH PLAIN LOGIN\r\n');
      else if (verb === 'QUIT') socket.end('221 bye\r\n');
      else if (verb in script) {
        const answer = script[verb];
        if (answer) socket.write(`${answer(line)}\r\n`);
      } else socket.write('250 ok\r\n');
    });
  };
}
