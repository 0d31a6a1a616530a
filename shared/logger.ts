import { Logger } from '@aws-lambda-powertools/logger';
import { observabilityConfig } from './config/concerns';
import { redactingJsonReplacer } from './security/secret-scope';

const observability = observabilityConfig();

/**
 * One structured logger per process; the service name comes from POWERTOOLS_SERVICE_NAME.
 * Every string of a log line written inside a secret scope (security/secret-scope.ts) has the
 * scope's secrets redacted.
 */
export const logger = new Logger({
  serviceName: observability.serviceName,
  logLevel: observability.logLevel,
  jsonReplacerFn: redactingJsonReplacer,
});
