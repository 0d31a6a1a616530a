/**
 * API Gateway's stage throttling by default: steady requests per second and burst, for every
 * company together (the whole fleet; each company also has its own limit, below). The CDK
 * stack's defaults (context `apiThrottleRateLimit`, `apiThrottleBurstLimit`) and the local
 * gateway's (`API_THROTTLE_RATE_LIMIT`, `API_THROTTLE_BURST_LIMIT`) both come from here.
 */
export const DEFAULT_API_THROTTLE = { rateLimit: 1000, burstLimit: 2000 } as const;

/**
 * The per-company limit by default (shared/http/company-rate-limit.ts), per warm container of
 * an API function: far above what people clicking in a frontend do, far below the stage's.
 * Environment `COMPANY_API_RATE_LIMIT`, `COMPANY_API_BURST_LIMIT`; CDK context
 * `companyApiRateLimit`, `companyApiBurstLimit`.
 */
export const DEFAULT_COMPANY_API_RATE = { ratePerSecond: 20, burst: 40 } as const;
