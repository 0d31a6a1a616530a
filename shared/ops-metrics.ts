/**
 * Operational counters (reconciled mail, ...), behind a small interface so that use cases and
 * the local backend need no AWS: on Lambda they become CloudWatch metrics through Powertools'
 * embedded metric format (shared/adapters/powertools-metrics.ts); tests record them in memory.
 */
export interface OpsMetrics {
  count(name: string, value?: number, dimensions?: Record<string, string>): void;
  /** Writes what was counted (one EMF line on Lambda). */
  publish(): void;
}

/** The namespace of every metric of this service in CloudWatch. */
export const METRICS_NAMESPACE = 'RecruitingMail';
