import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { observabilityConfig } from '../config/concerns';
import { METRICS_NAMESPACE, type OpsMetrics } from '../ops-metrics';

/**
 * CloudWatch metrics through Powertools (embedded metric format in the function's log). The
 * local backend sets POWERTOOLS_METRICS_DISABLED, so nothing is printed there.
 */
export function createPowertoolsMetrics(serviceName = observabilityConfig().serviceName): OpsMetrics {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
  // Single metrics (with dimensions) are written at once; only the plain ones wait for publish.
  let stored = 0;
  return {
    count(name, value = 1, dimensions = {}) {
      if (Object.keys(dimensions).length === 0) {
        metrics.addMetric(name, MetricUnit.Count, value);
        stored += 1;
        return;
      }
      const single = metrics.singleMetric();
      for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
      single.addMetric(name, MetricUnit.Count, value);
    },
    publish() {
      // Publishing nothing would only log Powertools' "No application metrics to publish" warning.
      if (stored === 0) return;
      stored = 0;
      metrics.publishStoredMetrics();
    },
  };
}
