import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { dataLifecycleDeps } from '../../shared/composition/data-lifecycle-deps';
import { dataLifecycleFunctionConfig } from '../../shared/config/function-configs';
import { resumeErasures, type ResumeReport } from '../../shared/data-lifecycle/resume-erasures';
import { logger } from '../../shared/logger';

const config = dataLifecycleFunctionConfig();
const deps = dataLifecycleDeps(config);

/** Scheduled: queues again every erasure that stood still (`staleSeconds` 0 at local start: all). */
async function resume(event: { staleSeconds?: number }): Promise<ResumeReport> {
  const report = await resumeErasures(deps, event.staleSeconds ?? config.lifecycle.erasureStaleSeconds);
  if (report.resumed.length > 0) logger.warn('resumed erasures that stood still', { erasureIds: report.resumed });
  return report;
}

export const handler = middy(resume).use(injectLambdaContext(logger, { resetKeys: true }));
