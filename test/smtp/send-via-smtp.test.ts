import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SMTPServerOptions } from 'smtp-server';
import { sendViaSmtp, type SendViaSmtpOptions } from '../../shared/smtp/send-via-smtp';
import { isSmtpSendError, type SmtpSendError } from '../../shared/smtp/smtp-port';
import { SmtpConnectionPool } from '../../shared/smtp/smtp-connection-pool';
import type { SmtpServerSettings } from '../../shared/smtp/types';
import { fakeResolver, makeCertificate, smtpReply, startRawServer, startSmtpServer, testPolicy, testServerSettings, type RunningSmtpServer } from '../support/smtp-helpers';

const PASSWORD = 'send-secret-passw0rd';
const tlsFixture = makeCertificate();
const resolver = fakeResolver({ 'mail.test.local': ['127.0.0.1'], 'private.test.local': ['10.1.2.3'] });

let sslServer: RunningSmtpServer;
let starttlsServer: RunningSmtpServer;
let idleDropServer: RunningSmtpServer;
const rawServers: Array<{ close: () => Promise<void> }> = [];

const GREYLISTED = '450 4.7.1 <greylisted@acme.test>: Sender address rejected: Greylisted, please try again later';

const serverOptions: SMTPServerOptions = {
  key: tlsFixture.key,
  cert: tlsFixture.cert,
  onAuth(auth, _session, callback) {
    if (auth.password !== PASSWORD) return callback(smtpReply('535 5.7.8 Error: authentication failed'));
    callback(null, { user: auth.username ?? '' });
  },
  onMailFrom(address, _session, callback) {
    callback(address.address === 'greylisted@acme.test' ? smtpReply(GREYLISTED) : undefined);
  },
  onRcptTo(address, _session, callback) {
    callback(address.address === 'nobody@acme.test' ? smtpReply('550 5.1.1 <nobody@acme.test>: Recipient address rejected: User unknown') : undefined);
  },
};

before(async () => {
  sslServer = await startSmtpServer({ ...serverOptions, secure: true });
  starttlsServer = await startSmtpServer({
    ...serverOptions,
    secure: false,
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        // Microsoft checks send-as only once the message is in: the refusal ends DATA.
        if (session.envelope.mailFrom && session.envelope.mailFrom.address === 'ceo@acme.test') {
          return callback(smtpReply('554 5.2.252 SendAsDenied; jobs@acme.test not allowed to send as ceo@acme.test'));
        }
        callback(null, 'Ok: queued as STARTTLS1');
      });
    },
  });
  idleDropServer = await startSmtpServer({ ...serverOptions, secure: true, socketTimeout: 200 });
});

after(async () => {
  await Promise.all([sslServer, starttlsServer, idleDropServer, ...rawServers].map((server) => server.close()));
});

const settingsFor = (port: number, overrides: Partial<SmtpServerSettings> = {}) => testServerSettings(port, PASSWORD, overrides);

const baseOptions: SendViaSmtpOptions = {
  policy: testPolicy,
  resolver,
  tlsCa: tlsFixture.cert,
  timeouts: { greeting: 500, connect: 1000, command: 1000, data: 2000, total: 5000 },
};

const message = (to = 'candidate@example.test', from = 'jobs@acme.test') => ({
  envelope: { from, to: [to] },
  raw: [
    `From: Acme Recruiting <${from}>`,
    `To: <${to}>`,
    'Subject: Your application',
    'Message-ID: <msg-1@acme.test>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Hello,',
    '.a line starting with a dot',
    '',
  ].join('\r\n'),
});

async function sendError(promise: Promise<unknown>): Promise<SmtpSendError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isSmtpSendError(error), `not an SmtpSendError: ${String(error)}`);
    const json = JSON.stringify({ ...error, message: error.message });
    assert.ok(!json.includes(PASSWORD));
    assert.ok(!json.includes(Buffer.from(PASSWORD).toString('base64')));
    return error;
  }
  assert.fail('expected the send to fail');
}

