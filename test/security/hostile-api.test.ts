/**
 * Issue 8, findings 2-5 end to end against the local backend:
 * - the tenant-crossing sweep over every operation of the OpenAPI document (company B's token
 *   against company A's ids: never A's data, never a 5xx; A's data unchanged afterwards);
 * - bad company and roles claims, and tokens the deployed authorizer would refuse: 401;
 * - client input that used to reach storage unchecked (an over-long Idempotency-Key, forged
 *   cursors, odd reply-to ids): 400, never 5xx;
 * - a mail with a 2 MB header line is filed with its other headers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../infra/local/local-jwt';
import { deliverTo, listAll, rawMail, setUpCompany, uniqueMessageId, type Company } from '../support/inbound-e2e';
import { startTestBackend, type TestBackend } from '../support/test-backend';

let api: TestBackend;
let companyA: Company;
let companyB: Company;
const A_CANDIDATE = 'cand-secret-a';
const A_MARKERS = ['ada.private@candidate-a.example', 'Subject only company A may read', 'Inbound note for company A only'];
let aSentMessageId: string;
let aInboundMessageId: string;

before(async () => {
  api = await startTestBackend();
  companyA = await setUpCompany(api, 'company-a', { address: 'jobs@a.example', candidates: { [A_CANDIDATE]: [A_MARKERS[0]] } });
  companyB = await setUpCompany(api, 'company-b', { address: 'jobs@b.example', candidates: { 'cand-b': ['bob@candidate-b.example'] } });
  const sent = await api.request('POST', `/v1/candidates/${A_CANDIDATE}/messages`, {
    token: companyA.token,
    body: { subject: A_MARKERS[1], text: 'Hello' },
    headers: { 'idempotency-key': 'a-key-1' },
  });
  assert.equal(sent.status, 202, sent.text);
  aSentMessageId = sent.json.id;
  const raw = rawMail(
    ['From: Stranger <stranger@elsewhere.example>', `To: ${companyA.inboundAddress}`, `Subject: ${A_MARKERS[2]}`, `Message-ID: <${uniqueMessageId('a-inbound')}>`],
    ['Who is this?'],
  );
  await deliverTo(api, companyA, raw);
  const unassigned = await listAll(api, companyA.token, '/v1/messages/unassigned');
  aInboundMessageId = unassigned.find((message) => message.subject === A_MARKERS[2]).id;
});

after(async () => {
  await api?.stop();
});

const key = (secret: string) => new TextEncoder().encode(secret);

/** A token signed with the backend's secret, with exactly these claims and times. */
async function rawToken(claims: Record<string, unknown>, times: { exp?: number | null; iat?: number; nbf?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(LOCAL_ISSUER).setAudience(LOCAL_AUDIENCE).setSubject('hostile');
  if (times.exp !== null) jwt.setExpirationTime(times.exp ?? now + 600);
  jwt.setIssuedAt(times.iat ?? now);
  if (times.nbf !== undefined) jwt.setNotBefore(times.nbf);
  return jwt.sign(key(api.jwtSecret));
}

/** A body each operation accepts, so that the sweep reaches the lookup and not just validation. */
function validBody(operationId: string): unknown {
  switch (operationId) {
    case 'putCandidate':
      return { emails: ['intruder@b.example'], name: 'Intruder' };
    case 'sendCandidateMessage':
      return { subject: 'From B', text: 'x' };
    case 'assignMessage':
      return { candidateId: 'cand-b' };
    case 'putEmailSettings':
      return { mode: 'default', displayName: 'B' };
    case 'testEmailSettings':
      return { smtp: { host: '127.0.0.1', port: 1, security: 'ssl', username: 'x@b.example', password: 'pw-b-123', fromAddress: 'jobs@b.example' } };
    case 'sendRedirectTest':
      return {};
    default:
      return undefined;
  }
}

function fillPath(path: string): string {
  return path
    .replace('{candidateId}', A_CANDIDATE)
    .replace('{messageId}', aInboundMessageId)
    .replace('{scope}', 'main');
}

describe('the tenant-crossing sweep over the OpenAPI document', () => {
  it("never shows company A's data to company B, never answers 5xx, and leaves A's data as it was", async () => {
    const doc = await api.request('GET', '/v1/openapi.json');
    assert.equal(doc.status, 200);
    const operations = Object.entries(doc.json.paths as Record<string, Record<string, { operationId: string }>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ path, method: method.toUpperCase(), operationId: op.operationId })),
    );
    assert.ok(operations.length >= 15, `the document lists the operations (${operations.length})`);
    // Before B makes a candidate of its own under the same id (ids are per company):
    const crossing = await api.request('GET', `/v1/candidates/${A_CANDIDATE}`, { token: companyB.token });
    assert.equal(crossing.status, 404, crossing.text.slice(0, 300));
    const conversation = await api.request('GET', `/v1/candidates/${A_CANDIDATE}/messages`, { token: companyB.token });
    assert.deepEqual(conversation.json?.items ?? [], [], conversation.text.slice(0, 300));

    for (const op of operations) {
      for (const messageId of op.path.includes('{messageId}') ? [aInboundMessageId, aSentMessageId] : [aInboundMessageId]) {
        const path = fillPath(op.path).replace(aInboundMessageId, messageId);
        const response = await api.request(op.method, path, { token: companyB.token, body: validBody(op.operationId) });
        const label = `${op.method} ${path} (${op.operationId})`;
        assert.ok(response.status < 500, `${label}: ${response.status} ${response.text.slice(0, 300)}`);
        for (const marker of A_MARKERS) assert.ok(!response.text.includes(marker), `${label} shows A's ${marker}`);
        assert.ok(!response.text.includes(companyA.inboundAddress), `${label} shows A's inbound address`);
        if (/\{messageId\}/.test(op.path)) assert.ok([403, 404].includes(response.status), `${label}: ${response.status} ${response.text.slice(0, 300)}`);
      }
    }

    const candidate = await api.request('GET', `/v1/candidates/${A_CANDIDATE}`, { token: companyA.token });
    assert.equal(candidate.status, 200, "A's candidate is still there");
    assert.deepEqual(candidate.json.emails, [A_MARKERS[0]]);
    const inbound = await api.request('GET', `/v1/messages/${aInboundMessageId}`, { token: companyA.token });
    assert.equal(inbound.status, 200);
    assert.equal(inbound.json.candidateId ?? null, null, "A's inbound message was not filed by B");
    const sent = await api.request('GET', `/v1/messages/${aSentMessageId}`, { token: companyA.token });
    assert.equal(sent.status, 200);
  });

  it('answers 401 for every operation that needs a token when the company claim is null', async () => {
    const doc = await api.request('GET', '/v1/openapi.json');
    const token = await rawToken({ company_id: null, roles: ['admin'] });
    for (const [path, methods] of Object.entries(doc.json.paths as Record<string, Record<string, { security?: unknown[] }>>)) {
      for (const [method, op] of Object.entries(methods)) {
        if (!op.security || op.security.length === 0) continue;
        const response = await api.request(method.toUpperCase(), fillPath(path), { token, body: validBody((op as { operationId: string }).operationId) });
        assert.equal(response.status, 401, `${method} ${path}: ${response.text.slice(0, 200)}`);
      }
    }
  });
});

