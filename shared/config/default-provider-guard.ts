/**
 * The reputation guard's defaults (DESIGN section 10), written once for the environment
 * (`DEFAULT_PROVIDER_*`, concerns.ts) and the CDK context (`defaultProvider*`, infra/config.ts).
 * Below SES's own review levels (5% bounces, 0.1% complaints), so that one company is paused
 * before the shared account is reviewed. Imports nothing: the CDK app reads it.
 */
export const DEFAULT_PROVIDER_GUARD = {
  maxBounceRate: 0.04,
  maxComplaintRate: 0.0008,
  minSends: 50,
  windowDays: 7,
} as const;
