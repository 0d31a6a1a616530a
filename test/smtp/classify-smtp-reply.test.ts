import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifySmtpFailure, parseSmtpReply, type FailureContext, type SmtpFailure } from '../../shared/smtp/classify-smtp-reply';
import type { SmtpResultCode, SmtpStage } from '../../shared/smtp/types';

const gmail: FailureContext = { host: 'smtp.gmail.com', port: 465, security: 'ssl' };
const microsoft: FailureContext = { host: 'smtp.office365.com', port: 587, security: 'starttls' };
const postfix: FailureContext = { host: 'mail.example.com', port: 587, security: 'starttls' };

const reply = (stage: SmtpStage, text: string): SmtpFailure => ({ kind: 'reply', stage, reply: text });

const cases: Array<[string, SmtpStage, string, FailureContext, SmtpResultCode]> = [
  ['Gmail wrong password', 'auth', '535-5.7.8 Username and Password not accepted. For more information, go to\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials', gmail, 'AUTH_FAILED'],
  ['Postfix wrong password', 'auth', '535 5.7.8 Error: authentication failed', postfix, 'AUTH_FAILED'],
  ['Postfix wrong password, long', 'auth', '535 5.7.8 Error: authentication failed: authentication failure', postfix, 'AUTH_FAILED'],
  ['Microsoft wrong password', 'auth', '535 5.7.3 Authentication unsuccessful [BN9PR03CA0123.namprd03.prod.outlook.com]', microsoft, 'AUTH_FAILED'],
  ['Microsoft SMTP AUTH disabled for the tenant', 'auth', '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.', microsoft, 'AUTH_DISABLED'],
  ['Microsoft SMTP AUTH disabled for the mailbox', 'auth', '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.', microsoft, 'AUTH_DISABLED'],
  ['Microsoft basic auth not supported', 'auth', '550 5.7.30 Basic authentication is not supported for Client Submission.', microsoft, 'AUTH_DISABLED'],
  ['Microsoft criteria not met', 'auth', '535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator.', microsoft, 'AUTH_BLOCKED_BY_POLICY'],
  ['Microsoft credentials incorrect (5.7.139)', 'auth', '535 5.7.139 Authentication unsuccessful, the user credentials were incorrect.', microsoft, 'AUTH_BLOCKED_BY_POLICY'],
  ['Microsoft security defaults', 'auth', '535 5.7.139 Authentication unsuccessful, user is locked by your organization\'s security defaults policy. Contact your administrator.', microsoft, 'AUTH_BLOCKED_BY_POLICY'],
  ['Gmail app password', 'auth', '534-5.7.9 Application-specific password required. Learn more at\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor', gmail, 'APP_PASSWORD_REQUIRED'],
  ['Postfix sender login mismatch', 'mail_from', '553 5.7.1 <ceo@acme.test>: Sender address rejected: not owned by user jobs@acme.test', postfix, 'SENDER_NOT_ALLOWED'],
  ['Microsoft SendAsDenied', 'data', '554 5.2.252 SendAsDenied; jobs@acme.test not allowed to send as ceo@acme.test; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied', microsoft, 'SENDER_NOT_ALLOWED'],
  ['Microsoft 5.7.60', 'mail_from', '550 5.7.60 SMTP; Client does not have permissions to send as this sender', microsoft, 'SENDER_NOT_ALLOWED'],
  ['Exchange 5.7.1 send as', 'mail_from', '550 5.7.1 Client does not have permissions to send as this sender', postfix, 'SENDER_NOT_ALLOWED'],
  ['Postfix relay denied', 'rcpt', '554 5.7.1 <candidate@elsewhere.test>: Relay access denied', postfix, 'RELAY_DENIED'],
  ['Microsoft tenant attribution', 'rcpt', '550 5.7.64 TenantAttribution; Relay Access Denied [SN1NAM02FT0123.eop-nam02.prod.protection.outlook.com]', microsoft, 'RELAY_DENIED'],
  ['Gmail try again later', 'mail_from', '421 4.7.0 Try again later, closing connection. (MAIL) 41be03b00d2f7-1234', gmail, 'RATE_LIMITED'],
  ['Gmail receiving rate', 'rcpt', '450 4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered.', gmail, 'RATE_LIMITED'],
  ['too many recipients', 'rcpt', '452 4.5.3 Your message has too many recipients.', gmail, 'RATE_LIMITED'],
  ['Gmail unsolicited rate', 'data', '421 4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address.', gmail, 'RATE_LIMITED'],
  ['Gmail daily quota', 'mail_from', '550 5.4.5 Daily user sending limit exceeded.', gmail, 'SENDER_QUOTA_EXCEEDED'],
  ['Gmail daily quota after DATA', 'data', '550-5.4.5 Daily user sending limit exceeded. For more information, go to\n550 5.4.5  https://support.google.com/a/answer/166852', gmail, 'SENDER_QUOTA_EXCEEDED'],
  ['Microsoft daily quota after DATA', 'data', '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception', microsoft, 'SENDER_QUOTA_EXCEEDED'],
  ['Microsoft daily quota at RCPT', 'rcpt', '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException', microsoft, 'SENDER_QUOTA_EXCEEDED'],
  ['Microsoft 4th connection', 'mail_from', '432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded [Hostname=BN9PR03MB1234]', microsoft, 'RATE_LIMITED'],
  ['Microsoft 4th connection at greeting', 'greeting', '432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded', microsoft, 'RATE_LIMITED'],
  ['421 4.7.0 at RCPT', 'rcpt', '421 4.7.0 Temporary System Problem. Try again later.', microsoft, 'RATE_LIMITED'],
  ['451 4.7.28 at MAIL', 'mail_from', '451 4.7.28 Our system has detected an unusual rate of mail from this account', gmail, 'RATE_LIMITED'],
  ['452 4.5.3 after DATA', 'data', '452 4.5.3 Too many recipients', gmail, 'RATE_LIMITED'],
  ['Microsoft continuous-error throttling 5.2.251', 'mail_from', '550 5.2.251 Sender throttled due to continuous invalid recipients errors', microsoft, 'SENDER_THROTTLED'],
  ['Microsoft continuous-error throttling 5.2.252', 'data', '550 5.2.252 Sender throttled due to continuous errors; message rejected', microsoft, 'SENDER_THROTTLED'],
  ['Microsoft continuous-error throttling 5.2.255', 'rcpt', '550 5.2.255 Sender throttled; wait for the administrator to release it', microsoft, 'SENDER_THROTTLED'],
  ['Postfix message too large after DATA', 'data', '552 5.3.4 Message size exceeds fixed limit', postfix, 'MESSAGE_TOO_LARGE'],
  ['Exchange message too large', 'mail_from', '552 5.3.4 Requested action not taken; message size exceeds fixed maximum message size', microsoft, 'MESSAGE_TOO_LARGE'],
  ['content refused as spam', 'data', '550 5.7.1 Message rejected as spam by Content Filtering', postfix, 'UNKNOWN'],
  ['mailbox full is not too large', 'rcpt', '552 5.2.2 <x@acme.test>: Recipient mailbox full', postfix, 'RECIPIENT_REJECTED'],
  ['greylisting', 'rcpt', '450 4.7.1 <x@y.test>: Recipient address rejected: Greylisted, please come back later', postfix, 'TEMPORARY_FAILURE'],
  ['other 4xx', 'mail_from', '451 4.3.0 Local error in processing', postfix, 'TEMPORARY_FAILURE'],
  ['user unknown', 'rcpt', '550 5.1.1 <nobody@acme.test>: Recipient address rejected: User unknown in virtual mailbox table', postfix, 'RECIPIENT_REJECTED'],
  ['Postfix TLS not available (4xx: temporary)', 'tls', '454 4.7.0 TLS not available due to local problem', postfix, 'TEMPORARY_FAILURE'],
  ['greylisting of the sender', 'mail_from', '450 4.7.1 <jobs@acme.test>: Sender address rejected: Greylisted, please try again later', postfix, 'TEMPORARY_FAILURE'],
  ['greylisting at RCPT', 'rcpt', '450 4.7.1 <jobs@acme.test>: Sender address rejected: Greylisted, please try again later', postfix, 'TEMPORARY_FAILURE'],
  ['451 4.3.5 server configuration problem', 'mail_from', '451 4.3.5 Server configuration problem', postfix, 'TEMPORARY_FAILURE'],
  ['451 4.3.0 with a sender text', 'mail_from', '451 4.3.0 <jobs@acme.test>: Sender address rejected: Temporary lookup failure', postfix, 'TEMPORARY_FAILURE'],
  ['4xx relay text', 'rcpt', '454 4.7.1 <x@elsewhere.test>: Relay access denied', postfix, 'TEMPORARY_FAILURE'],
  ['4xx not authenticated text', 'mail_from', '450 4.7.1 Client not authenticated, try again', postfix, 'TEMPORARY_FAILURE'],
  ['4xx at auth with a permanent-looking text', 'auth', '454 4.7.0 Authentication mechanism not supported right now', postfix, 'TEMPORARY_FAILURE'],
  ['Postfix STARTTLS first', 'mail_from', '530 5.7.0 Must issue a STARTTLS command first', { ...postfix, security: 'none' }, 'TLS_MISMATCH'],
  ['Postfix auth not enabled', 'auth', '503 5.5.1 Error: authentication not enabled', postfix, 'AUTH_UNAVAILABLE'],
  ['Postfix unknown mechanism', 'auth', '504 5.5.4 Unrecognized authentication type', postfix, 'AUTH_UNAVAILABLE'],
  ['Microsoft not authenticated', 'mail_from', '530 5.7.57 Client not authenticated to send mail. [BN9PR03CA0123.namprd03.prod.outlook.com]', microsoft, 'AUTH_FAILED'],
  ['refused in greeting', 'greeting', '554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked', postfix, 'CONNECTION_REFUSED'],
];

