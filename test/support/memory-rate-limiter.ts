import type { RateLimiter } from '../../shared/rate-limiter';

/** Fixed-window counters in memory, on the clock the test controls. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly hits = new Map<string, number>();

  constructor(private readonly now: () => Date) {}

  async consume(bucket: string, limit: number, windowSeconds: number) {
    const nowSeconds = Math.floor(this.now().getTime() / 1000);
    const windowStart = nowSeconds - (nowSeconds % windowSeconds);
    const key = `${bucket}#${windowStart}`;
    const used = this.hits.get(key) ?? 0;
    if (used >= limit) return { allowed: false, retryAfterSeconds: windowStart + windowSeconds - nowSeconds };
    this.hits.set(key, used + 1);
    return { allowed: true, retryAfterSeconds: 0 };
  }
}