/**
 * Why a 401 was given: a claim that is not a string is refused by the authorizer itself (API
 * Gateway's shape, the reason in `WWW-Authenticate`), a string outside the rule by the function
 * (the API's error shape).
 */
function unauthorizedReason(response: { json: any; headers: Headers }): string {
  if (response.json?.error) {
    assert.equal(response.json.error.code, 'UNAUTHORIZED');
    return String(response.json.error.message);
  }
  assert.deepEqual(response.json, { message: 'Unauthorized' });
  return /error_description="([^"]*)"/.exec(response.headers.get('www-authenticate') ?? '')?.[1] ?? '';
}

describe('claims and tokens', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const badCompanies: Record<string, unknown> = {
    null: null,
    'the string "null"': 'null',
    'an array': ['company-a'],
    'a flattened array': '[company-a]',
    'an object': { id: 'company-a' },
    'a number': 42,
    'leading whitespace': ' company-a',
    'trailing whitespace': 'company-a ',
    'a #': 'company-a#CANDIDATE',
    'a /': 'company-a/x',
    'a line break': 'company-a\nx',
    'a control character': 'company-a\u0000',
    '5,000 characters': 'c'.repeat(5000),
    'empty': '',
  };
  for (const [label, company] of Object.entries(badCompanies)) {
    it(`answers 401 with a clear message for a company claim that is ${label}`, async () => {
      const response = await api.request('GET', '/v1/email-settings/main', { token: await rawToken({ company_id: company, roles: ['admin'] }) });
      assert.equal(response.status, 401, response.text.slice(0, 300));
      assert.match(unauthorizedReason(response), /company_id/);
    });
  }

  it('uses the company claim exactly as issued: another case is another company', async () => {
    const upper = await api.request('GET', '/v1/email-settings/main', { token: await rawToken({ company_id: 'COMPANY-A', roles: ['admin'] }) });
    assert.equal(upper.status, 200, upper.text);
    assert.notEqual(upper.json.inboundAddress, companyA.inboundAddress);
  });

  it('reads roles by one rule: a list, or API Gateway\'s flattened "[a b]", or one name; other shapes 401', async () => {
    const asAdmin = async (roles: unknown) =>
      (await api.request('PUT', '/v1/email-settings/main', { token: await rawToken({ company_id: 'roles-co', roles }), body: { mode: 'default' } })).status;
    assert.equal(await asAdmin(['admin']), 200);
    assert.equal(await asAdmin('admin'), 200);
    assert.equal(await asAdmin('[recruiter admin]'), 200);
    assert.equal(await asAdmin(['Admin']), 403);
    assert.equal(await asAdmin('admin,recruiter'), 403);
    assert.equal(await asAdmin(['recruiter']), 403);
    assert.equal(await asAdmin({ admin: true }), 401);
    assert.equal(await asAdmin(7), 401);
  });

  it('refuses tokens without exp, issued in the future, or not yet valid; accepts a small clock skew', async () => {
    const claims = { company_id: 'company-b', roles: ['admin'] };
    const status = async (times: Parameters<typeof rawToken>[1]) => (await api.request('GET', '/v1/email-settings/main', { token: await rawToken(claims, times) })).status;
    assert.equal(await status({ exp: null }), 401, 'no exp');
    assert.equal(await status({ iat: now() + 3600 }), 401, 'iat an hour ahead');
    assert.equal(await status({ nbf: now() + 3600 }), 401, 'nbf an hour ahead');
    assert.equal(await status({ exp: now() - 3600 }), 401, 'expired an hour ago');
    assert.equal(await status({ iat: now() + 5 }), 200, 'iat 5 s ahead (clock skew)');
    assert.equal(await status({ exp: now() - 5 }), 200, 'expired 5 s ago (clock skew)');
  });
});