describe('classifySmtpFailure: sizes and SendAs', () => {
  it('MESSAGE_TOO_LARGE states the limit the server announced, and nodemailer\'s refusal before sending is classified alike', () => {
    const after = classifySmtpFailure(reply('data', '552 5.3.4 Message size exceeds fixed limit'), { ...postfix, sizeLimit: 10240000, messageSize: 11_000_000 });
    assert.equal(after.code, 'MESSAGE_TOO_LARGE');
    assert.match(after.message, /10240000 bytes/);
    assert.match(after.hint, /10\.2 MB/);
    const before = classifySmtpFailure({ kind: 'too_large', stage: 'mail_from', sizeLimit: 10240000, messageSize: 11_000_000 }, postfix);
    assert.equal(before.code, 'MESSAGE_TOO_LARGE');
    assert.match(before.message, /11\.0 MB.*10240000 bytes/);
    assert.equal(before.temporary, false);
  });

  it('5.2.252 is SendAsDenied (a permission) when its text says so, throttling otherwise', () => {
    assert.equal(classifySmtpFailure(reply('data', '554 5.2.252 SendAsDenied; a@b not allowed to send as c@d'), microsoft).code, 'SENDER_NOT_ALLOWED');
    assert.equal(classifySmtpFailure(reply('data', '550 5.2.252 Sender throttled due to continuous errors'), microsoft).code, 'SENDER_THROTTLED');
  });

  it('quota and throttling codes carry the provider\'s hint', () => {
    assert.match(classifySmtpFailure(reply('data', '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException'), microsoft).hint, /10,000 recipients/);
    assert.match(classifySmtpFailure(reply('mail_from', '550 5.4.5 Daily user sending limit exceeded.'), gmail).hint, /2,000/);
    assert.match(classifySmtpFailure(reply('mail_from', '550 5.2.251 Sender throttled'), microsoft).hint, /admin/);
    assert.equal(classifySmtpFailure(reply('mail_from', '432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded'), microsoft).temporary, true);
  });
});

