import { Logger } from '@aws-lambda-powertools/logger';
import { redactingJsonReplacer } from './security/secret-scope';

/**
 * One structured logger per process; the service name comes from POWERTOOLS_SERVICE_NAME.
 * Every string of a log line written inside a secret scope (security/secret-scope.ts) has the
 * scope's secrets redacted.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'recruiting-mail',
  logLevel: (process.env.LOG_LEVEL as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | undefined) ?? 'INFO',
  jsonReplacerFn: redactingJsonReplacer,
});
