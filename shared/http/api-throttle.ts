/**
 * API Gateway's stage throttling by default: steady requests per second and burst. The CDK
 * stack's defaults (context `apiThrottleRateLimit`, `apiThrottleBurstLimit`) and the local
 * gateway's (`API_THROTTLE_RATE_LIMIT`, `API_THROTTLE_BURST_LIMIT`) both come from here.
 */
export const DEFAULT_API_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;
