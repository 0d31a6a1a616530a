import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MessageRejected } from '@aws-sdk/client-ses';
import { LOCAL_SES_CREDENTIALS, startLocalSes, type LocalSes } from '../../infra/local/local-ses';
import {
  createSesDefaultProvider,
  sesMessageIdHeader,
  translateSesError,
} from '../../shared/adapters/ses-default-provider';
import { buildCandidateMail } from '../../shared/outbound/build-candidate-mail';
import { DefaultProviderError, isDefaultProviderError } from '../../shared/outbound/default-provider';
import { forDefaultProvider } from '../../shared/outbound/default-sender';
import { newMessageId } from '../../shared/mail/message-id';

const senderContext = {
  companyDisplayName: 'ACME',
  inboundAddress: 'acme@inbound.recruiting.example',
  defaultFromAddress: 'no-reply@mail.recruiting.example',
};
const attachment = Buffer.from('%PDF-1.4\nbinary \u0000\u00ff bytes\n%%EOF\n', 'latin1');

async function candidateMail(subject: string) {
  const messageId = newMessageId('mail.recruiting.example');
  return buildCandidateMail(
    forDefaultProvider(
      {
        from: { address: 'jobs@acme.example' },
        to: ['jane@candidate.example'],
        cc: ['manager@acme.example'],
        subject,
        text: 'Hello Jane',
        html: '<p>Hello Jane</p>',
        attachments: [{ filename: 'offer.pdf', contentType: 'application/pdf', content: attachment }],
        messageIdDomain: 'mail.recruiting.example',
        messageId,
        headers: { 'X-Recruiting-Mail-Id': 'msg_1' },
      },
      senderContext,
    ),
  );
}

/** Listens on an ephemeral loopback port; returns the server and its base URL. */
async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

async function assertProviderError(
  promise: Promise<unknown>,
  expected: { code: DefaultProviderError['code']; temporary: boolean; providerCode: string },
) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isDefaultProviderError(error), `expected a DefaultProviderError, got ${String(error)}`);
    assert.equal(error.code, expected.code);
    assert.equal(error.temporary, expected.temporary);
    assert.equal(error.providerCode, expected.providerCode);
    return true;
  });
}

