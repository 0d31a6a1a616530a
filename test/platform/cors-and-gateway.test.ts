/**
 * A browser frontend on its own origin, against the local server playing API Gateway: the
 * preflight (no token needed), a real cross-origin request from an allowed and from a refused
 * origin, and the gateway's own answers (throttling) in API Gateway's shape.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CORS_POLICY } from '../../shared/http/cors-policy';
import { startTestBackend, type TestBackend } from '../support/test-backend';

const FRONTEND = 'https://app.acme-recruiting.test';
const OTHER_SITE = 'https://evil.example';

let api: TestBackend;

before(async () => {
  // Throttling: a burst of 30 and no refill, so that the limit does not depend on timing.
  api = await startTestBackend({ CORS_ALLOWED_ORIGINS: `${FRONTEND},http://localhost:5173`, API_THROTTLE_RATE_LIMIT: '0', API_THROTTLE_BURST_LIMIT: '30' });
});

after(async () => {
  await api?.stop();
});

const preflight = (origin: string, path = '/v1/candidates/cand-1/messages') =>
  api.request('OPTIONS', path, {
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,idempotency-key' },
  });

describe('CORS (CORS_ALLOWED_ORIGINS, as corsPreflight on AWS)', () => {
  it('answers a preflight from an allowed origin with 204 and the policy, without a token', async () => {
    const answer = await preflight(FRONTEND);
    assert.equal(answer.status, 204, answer.text);
    assert.equal(answer.text, '');
    assert.equal(answer.headers.get('access-control-allow-origin'), FRONTEND);
    assert.deepEqual(answer.headers.get('access-control-allow-headers')?.split(','), ['authorization', 'content-type', 'idempotency-key']);
    assert.deepEqual(answer.headers.get('access-control-allow-methods')?.split(','), [...CORS_POLICY.allowMethods]);
    assert.equal(answer.headers.get('access-control-max-age'), String(CORS_POLICY.maxAgeSeconds));
  });

  it('gives a refused origin no CORS headers, so the browser blocks the call', async () => {
    const answer = await preflight(OTHER_SITE);
    assert.equal(answer.status, 204);
    assert.equal(answer.headers.get('access-control-allow-origin'), null);
    assert.equal(answer.headers.get('access-control-allow-methods'), null);
  });

  it('adds the origin and the exposed Retry-After to real answers for an allowed origin only', async () => {
    const token = await api.token('acme', ['admin', 'recruiter']);
    const allowed = await api.request('GET', '/v1/email-settings/main', { token, headers: { origin: FRONTEND } });
    assert.equal(allowed.status, 200, allowed.text);
    assert.equal(allowed.headers.get('access-control-allow-origin'), FRONTEND);
    assert.equal(allowed.headers.get('access-control-expose-headers'), 'retry-after');

    const refused = await api.request('GET', '/v1/email-settings/main', { token, headers: { origin: OTHER_SITE } });
    assert.equal(refused.status, 200, 'CORS is the browser\'s check: the server still answers');
    assert.equal(refused.headers.get('access-control-allow-origin'), null);
  });

  it('puts the CORS headers on the gateway\'s own answers too (a 401 must be readable by the frontend)', async () => {
    const unauthorized = await api.request('GET', '/v1/email-settings/main', { headers: { origin: FRONTEND } });
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.headers.get('access-control-allow-origin'), FRONTEND);
  });
});

describe('the gateway\'s own answers', () => {
  it('throttles beyond the stage limit with 429 {"message":"Too Many Requests"}', async () => {
    const answers = await Promise.all(Array.from({ length: 45 }, () => api.request('GET', '/v1/health')));
    const throttled = answers.filter((answer) => answer.status === 429);
    assert.ok(throttled.length > 0, `no 429 among ${answers.map((answer) => answer.status).join(',')}`);
    assert.deepEqual(throttled[0].json, { message: 'Too Many Requests' });
  });
});
