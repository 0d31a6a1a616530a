import { Tracer } from '@aws-lambda-powertools/tracer';
import { observabilityConfig } from '../config/concerns';

/**
 * X-Ray subsegments for every AWS SDK call (the functions run with active tracing). Powertools
 * switches tracing off outside Lambda, so locally and in tests the clients stay as they are.
 */
export const tracer = new Tracer({ serviceName: observabilityConfig().serviceName });

/** The same client, its calls traced on Lambda. */
export function traced<T>(client: T): T {
  return tracer.captureAWSv3Client(client);
}