describe('client input that becomes a storage key', () => {
  it('answers 400, not 500, for an over-long or non-ASCII Idempotency-Key', async () => {
    for (const value of ['k'.repeat(129), 'k'.repeat(5000), 'clé-ü']) {
      const response = await api.request('POST', '/v1/candidates/cand-b/messages', {
        token: companyB.token,
        body: { subject: 'x', text: 'y' },
        headers: { 'idempotency-key': value },
      });
      assert.equal(response.status, 400, `${value.slice(0, 20)}: ${response.text.slice(0, 300)}`);
      assert.equal(response.json.error.code, 'VALIDATION_FAILED');
      assert.ok(response.json.error.details.some((issue: { path: string }) => issue.path === 'header.idempotency-key'), response.text);
    }
  });

  it('answers 400 for forged cursors: an extra key attribute, another list, another shape', async () => {
    for (let i = 0; i < 3; i++) {
      await api.request('POST', '/v1/candidates/cand-b/messages', { token: companyB.token, body: { subject: `page ${i}`, text: 'y' } });
    }
    const page = await api.request('GET', '/v1/candidates/cand-b/messages?limit=1', { token: companyB.token });
    assert.equal(page.status, 200, page.text);
    assert.ok(page.json.nextCursor, 'a real cursor');
    const real = JSON.parse(Buffer.from(page.json.nextCursor, 'base64url').toString('utf8'));
    const next = await api.request('GET', `/v1/candidates/cand-b/messages?limit=1&cursor=${page.json.nextCursor}`, { token: companyB.token });
    assert.equal(next.status, 200, 'the real cursor works');
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const forged = {
      'an extra key attribute': encode({ ...real, extra: 'x' }),
      'a huge sort key': encode({ ...real, gsi1sk: `${'9'.repeat(3000)}#x` }),
      'a number as key': encode({ ...real, pk: 5 }),
      "A's conversation": encode({ ...real, gsi1pk: `COMPANY#company-a#CANDIDATE#${A_CANDIDATE}` }),
      'a mismatched message': encode({ ...real, pk: 'MESSAGE#msg_other' }),
      'an array': encode([real]),
      'not base64 JSON': 'not-a-cursor',
    };
    for (const [label, cursor] of Object.entries(forged)) {
      const response = await api.request('GET', `/v1/candidates/cand-b/messages?limit=1&cursor=${encodeURIComponent(cursor)}`, { token: companyB.token });
      assert.equal(response.status, 400, `${label}: ${response.text.slice(0, 300)}`);
    }
  });

  it('answers 400 for a reply-to id that cannot be one of ours', async () => {
    for (const inReplyTo of ['€'.repeat(990), 'ü'.repeat(990), 'a#b']) {
      const response = await api.request('POST', '/v1/candidates/cand-b/messages', { token: companyB.token, body: { subject: 'x', text: 'y', inReplyTo } });
      assert.equal(response.status, 400, response.text.slice(0, 300));
    }
  });
});

