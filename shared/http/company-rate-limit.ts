/**
 * The per-company API rate limit: a token bucket per company (from the token), kept in the
 * memory of a warm function container — no table write per request. A company that goes over
 * its rate gets `429 RATE_LIMITED` with `Retry-After` from this container; other companies'
 * buckets are untouched. The stage-wide API Gateway throttle (shared/http/api-throttle.ts)
 * stays above it as the backstop for the whole fleet.
 *
 * What it does not do: count across containers. Each warm container (each concurrent Lambda
 * instance of an API function, and each of the four API functions) has its own buckets, so a
 * company may reach its rate once per container that serves it, and a new container starts
 * with a full bucket.
 */
import { AppError } from '../errors';

export interface CompanyRateLimit {
  /** Steady requests per second per company (and container). */
  ratePerSecond: number;
  /** How many requests a company may make at once before the steady rate applies. */
  burst: number;
}

export interface CompanyRateLimiter {
  /** Counts one request of `companyId`; throws `RATE_LIMITED` (with `retryAfterSeconds`) when it has none left. */
  admit(companyId: string): void;
}

/** Buckets kept at most; beyond it, the buckets that have refilled (as good as new) are dropped. */
const MAX_TRACKED_COMPANIES = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

export function createCompanyRateLimiter(limit: CompanyRateLimit, now: () => number = Date.now): CompanyRateLimiter {
  const buckets = new Map<string, Bucket>();
  const refill = (bucket: Bucket, at: number) => {
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((at - bucket.at) / 1000) * limit.ratePerSecond);
    bucket.at = at;
  };
  const forgetFullBuckets = (at: number) => {
    for (const [company, bucket] of buckets) {
      refill(bucket, at);
      if (bucket.tokens >= limit.burst) buckets.delete(company);
    }
  };
  return {
    admit(companyId) {
      const at = now();
      let bucket = buckets.get(companyId);
      if (!bucket) {
        if (buckets.size >= MAX_TRACKED_COMPANIES) forgetFullBuckets(at);
        bucket = { tokens: limit.burst, at };
        buckets.set(companyId, bucket);
      }
      refill(bucket, at);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return;
      }
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / limit.ratePerSecond));
      throw new AppError(
        'RATE_LIMITED',
        `Too many requests from this company: at most ${limit.ratePerSecond} a second (bursts of ${limit.burst}); try again in ${retryAfterSeconds} s`,
        { retryAfterSeconds },
      );
    },
  };
}
