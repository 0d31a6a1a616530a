import { Tracer } from '@aws-lambda-powertools/tracer';
import { observabilityConfig } from '../config/concerns';

/**
 * X-Ray subsegments for every AWS SDK call (the functions run with active tracing). Powertools
 * switches tracing off outside Lambda, so locally and in tests the clients stay as they are.
 */
export const tracer = new Tracer({ serviceName: observabilityConfig().serviceName });

/**
 * Every SDK client an adapter builds passes through here: its calls traced on Lambda, and the
 * SDK's logger middleware removed. That middleware copies every input and output through its
 * sensitive-data filter for the client's logger on every call, also for the SDK's default no-op
 * logger; our clients are given no logger (the adapters log what matters).
 */
export function adapterClient<T extends { middlewareStack: { remove(name: string): boolean } }>(client: T): T {
  client.middlewareStack.remove('loggerMiddleware');
  return tracer.captureAWSv3Client(client);
}