describe('classifySmtpFailure: replies', () => {
  for (const [name, stage, text, context, expected] of cases) {
    it(`${name} -> ${expected}`, () => {
      const result = classifySmtpFailure(reply(stage, text), context);
      assert.equal(result.code, expected);
      assert.ok(result.message.length > 10);
      assert.ok(result.hint.length > 10);
    });
  }

  it('hints in the provider\'s words', () => {
    assert.match(classifySmtpFailure(reply('auth', cases[0][2]), gmail).hint, /app password/i);
    assert.match(classifySmtpFailure(reply('auth', cases[4][2]), microsoft).hint, /Authenticated SMTP/);
    assert.match(classifySmtpFailure(reply('auth', cases[7][2]), microsoft).hint, /Conditional Access/);
  });

  it('recognises Microsoft by its reply when the host is a custom name', () => {
    const custom: FailureContext = { host: 'smtp.acme.test', port: 587, security: 'starttls' };
    const result = classifySmtpFailure(reply('auth', cases[6][2]), custom);
    assert.equal(result.code, 'AUTH_DISABLED');
    const bySendAs = classifySmtpFailure(reply('data', cases[12][2]), { ...custom, serverText: '220 BN9PR03CA0123.outlook.office365.com Microsoft ESMTP MAIL Service ready' });
    assert.match(bySendAs.hint, /Send As/);
  });

  it('any 4xx is temporary, whatever its text; greylisting has its own hint', () => {
    for (const [, stage, text, context] of cases.filter(([, , line]) => line.startsWith('4'))) {
      const result = classifySmtpFailure(reply(stage, text), context);
      assert.equal(result.temporary, true, text);
      assert.ok(['TEMPORARY_FAILURE', 'RATE_LIMITED'].includes(result.code), `${text} -> ${result.code}`);
    }
    const greylisted = classifySmtpFailure(reply('mail_from', '450 4.7.1 <jobs@acme.test>: Sender address rejected: Greylisted, please try again later'), postfix);
    assert.match(greylisted.message, /greylist/i);
    assert.match(greylisted.hint, /retried automatically/);
    assert.doesNotMatch(greylisted.hint, /permission/i);
  });

  it('marks 4xx as temporary and 5xx as permanent', () => {
    assert.equal(classifySmtpFailure(reply('rcpt', '451 4.3.0 Local error'), postfix).temporary, true);
    assert.equal(classifySmtpFailure(reply('auth', '535 5.7.8 Error: authentication failed'), postfix).temporary, false);
  });
});