describe('no input found by the property tests answers 5xx', () => {
  const headerSafe = fc.string({ unit: 'binary-ascii', maxLength: 300 }).map((value) => value.replace(/[\u0000-\u001f\u007f]/g, 'x'));

  it('any cursor, limit, path id or Idempotency-Key is answered below 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 300 }), fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value)).toString('base64url'))),
        fc.string({ maxLength: 12 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 400 }),
        headerSafe,
        async (cursor, limit, id, idempotencyKey) => {
          const token = companyB.token;
          const requests: Array<[string, string, Record<string, unknown>]> = [
            ['GET', `/v1/messages/unassigned?cursor=${encodeURIComponent(cursor)}&limit=${encodeURIComponent(limit)}`, {}],
            ['GET', `/v1/candidates/cand-b/messages?cursor=${encodeURIComponent(cursor)}`, {}],
            ['GET', `/v1/messages/${encodeURIComponent(id)}`, {}],
            ['PUT', `/v1/candidates/${encodeURIComponent(id)}`, { body: { emails: ['x@b.example'] } }],
            ['GET', `/v1/email-settings/${encodeURIComponent(id)}`, {}],
            ['POST', '/v1/candidates/cand-b/messages', { body: { subject: 's', text: 't', inReplyTo: id }, headers: { 'idempotency-key': idempotencyKey } }],
          ];
          for (const [method, path, options] of requests) {
            const response = await api.request(method, path, { token, ...options });
            assert.ok(response.status < 500, `${method} ${path}: ${response.status} ${response.text.slice(0, 200)}`);
          }
        },
      ),
      { numRuns: 40, verbose: 1, includeErrorInReport: true },
    );
  });
});

describe('a mail with a 2 MB header line', () => {
  it('is filed with its other headers (from, subject, Message-ID), the oversized field left out', async () => {
    const messageId = uniqueMessageId('huge-header');
    const raw = rawMail(
      [
        'From: Candidate Carla <carla@candidate.example>',
        `To: ${companyB.inboundAddress}`,
        `X-Padding: ${'p'.repeat(2 * 1024 * 1024)}`,
        'Subject: My application with a huge header',
        `Message-ID: <${messageId}>`,
      ],
      ['Please find my application.'],
    );
    await deliverTo(api, companyB, raw);
    const unassigned = await listAll(api, companyB.token, '/v1/messages/unassigned');
    const filed = unassigned.find((message) => message.subject === 'My application with a huge header');
    assert.ok(filed, `filed with its subject: ${JSON.stringify(unassigned.map((message) => message.subject))}`);
    assert.equal(filed.from.address, 'carla@candidate.example');
    assert.equal(filed.messageIdHeader, `<${messageId}>`, 'the Message-ID after the oversized field is kept');
    // The field itself is left out, and the message says so (the raw mail has it).
    assert.deepEqual(
      filed.omissions.filter((line: string) => line.includes('X-Padding')),
      [`not parsed: header field "X-Padding" (${2 * 1024 * 1024 + 'X-Padding: '.length + 2} bytes) dropped: larger than 65536 bytes; the other headers are kept`],
    );
    const message = await api.request('GET', `/v1/messages/${filed.id}`, { token: companyB.token });
    assert.equal(message.json.text.trim(), 'Please find my application.');
    assert.doesNotMatch(message.text, /pppppppp/, 'nothing of the field is in the message');
    assert.match(api.output(), /X-Padding/, 'the dropped field is logged as a defect');
  });
});
