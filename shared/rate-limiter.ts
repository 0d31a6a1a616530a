/** Fixed-window counters, e.g. "10 SMTP tests a minute per company". */
export interface RateLimiter {
  consume(bucket: string, limit: number, windowSeconds: number): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
}