describe('SES default provider against aws-ses-v2-local', () => {
  let localSes: LocalSes;

  before(async () => {
    localSes = await startLocalSes({ port: 0 });
  });
  after(async () => {
    await localSes.stop();
  });
  /** The adapter as deployed in `region`, against the local SES. */
  const localProvider = (region: string) => createSesDefaultProvider({ endpoint: localSes.endpoint, region, credentials: LOCAL_SES_CREDENTIALS });

  it('listens on loopback with an ephemeral port and serves its store', async () => {
    assert.match(localSes.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(localSes.storeUrl, `${localSes.endpoint}/store`);
    const response = await fetch(localSes.storeUrl);
    assert.equal(response.status, 200);
  });

  it('sends the raw mail with SendRawEmail; the store shows our From, Reply-To, To, Cc, Subject, bodies and attachment', async () => {
    const provider = localProvider('us-east-1');
    const mail = await candidateMail('Your interview on Monday');
    const result = await provider.send({ raw: mail.raw, envelope: mail.envelope });

    assert.match(result.providerMessageId, /^ses-\d+$/);
    assert.equal(result.messageIdHeader, `<${result.providerMessageId}@email.amazonses.com>`);

    const stored = (await localSes.emails()).find((email) => email.messageId === result.providerMessageId);
    assert.ok(stored, 'the message is in the local SES store');
    assert.equal(stored.from, '"ACME Recruiting" <no-reply@mail.recruiting.example>');
    assert.deepEqual(stored.replyTo, ['"ACME Recruiting" <acme@inbound.recruiting.example>']);
    assert.deepEqual(stored.destination.to, ['jane@candidate.example']);
    assert.deepEqual(stored.destination.cc, ['manager@acme.example']);
    assert.equal(stored.subject, 'Your interview on Monday');
    assert.equal(stored.body.text?.trim(), 'Hello Jane');
    assert.equal(stored.body.html, '<p>Hello Jane</p>');
    assert.equal(stored.attachments.length, 1);
    assert.equal(stored.attachments[0].filename, 'offer.pdf');
    assert.equal(stored.attachments[0].contentType, 'application/pdf');
    assert.ok(Buffer.from(stored.attachments[0].content, 'base64').equals(attachment));
  });

  it('names the Message-ID SES writes after the region of the client', async () => {
    const provider = localProvider('eu-west-1');
    const mail = await candidateMail('Region check');
    const result = await provider.send(mail);
    assert.equal(result.messageIdHeader, `<${result.providerMessageId}@eu-west-1.amazonses.com>`);
  });

  it('clears its store', async () => {
    assert.ok((await localSes.emails()).length > 0);
    await localSes.clear();
    assert.deepEqual(await localSes.emails(), []);
  });

  it('refuses to start on a port that is taken', async () => {
    const port = Number(new URL(localSes.endpoint).port);
    await assert.rejects(startLocalSes({ port }), /could not listen/);
  });
});

describe('SES default provider request', () => {
  // aws-ses-v2-local keeps parsed fields only; this loopback endpoint records the request itself.
  it('sends our raw bytes unchanged, with the envelope as Source and Destinations', async () => {
    const requests: URLSearchParams[] = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        requests.push(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        response.writeHead(200, { 'content-type': 'text/xml' });
        response.end(
          '<SendRawEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><SendRawEmailResult>' +
            '<MessageId>0102018f-test-000000</MessageId></SendRawEmailResult>' +
            '<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></SendRawEmailResponse>',
        );
      });
    });
    const endpoint = await listen(server);
    try {
      const provider = createSesDefaultProvider({ endpoint, region: 'eu-central-1', credentials: LOCAL_SES_CREDENTIALS });
      const mail = await candidateMail('Recorded');
      const result = await provider.send(mail);
      assert.deepEqual(result, {
        providerMessageId: '0102018f-test-000000',
        messageIdHeader: '<0102018f-test-000000@eu-central-1.amazonses.com>',
      });

      assert.equal(requests.length, 1);
      const body = requests[0];
      assert.equal(body.get('Action'), 'SendRawEmail');
      assert.equal(body.get('Source'), 'no-reply@mail.recruiting.example');
      assert.deepEqual(
        [body.get('Destinations.member.1'), body.get('Destinations.member.2'), body.get('Destinations.member.3')],
        ['jane@candidate.example', 'manager@acme.example', null],
      );
      const sent = Buffer.from(body.get('RawMessage.Data') ?? '', 'base64');
      assert.ok(sent.equals(mail.raw), 'the raw message reaches SES byte for byte');
      const headers = sent.toString('latin1').split('\r\n\r\n')[0];
      assert.match(headers, new RegExp(`^Message-ID: ${mail.messageIdHeader.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
      assert.match(headers, /^X-Recruiting-Mail-Id: msg_1$/im);
    } finally {
      await close(server);
    }
  });
});

describe('SES default provider error translation', () => {
  it('a closed port is a temporary DEFAULT_PROVIDER_UNAVAILABLE', async () => {
    const server = createServer();
    const endpoint = await listen(server);
    await close(server);
    const provider = createSesDefaultProvider({ endpoint, region: 'us-east-1', credentials: LOCAL_SES_CREDENTIALS, maxAttempts: 1 });
    const mail = await candidateMail('Nobody listens');
    await assertProviderError(provider.send(mail), { code: 'DEFAULT_PROVIDER_UNAVAILABLE', temporary: true, providerCode: 'ECONNREFUSED' });
  });

  describe('SES error documents, served on loopback', () => {
    // Each request gets the answer queued for it: the SES query-protocol error document.
    const answers: { status: number; code: string; type: 'Sender' | 'Receiver'; message: string }[] = [];
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        const answer = answers.shift() ?? { status: 500, code: 'InternalFailure', type: 'Receiver', message: 'no answer queued' };
        response.writeHead(answer.status, { 'content-type': 'text/xml' });
        response.end(
          `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>${answer.type}</Type>` +
            `<Code>${answer.code}</Code><Message>${answer.message}</Message></Error>` +
            `<RequestId>0f0e0d0c-0000-4000-8000-000000000000</RequestId></ErrorResponse>`,
        );
      });
    });
    let endpoint = '';
    before(async () => {
      endpoint = await listen(server);
    });
    after(async () => {
      await close(server);
    });

    const permanent = { code: 'DEFAULT_PROVIDER_REJECTED', temporary: false } as const;
    const temporary = { code: 'DEFAULT_PROVIDER_UNAVAILABLE', temporary: true } as const;
    const cases: [string, (typeof answers)[number], { code: DefaultProviderError['code']; temporary: boolean }][] = [
      ['MessageRejected is permanent', { status: 400, code: 'MessageRejected', type: 'Sender', message: 'Email address is not verified.' }, permanent],
      ['MailFromDomainNotVerified is permanent', { status: 400, code: 'MailFromDomainNotVerifiedException', type: 'Sender', message: 'MAIL FROM domain not verified' }, permanent],
      ['a paused account is permanent', { status: 400, code: 'AccountSendingPausedException', type: 'Sender', message: 'Sending paused' }, permanent],
      ['access denied is permanent', { status: 403, code: 'AccessDenied', type: 'Sender', message: 'not authorized to perform ses:SendRawEmail' }, permanent],
      ['throttling (a 400) is temporary', { status: 400, code: 'Throttling', type: 'Sender', message: 'Maximum sending rate exceeded.' }, temporary],
      ['a 503 is temporary', { status: 503, code: 'ServiceUnavailable', type: 'Receiver', message: 'Service unavailable' }, temporary],
      ['an unknown 5xx code is temporary', { status: 500, code: 'SomethingNew', type: 'Receiver', message: 'Internal' }, temporary],
    ];
    for (const [what, answer, expected] of cases) {
      it(what, async () => {
        answers.push(answer);
        const provider = createSesDefaultProvider({ endpoint, region: 'us-east-1', credentials: LOCAL_SES_CREDENTIALS, maxAttempts: 1 });
        const mail = await candidateMail(what);
        await assertProviderError(provider.send(mail), { ...expected, providerCode: answer.code });
      });
    }
  });

  it('translates the SDK exception classes and passes its own errors through', () => {
    const rejected = translateSesError(new MessageRejected({ message: 'Email address is not verified.', $metadata: { httpStatusCode: 400 } }));
    assert.equal(rejected.code, 'DEFAULT_PROVIDER_REJECTED');
    assert.equal(rejected.temporary, false);
    assert.equal(rejected.providerCode, 'MessageRejected');
    assert.equal(rejected.httpStatus, 400);
    assert.match(rejected.message, /Email address is not verified/);

    const timeout = translateSesError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    assert.deepEqual([timeout.code, timeout.temporary, timeout.providerCode], ['DEFAULT_PROVIDER_UNAVAILABLE', true, 'ECONNRESET']);

    const unknown = translateSesError(new TypeError('boom'));
    assert.deepEqual([unknown.code, unknown.temporary], ['DEFAULT_PROVIDER_UNAVAILABLE', true]);
    assert.equal(translateSesError(rejected), rejected);
  });

  it('formats SES Message-IDs per region', () => {
    assert.equal(sesMessageIdHeader('0100018f-abc-000000', 'us-east-1'), '<0100018f-abc-000000@email.amazonses.com>');
    assert.equal(sesMessageIdHeader('0102018f-abc-000000', 'eu-west-1'), '<0102018f-abc-000000@eu-west-1.amazonses.com>');
  });
});