describe('sendViaSmtp', () => {
  it('delivers through implicit TLS', async () => {
    const before = sslServer.received.length;
    const result = await sendViaSmtp(settingsFor(sslServer.port), message(), baseOptions);
    assert.equal(result.accepted, true);
    assert.match(result.response, /^250 .*queued as TEST123/);
    assert.equal(result.messageId, '<msg-1@acme.test>');
    assert.deepEqual(result.acceptedRecipients, ['candidate@example.test']);
    assert.equal(sslServer.received.length, before + 1);
  });

  it('delivers through STARTTLS', async () => {
    const result = await sendViaSmtp(settingsFor(starttlsServer.port, { security: 'starttls' }), message(), baseOptions);
    assert.match(result.response, /STARTTLS1/);
  });

  it('an auth failure stops before DATA: nothing sent', async () => {
    const error = await sendError(sendViaSmtp(settingsFor(sslServer.port, { password: 'wrong-one' }), message(), baseOptions));
    assert.equal(error.code, 'AUTH_FAILED');
    assert.equal(error.stage, 'auth');
    assert.equal(error.dataSent, false);
    assert.equal(error.temporary, false);
    assert.match(error.smtpResponse ?? '', /^535 5\.7\.8/);
  });

  it('a greylisting server is TEMPORARY_FAILURE, temporary, nothing sent (retried, not a send-as problem)', async () => {
    const before = sslServer.received.length;
    const error = await sendError(sendViaSmtp(settingsFor(sslServer.port, { fromAddress: 'greylisted@acme.test' }), message(undefined, 'greylisted@acme.test'), baseOptions));
    assert.equal(error.code, 'TEMPORARY_FAILURE');
    assert.equal(error.stage, 'mail_from');
    assert.equal(error.temporary, true);
    assert.equal(error.dataSent, false);
    assert.equal(error.smtpResponse, GREYLISTED);
    assert.equal(sslServer.received.length, before);
  });

  it('beforeData runs once the server asked for the data, and never when the conversation fails earlier', async () => {
    const calls: number[] = [];
    const before = sslServer.received.length;
    await sendViaSmtp(settingsFor(sslServer.port), { ...message(), beforeData: async () => void calls.push(sslServer.received.length) }, baseOptions);
    assert.deepEqual(calls, [before], 'called once, before the server had the message');
    assert.equal(sslServer.received.length, before + 1);

    const early: number[] = [];
    await sendError(sendViaSmtp(settingsFor(sslServer.port), { ...message('nobody@acme.test'), beforeData: async () => void early.push(1) }, baseOptions));
    await sendError(sendViaSmtp(settingsFor(sslServer.port, { password: 'wrong-one' }), { ...message(), beforeData: async () => void early.push(1) }, baseOptions));
    assert.deepEqual(early, []);
  });

  it('a failing beforeData (our own storage) is our error, not a verdict on the server, and nothing is sent', async () => {
    const before = sslServer.received.length;
    const storageDown = new Error('table unavailable');
    for (const pool of [undefined, new SmtpConnectionPool({})]) {
      const sending = sendViaSmtp(settingsFor(sslServer.port), { ...message(), beforeData: async () => Promise.reject(storageDown) }, { ...baseOptions, pool });
      await assert.rejects(sending, (error: unknown) => error === storageDown && !isSmtpSendError(error));
      await pool?.close();
    }
    assert.equal(sslServer.received.length, before);
  });

  it('a rejected recipient is RECIPIENT_REJECTED at rcpt', async () => {
    const error = await sendError(sendViaSmtp(settingsFor(sslServer.port), message('nobody@acme.test'), baseOptions));
    assert.equal(error.code, 'RECIPIENT_REJECTED');
    assert.equal(error.stage, 'rcpt');
    assert.equal(error.dataSent, false);
  });

  it('a refusal at the end of DATA: SENDER_NOT_ALLOWED, the message was sent but not accepted', async () => {
    const error = await sendError(
      sendViaSmtp(settingsFor(starttlsServer.port, { security: 'starttls' }), message(undefined, 'ceo@acme.test'), baseOptions),
    );
    assert.equal(error.code, 'SENDER_NOT_ALLOWED');
    assert.equal(error.stage, 'data');
    // The server answered: a definite refusal, not an unknown outcome.
    assert.equal(error.dataSent, false);
  });

  it('no answer after the whole message was sent: dataSent, so the caller must not send it again', async () => {
    // A plaintext SMTP server that takes the message and then never answers the final dot.
    const silentAfterData = await startRawServer((socket) => {
      let inData = false;
      socket.write('220 silent.test ESMTP\r\n');
      socket.on('data', (chunk: Buffer) => {
        const text = chunk.toString('latin1');
        if (inData) return;
        for (const line of text.split('\r\n').filter(Boolean)) {
          if (/^EHLO/i.test(line)) socket.write('250-silent.test\r\n250 8BITMIME\r\n');
          else if (/^(MAIL|RCPT)/i.test(line)) socket.write('250 OK\r\n');
          else if (/^DATA/i.test(line)) {
            socket.write('354 go ahead\r\n');
            inData = true;
            return;
          }
        }
      });
    });
    rawServers.push(silentAfterData);
    const error = await sendError(
      sendViaSmtp(settingsFor(silentAfterData.port, { security: 'none', username: '', password: '' }), message(), {
        ...baseOptions,
        policy: { ...testPolicy, allowPlaintext: true },
        timeouts: { ...baseOptions.timeouts, data: 300 },
      }),
    );
    assert.equal(error.stage, 'data');
    assert.equal(error.dataSent, true);
    assert.equal(error.smtpResponse, null);
  });

  it('ssl against a STARTTLS port -> TLS_MISMATCH', async () => {
    const error = await sendError(sendViaSmtp(settingsFor(starttlsServer.port, { security: 'ssl' }), message(), baseOptions));
    assert.equal(error.code, 'TLS_MISMATCH');
    assert.equal(error.stage, 'tls');
  });

  it('a server that never greets -> GREETING_TIMEOUT within the short timeout', async () => {
    const silent = await startRawServer(() => undefined);
    rawServers.push(silent);
    const error = await sendError(sendViaSmtp(settingsFor(silent.port, { security: 'starttls' }), message(), baseOptions));
    assert.equal(error.code, 'GREETING_TIMEOUT');
    assert.equal(error.stage, 'greeting');
  });

  it('blocked destinations are refused without a connection', async () => {
    const before = sslServer.connections();
    const strict = { ...baseOptions, policy: { ...testPolicy, allowedPrivateCidrs: [] } };
    for (const host of ['127.0.0.1', '0x7f.1', 'private.test.local', '::ffff:127.0.0.1']) {
      const error = await sendError(sendViaSmtp(settingsFor(sslServer.port, { host }), message(), strict));
      assert.equal(error.code, 'DESTINATION_BLOCKED', host);
    }
    assert.equal(sslServer.connections(), before);
  });

  it('a pool reuses one authenticated connection for consecutive messages', async () => {
    const pool = new SmtpConnectionPool();
    const before = sslServer.connections();
    try {
      for (let i = 0; i < 5; i += 1) {
        const result = await sendViaSmtp(settingsFor(sslServer.port), message(`c${i}@example.test`), { ...baseOptions, pool });
        assert.equal(result.accepted, true);
      }
      assert.equal(sslServer.connections() - before, 1);
      const unpooledBefore = sslServer.connections();
      for (let i = 0; i < 3; i += 1) await sendViaSmtp(settingsFor(sslServer.port), message(), baseOptions);
      assert.equal(sslServer.connections() - unpooledBefore, 3);
    } finally {
      await pool.close();
    }
  });

  it('a pool limits concurrent connections per server and recovers from a dropped idle connection', async () => {
    const pool = new SmtpConnectionPool({ maxConnectionsPerKey: 2 });
    try {
      const before = idleDropServer.connections();
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => sendViaSmtp(settingsFor(idleDropServer.port), message(`p${i}@example.test`), { ...baseOptions, pool })),
      );
      assert.equal(results.length, 6);
      assert.ok(idleDropServer.connections() - before <= 2);
      // The server closes idle sessions after 200 ms; the next message must still go out.
      await sleep(400);
      const after = await sendViaSmtp(settingsFor(idleDropServer.port), message(), { ...baseOptions, pool });
      assert.equal(after.accepted, true);
    } finally {
      await pool.close();
    }
  });
});
