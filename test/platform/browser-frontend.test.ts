/**
 * A browser frontend, for real: headless Chromium (Debian's) on a page served from an origin in
 * CORS_ALLOWED_ORIGINS calls the local API with a token, announces a 5 MB attachment
 * (`POST /v1/attachments`), PUTs the file straight to the presigned URL on the local S3, sends a
 * message naming it and sees it delivered; the company's server receives the file byte for
 * byte. A page on an origin that is not allowed can neither call the API nor upload: the
 * browser itself refuses, as it would against API Gateway and the deployed bucket.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import type { Page } from 'playwright-core';
import { type HeadlessChromium, launchHeadlessChromium, type PageServer, servePage } from '../support/headless-chromium';
import { saveCompanySmtpStandIn, startTestBackend, type TestBackend } from '../support/test-backend';

const FILE_SIZE = 5 * 1024 * 1024;

/** The file's bytes, computed alike in the page and here: a pattern that no offset repeats. */
function fileBytes(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7919 + (i >>> 11)) & 255;
  return bytes;
}

/**
 * The frontend: what a page of the ATS does with fetch, nothing more. Each step reports its
 * status, or the error the browser raised (a CORS refusal is a TypeError: "Failed to fetch").
 */
const FRONTEND_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>ATS</title></head><body>
<script>
const attempt = async (request) => {
  try {
    const response = await request();
    const text = await response.text();
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: response.status, json, text };
  } catch (error) {
    return { error: String(error) };
  }
};
function fileBytes(size) {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7919 + (i >>> 11)) & 255;
  return bytes;
}
window.frontend = {
  announce: ({ api, token, file }) =>
    attempt(() => fetch(api + '/v1/attachments', {
      method: 'POST',
      headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
      body: JSON.stringify(file),
    })),
  // As the API says: PUT the bytes to uploadUrl with its headers (the browser sets Content-Length itself).
  upload: ({ uploadUrl, headers, size }) =>
    attempt(() => fetch(uploadUrl, { method: 'PUT', headers, body: new Blob([fileBytes(size)], { type: headers['Content-Type'] }) })),
  send: ({ api, token, candidateId, idempotencyKey, message }) =>
    attempt(() => fetch(api + '/v1/candidates/' + candidateId + '/messages', {
      method: 'POST',
      headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(message),
    })),
  read: ({ api, token, messageId }) =>
    attempt(() => fetch(api + '/v1/messages/' + messageId, { headers: { authorization: 'Bearer ' + token } })),
};
</script></body></html>`;

interface Attempt {
  status?: number;
  json?: any;
  text?: string;
  error?: string;
}

let allowedSite: PageServer;
let otherSite: PageServer;
let api: TestBackend;
let browser: HeadlessChromium;
let token: string;

before(async () => {
  allowedSite = await servePage(FRONTEND_PAGE);
  otherSite = await servePage(FRONTEND_PAGE);
  // The backend allows the first page's origin only, for the API and for the bucket alike.
  api = await startTestBackend({ CORS_ALLOWED_ORIGINS: allowedSite.origin });
  browser = await launchHeadlessChromium();
  token = await api.token('acme', ['admin', 'recruiter']);
  await saveCompanySmtpStandIn(api, token);
  const candidate = await api.request('PUT', '/v1/candidates/cand-1', { token, body: { emails: ['ann@example.com'], name: 'Ann' } });
  assert.ok([200, 201].includes(candidate.status), candidate.text);
});

after(async () => {
  await browser?.close();
  await api?.stop();
  await allowedSite?.stop();
  await otherSite?.stop();
});

async function openPage(site: PageServer): Promise<Page> {
  const page = await browser.context.newPage();
  const loaded = await page.goto(`${site.origin}/`);
  assert.equal(loaded?.status(), 200);
  return page;
}

const call = (page: Page, step: 'announce' | 'upload' | 'send' | 'read', args: Record<string, unknown>): Promise<Attempt> =>
  page.evaluate(([name, input]) => (globalThis as any).frontend[name](input), [step, args] as const);

describe('a browser frontend on an allowed origin', () => {
  it('announces a 5 MB file, uploads it to the presigned URL, sends a message naming it, and sees it delivered', async () => {
    const page = await openPage(allowedSite);
    try {
      const file = { filename: 'portfolio.pdf', contentType: 'application/pdf', size: FILE_SIZE };
      const announced = await call(page, 'announce', { api: api.apiUrl, token, file });
      assert.equal(announced.status, 201, JSON.stringify(announced));
      const { attachmentId, uploadUrl, headers } = announced.json;
      assert.ok(uploadUrl.startsWith(`${process.env.AWS_ENDPOINT_URL_S3}/`), uploadUrl);

      const uploaded = await call(page, 'upload', { uploadUrl, headers, size: FILE_SIZE });
      assert.equal(uploaded.status, 200, JSON.stringify(uploaded));

      const queued = await call(page, 'send', {
        api: api.apiUrl,
        token,
        candidateId: 'cand-1',
        idempotencyKey: 'browser-upload-1',
        message: { subject: 'Your portfolio', text: 'Hi Ann, your portfolio is attached.', attachments: [{ attachmentId }] },
      });
      assert.equal(queued.status, 202, JSON.stringify(queued));

      // The frontend polls the message until delivery has ended.
      let message: Attempt = {};
      for (const endsAt = Date.now() + 60_000; Date.now() < endsAt; await new Promise((resolve) => setTimeout(resolve, 250))) {
        message = await call(page, 'read', { api: api.apiUrl, token, messageId: queued.json.id });
        assert.equal(message.status, 200, JSON.stringify(message));
        if (message.json.status === 'sent' || message.json.status === 'failed') break;
      }
      assert.equal(message.json?.status, 'sent', JSON.stringify(message.json));
      assert.equal(message.json.provider, 'smtp');

      const receivedDir = api.backend.companySmtp.receivedDir;
      const received = await Promise.all(readdirSync(receivedDir).map((name) => simpleParser(readFileSync(join(receivedDir, name)))));
      const mail = received.find((candidate) => candidate.subject === 'Your portfolio');
      assert.ok(mail, 'the company server received the mail');
      assert.deepEqual(mail.attachments.map((attachment) => [attachment.filename, attachment.contentType, attachment.size]), [
        ['portfolio.pdf', 'application/pdf', FILE_SIZE],
      ]);
      assert.ok(mail.attachments[0].content.equals(fileBytes(FILE_SIZE)), 'the file the browser uploaded arrived byte for byte');
    } finally {
      await page.close();
    }
  });
});

describe('a page on an origin that is not allowed', () => {
  it('cannot call the API: the browser refuses the answer', async () => {
    const page = await openPage(otherSite);
    try {
      const announced = await call(page, 'announce', { api: api.apiUrl, token, file: { filename: 'a.pdf', contentType: 'application/pdf', size: 100 } });
      assert.equal(announced.status, undefined, JSON.stringify(announced));
      assert.match(announced.error ?? '', /Failed to fetch/);
    } finally {
      await page.close();
    }
  });

  it('cannot upload to a presigned URL either, even a valid one: nothing is stored', async () => {
    // A valid upload URL, obtained outside the browser: the bucket's CORS rule alone must stop the page.
    const announced = await api.request('POST', '/v1/attachments', { token, body: { filename: 'b.pdf', contentType: 'application/pdf', size: FILE_SIZE } });
    assert.equal(announced.status, 201, announced.text);
    const page = await openPage(otherSite);
    try {
      const uploaded = await call(page, 'upload', { uploadUrl: announced.json.uploadUrl, headers: announced.json.headers, size: FILE_SIZE });
      assert.equal(uploaded.status, undefined, JSON.stringify(uploaded));
      assert.match(uploaded.error ?? '', /Failed to fetch/);
    } finally {
      await page.close();
    }
    const refused = await api.request('POST', '/v1/candidates/cand-1/messages', {
      token,
      body: { subject: 'Never uploaded', text: '…', attachments: [{ attachmentId: announced.json.attachmentId }] },
    });
    assert.equal(refused.status, 400, refused.text);
    assert.match(refused.json.error.details[0].message, /never uploaded/);
  });
});

describe('the bucket\'s CORS rule, asked directly (the local S3 as the deployed bucket)', () => {
  const preflight = (origin: string, method: string, requestHeaders: string) =>
    fetch(`${process.env.AWS_ENDPOINT_URL_S3}/${process.env.MAIL_BUCKET}/uploads/acme/att_x`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': requestHeaders },
    });

  it('allows a PUT with content-type from the allowed origin', async () => {
    const answer = await preflight(allowedSite.origin, 'PUT', 'content-type');
    assert.equal(answer.status, 200, await answer.text());
    assert.equal(answer.headers.get('access-control-allow-methods'), 'PUT');
    assert.equal(answer.headers.get('access-control-allow-headers'), 'content-type');
  });

  it('allows nothing else: another method, another header, another origin', async () => {
    for (const [origin, method, headers] of [
      [allowedSite.origin, 'GET', ''],
      [allowedSite.origin, 'DELETE', ''],
      [allowedSite.origin, 'PUT', 'content-type,authorization'],
      [allowedSite.origin, 'PUT', 'x-amz-acl'],
      [otherSite.origin, 'PUT', 'content-type'],
    ]) {
      const answer = await preflight(origin, method, headers);
      assert.equal(answer.status, 403, `${origin} ${method} ${headers}: ${answer.status}`);
      assert.equal(answer.headers.get('access-control-allow-origin'), null);
    }
  });
});
