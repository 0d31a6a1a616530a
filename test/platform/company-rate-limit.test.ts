/**
 * Each company's own API rate (shared/http/company-rate-limit.ts): the token bucket alone on a
 * fake clock, then through the real local HTTP API, where one company floods and another's
 * requests still pass.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError } from '../../shared/errors';
import { createCompanyRateLimiter } from '../../shared/http/company-rate-limit';
import { startTestBackend, type TestBackend } from '../support/test-backend';

/** The error `admit` threw, or null when it let the request in. */
function refusal(admit: () => void): AppError | null {
  try {
    admit();
    return null;
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    return error;
  }
}

describe('the per-company token bucket', () => {
  it('lets a burst through, then refuses with RATE_LIMITED and when to come back', () => {
    let now = 0;
    const limiter = createCompanyRateLimiter({ ratePerSecond: 2, burst: 5 }, () => now);
    for (let i = 0; i < 5; i++) assert.equal(refusal(() => limiter.admit('globex')), null, `request ${i + 1} of the burst`);
    const refused = refusal(() => limiter.admit('globex'));
    assert.equal(refused?.code, 'RATE_LIMITED');
    assert.equal(refused?.status, 429);
    assert.deepEqual(refused?.details, { retryAfterSeconds: 1 });
    assert.match(refused!.message, /at most 2 a second \(bursts of 5\)/);
  });

  it('refills at the steady rate, never above the burst', () => {
    let now = 0;
    const limiter = createCompanyRateLimiter({ ratePerSecond: 2, burst: 3 }, () => now);
    for (let i = 0; i < 3; i++) limiter.admit('globex');
    assert.ok(refusal(() => limiter.admit('globex')));
    now += 500; // one token back
    assert.equal(refusal(() => limiter.admit('globex')), null);
    assert.ok(refusal(() => limiter.admit('globex')));
    now += 60_000; // a long pause fills the bucket to the burst, not more
    for (let i = 0; i < 3; i++) assert.equal(refusal(() => limiter.admit('globex')), null);
    assert.ok(refusal(() => limiter.admit('globex')));
  });

  it('says how long until a request fits when the rate is slow', () => {
    let now = 0;
    const limiter = createCompanyRateLimiter({ ratePerSecond: 1, burst: 1 }, () => now);
    limiter.admit('globex');
    now += 100;
    assert.deepEqual(refusal(() => limiter.admit('globex'))?.details, { retryAfterSeconds: 1 });
    const slow = createCompanyRateLimiter({ ratePerSecond: 1, burst: 1 }, () => now);
    slow.admit('globex');
    // Refused requests take nothing: the wait does not grow with the refusals.
    for (let i = 0; i < 10; i++) assert.deepEqual(refusal(() => slow.admit('globex'))?.details, { retryAfterSeconds: 1 });
  });

  it('keeps each company to its own bucket', () => {
    const limiter = createCompanyRateLimiter({ ratePerSecond: 1, burst: 2 }, () => 0);
    limiter.admit('globex');
    limiter.admit('globex');
    assert.ok(refusal(() => limiter.admit('globex')));
    assert.equal(refusal(() => limiter.admit('acme')), null);
    assert.equal(refusal(() => limiter.admit('Globex')), null, 'company ids are exact: another case is another company');
  });

  it('never lets a drained company in by forgetting it, however many companies it tracks', () => {
    let now = 0;
    const limiter = createCompanyRateLimiter({ ratePerSecond: 1, burst: 1 }, () => now);
    limiter.admit('flooder');
    for (let i = 0; i < 10_000; i++) limiter.admit(`company-${i}`);
    // Every bucket is drained; half a second later none has a token yet, so none is forgotten.
    now += 500;
    limiter.admit('one-more');
    assert.ok(refusal(() => limiter.admit('flooder')), 'a drained bucket is not forgotten');
  });
});

describe('through the local HTTP API: one company floods, another still gets through', () => {
  let api: TestBackend;
  before(async () => {
    // The gateway unthrottled (the stage backstop is not what is tested here); each company
    // 1 request a second with bursts of 10.
    api = await startTestBackend({ COMPANY_API_RATE_LIMIT: '1', COMPANY_API_BURST_LIMIT: '10' });
  });
  after(async () => {
    await api?.stop();
  });

  it('answers the flood 429 RATE_LIMITED with Retry-After, and the other company 200 meanwhile', async () => {
    const flooder = await api.token('globex', ['recruiter']);
    const calm = await api.token('acme', ['recruiter']);
    const flood = Promise.all(Array.from({ length: 80 }, () => api.request('GET', '/v1/candidates/cand-1', { token: flooder })));
    const others = Promise.all(Array.from({ length: 8 }, () => api.request('GET', '/v1/candidates/cand-1', { token: calm })));
    const [floodAnswers, otherAnswers] = await Promise.all([flood, others]);

    const limited = floodAnswers.filter((answer) => answer.status === 429);
    assert.ok(limited.length >= 40, `the flood got ${floodAnswers.map((answer) => answer.status).join(',')}`);
    assert.ok(floodAnswers.every((answer) => answer.status === 429 || answer.status === 404), 'the rest were served (no such candidate)');
    for (const answer of limited) {
      assert.equal(answer.json.error.code, 'RATE_LIMITED');
      assert.ok(Number(answer.headers.get('retry-after')) >= 1, `Retry-After: ${answer.headers.get('retry-after')}`);
      assert.equal(answer.json.error.details.retryAfterSeconds, Number(answer.headers.get('retry-after')));
    }
    // Not one of the other company's requests was refused.
    assert.deepEqual(otherAnswers.map((answer) => answer.status), Array(8).fill(404));
  });

  it('lets the flooding company in again once it waited Retry-After', async () => {
    const flooder = await api.token('globex', ['recruiter']);
    let refused = await api.request('GET', '/v1/candidates/cand-1', { token: flooder });
    while (refused.status !== 429) refused = await api.request('GET', '/v1/candidates/cand-1', { token: flooder });
    await new Promise((resolve) => setTimeout(resolve, Number(refused.headers.get('retry-after')) * 1000));
    const again = await api.request('GET', '/v1/candidates/cand-1', { token: flooder });
    assert.equal(again.status, 404, again.text);
  });

  it('does not count public requests (no company): the health check stays open', async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, () => api.request('GET', '/v1/health')));
    assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([200]));
  });
});
