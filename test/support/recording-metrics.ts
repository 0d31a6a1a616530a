import type { OpsMetrics } from '../../shared/ops-metrics';

/** OpsMetrics in memory: each count as `name {dimensions} value`, in order. */
export class RecordingMetrics implements OpsMetrics {
  readonly counted: string[] = [];
  count(name: string, value = 1, dimensions: Record<string, string> = {}) {
    this.counted.push(`${name} ${JSON.stringify(dimensions)} ${value}`);
  }
  publish() {}
}