describe('classifySmtpFailure: conditions', () => {
  const check = (failure: SmtpFailure, context: FailureContext, expected: SmtpResultCode) =>
    assert.equal(classifySmtpFailure(failure, context).code, expected);

  it('connection refused and connect timeout', () => {
    check({ kind: 'socket_error', stage: 'connect', errorCode: 'ECONNREFUSED', errorMessage: 'connect ECONNREFUSED 1.2.3.4:587' }, postfix, 'CONNECTION_REFUSED');
    check({ kind: 'timeout', stage: 'connect' }, postfix, 'CONNECTION_TIMEOUT');
  });

  it('ssl against a STARTTLS port fails the handshake at once: TLS_MISMATCH', () => {
    check(
      { kind: 'socket_error', stage: 'tls', errorCode: 'ERR_SSL_WRONG_VERSION_NUMBER', errorMessage: 'C0E7:error:0A00010B:SSL routines:ssl3_get_record:wrong version number' },
      { ...postfix, security: 'ssl' },
      'TLS_MISMATCH',
    );
  });

  it('starttls against an implicit-TLS port gets no greeting: TLS_MISMATCH on 465, else GREETING_TIMEOUT', () => {
    check({ kind: 'timeout', stage: 'greeting' }, { host: 'smtp.gmail.com', port: 465, security: 'starttls' }, 'TLS_MISMATCH');
    assert.match(classifySmtpFailure({ kind: 'timeout', stage: 'greeting' }, { host: 'x.test', port: 465, security: 'starttls' }).hint, /SSL\/TLS/);
    check({ kind: 'timeout', stage: 'greeting' }, postfix, 'GREETING_TIMEOUT');
  });

  it('certificate problems', () => {
    for (const errorCode of ['DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']) {
      check({ kind: 'socket_error', stage: 'tls', errorCode, errorMessage: 'certificate check failed' }, postfix, 'TLS_CERTIFICATE_INVALID');
    }
  });

  it('missing extensions', () => {
    check({ kind: 'auth_not_offered', stage: 'auth', mechanisms: [] }, postfix, 'AUTH_UNAVAILABLE');
    assert.match(classifySmtpFailure({ kind: 'auth_not_offered', stage: 'auth', mechanisms: ['XOAUTH2'] }, postfix).hint, /OAuth2/);
    check({ kind: 'starttls_not_offered', stage: 'tls' }, postfix, 'STARTTLS_UNAVAILABLE');
  });

  it('garbage and a POP3 port', () => {
    check({ kind: 'malformed_reply', stage: 'ehlo', reply: 'hello there' }, postfix, 'PROTOCOL_ERROR');
    assert.match(classifySmtpFailure({ kind: 'malformed_reply', stage: 'greeting', reply: '+OK Dovecot ready.' }, postfix).message, /not a mail submission/);
  });

  it('a stall mid-dialogue is a temporary timeout', () => {
    const result = classifySmtpFailure({ kind: 'timeout', stage: 'mail_from' }, postfix);
    assert.equal(result.code, 'CONNECTION_TIMEOUT');
    assert.equal(result.temporary, true);
  });
});

describe('parseSmtpReply', () => {
  it('reads code, enhanced code and text of multi-line replies', () => {
    assert.deepEqual(parseSmtpReply('534-5.7.9 Application-specific password required.\r\n534 5.7.9  https://support.google.com'), {
      code: 534,
      enhanced: '5.7.9',
      text: 'Application-specific password required. https://support.google.com',
    });
    assert.equal(parseSmtpReply('garbage'), null);
  });
});
