/**
 * Large attachments end to end: `POST /v1/attachments`, the file PUT to the presigned URL on the
 * local S3 (s3rver) as a browser or curl would, and a message naming the `attachmentId`
 * delivered through the company mail server stand-in, byte for byte. Uploads that never
 * arrived or differ from their announcement are refused when the message is sent.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { saveCompanySmtpStandIn, startTestBackend, type TestBackend, waitForDelivery } from '../support/test-backend';

let api: TestBackend;
let token: string;

before(async () => {
  api = await startTestBackend();
  token = await api.token('acme', ['admin', 'recruiter']);
  await saveCompanySmtpStandIn(api, token);
  const candidate = await api.request('PUT', '/v1/candidates/cand-1', { token, body: { emails: ['ann@example.com'], name: 'Ann' } });
  assert.ok([200, 201].includes(candidate.status), candidate.text);
});

after(async () => {
  await api?.stop();
});

async function announce(file: { filename: string; contentType: string; size: number }, as = token) {
  const answer = await api.request('POST', '/v1/attachments', { token: as, body: file });
  assert.equal(answer.status, 201, answer.text);
  return answer.json as { attachmentId: string; uploadUrl: string; headers: Record<string, string>; expiresAt: string };
}

const put = (url: string, headers: Record<string, string>, body: Buffer) => fetch(url, { method: 'PUT', headers, body });

const send = (attachments: unknown[], subject: string) =>
  api.request('POST', '/v1/candidates/cand-1/messages', { token, body: { subject, text: 'Please find the documents attached.', attachments } });

describe('POST /v1/attachments and a message that names the upload', () => {
  it('answers a presigned PUT on the local S3 bound to the announced type and size', async () => {
    const upload = await announce({ filename: 'cv.pdf', contentType: 'application/pdf', size: 1234 });
    assert.match(upload.attachmentId, /^att_/);
    assert.ok(upload.uploadUrl.startsWith(`${process.env.AWS_ENDPOINT_URL_S3}/`), upload.uploadUrl);
    assert.match(new URL(upload.uploadUrl).searchParams.get('X-Amz-SignedHeaders') ?? '', /content-length;content-type/);
    assert.deepEqual(upload.headers, { 'Content-Type': 'application/pdf', 'Content-Length': '1234' });
    assert.ok(Date.parse(upload.expiresAt) > Date.now());
  });

  it('delivers an uploaded 6 MB file (more than Lambda takes in a JSON body) to the company server, byte for byte', async () => {
    const file = randomBytes(6 * 1024 * 1024);
    const upload = await announce({ filename: 'offer pack.pdf', contentType: 'application/pdf', size: file.length });
    const stored = await put(upload.uploadUrl, upload.headers, file);
    assert.equal(stored.status, 200, await stored.text());

    const inline = { filename: 'note.txt', contentType: 'text/plain', contentBase64: Buffer.from('small one, inline').toString('base64') };
    const queued = await send([{ attachmentId: upload.attachmentId }, inline], 'Your offer');
    assert.equal(queued.status, 202, queued.text);
    const delivered = await waitForDelivery(api, token, queued.json.id, 30_000);
    assert.equal(delivered.status, 'sent', JSON.stringify(delivered));
    assert.equal(delivered.provider, 'smtp');

    const receivedDir = api.backend.companySmtp.receivedDir;
    const raws = readdirSync(receivedDir).map((name) => readFileSync(join(receivedDir, name)));
    const parsed = await Promise.all(raws.map((raw) => simpleParser(raw)));
    const mail = parsed.find((candidate) => candidate.subject === 'Your offer');
    assert.ok(mail, 'the company server received the mail');
    assert.deepEqual(mail.attachments.map((attachment) => [attachment.filename, attachment.contentType]), [
      ['offer pack.pdf', 'application/pdf'],
      ['note.txt', 'text/plain'],
    ]);
    assert.ok(mail.attachments[0].content.equals(file), 'the uploaded file arrived byte for byte');
  });

  it('refuses, when the message is sent, an upload that never arrived', async () => {
    const upload = await announce({ filename: 'cv.pdf', contentType: 'application/pdf', size: 10 });
    const refused = await send([{ attachmentId: upload.attachmentId }], 'Missing');
    assert.equal(refused.status, 400, refused.text);
    assert.equal(refused.json.error.code, 'VALIDATION_FAILED');
    assert.deepEqual(refused.json.error.details.map((issue: { path: string }) => issue.path), ['attachments.0.attachmentId']);
    assert.match(refused.json.error.details[0].message, /never uploaded/);
  });

  it('refuses an upload whose size or type differs from the announcement (at the PUT where S3 checks the signature, else at the send)', async () => {
    const announcedSize = await announce({ filename: 'a.pdf', contentType: 'application/pdf', size: 100 });
    const sizeUpload = await put(announcedSize.uploadUrl, { 'Content-Type': 'application/pdf' }, Buffer.alloc(150, 1));
    const announcedType = await announce({ filename: 'b.pdf', contentType: 'application/pdf', size: 100 });
    const typeUpload = await put(announcedType.uploadUrl, { 'Content-Type': 'application/zip', 'Content-Length': '100' }, Buffer.alloc(100, 1));
    const refused = await send([{ attachmentId: announcedSize.attachmentId }, { attachmentId: announcedType.attachmentId }], 'Mismatch');
    assert.equal(refused.status, 400, refused.text);
    const messages = refused.json.error.details.map((issue: { path: string; message: string }) => `${issue.path}: ${issue.message}`);
    assert.equal(messages.length, 2, messages.join('\n'));
    // Whichever check caught it, the message says what is wrong.
    assert.match(messages[0], sizeUpload.ok ? /150 bytes, but 100 were announced/ : /never uploaded/);
    assert.match(messages[1], typeUpload.ok ? /application\/zip/ : /never uploaded/);
  });

  it('does not let another company send with this company\'s attachmentId', async () => {
    const file = Buffer.from('confidential');
    const upload = await announce({ filename: 'c.txt', contentType: 'text/plain', size: file.length });
    assert.equal((await put(upload.uploadUrl, upload.headers, file)).status, 200);
    const globex = await api.token('globex', ['recruiter']);
    await api.request('PUT', '/v1/candidates/cand-1', { token: globex, body: { emails: ['zed@example.com'] } });
    const refused = await api.request('POST', '/v1/candidates/cand-1/messages', {
      token: globex,
      body: { subject: 'x', text: 'x', attachments: [{ attachmentId: upload.attachmentId }] },
    });
    assert.equal(refused.status, 400, refused.text);
    assert.match(refused.json.error.details[0].message, /not an attachment announced by this company/);
  });

  it('refuses to announce more than 15 MB', async () => {
    const answer = await api.request('POST', '/v1/attachments', { token, body: { filename: 'huge.zip', contentType: 'application/zip', size: 15 * 1024 * 1024 + 1 } });
    assert.equal(answer.status, 400, answer.text);
    assert.deepEqual(answer.json.error.details.map((issue: { path: string }) => issue.path), ['size']);
  });
});
