import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { dataLifecycleDeps } from '../../shared/composition/data-lifecycle-deps';
import { dataLifecycleFunctionConfig } from '../../shared/config/function-configs';
import { applyRetention, type RetentionReport } from '../../shared/data-lifecycle/retention';
import { logger } from '../../shared/logger';

const deps = dataLifecycleDeps(dataLifecycleFunctionConfig());

/** Scheduled daily (EventBridge): the retention policies of every company. `time` is the scheduled event's. */
async function retain(event: { time?: string }): Promise<RetentionReport> {
  return applyRetention(deps, event.time ? new Date(event.time) : new Date());
}

export const handler = middy(retain).use(injectLambdaContext(logger, { resetKeys: true }));
