import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { createDynamoMessagesStore } from '../../shared/adapters/dynamodb-messages-store';
import { createPowertoolsMetrics } from '../../shared/adapters/powertools-metrics';
import { sendQueueOf } from '../../shared/composition/send-queue';
import { sweepFunctionConfig } from '../../shared/config/function-configs';
import { logger } from '../../shared/logger';
import { type SweepLimits, type SweepReport, sweepUnsettledMessages } from '../../shared/messages/sweep-unsettled-messages';

const config = sweepFunctionConfig();
const deps = { messages: createDynamoMessagesStore(undefined, config.tableName), queue: sendQueueOf(config.send), now: () => new Date() };
const metrics = createPowertoolsMetrics();

/**
 * Scheduled (EventBridge on AWS, at start and on a timer locally): settles outbound messages
 * left `queued` or `sending` past their lease. Publishes `OutboundSwept` by outcome. The event
 * may override the limits, as the local backend does at start (nothing is in flight then).
 */
async function sweep(event: Partial<SweepLimits> | null): Promise<SweepReport> {
  const limits: SweepLimits = {
    leaseSeconds: event?.leaseSeconds ?? config.send.leaseSeconds,
    // Above the longest retry delay (900 s), so that a message waiting for its retry is left alone.
    queuedStaleSeconds: event?.queuedStaleSeconds ?? config.send.queuedStaleSeconds,
    batch: event?.batch ?? 500,
    maxInterruptedAttempts: event?.maxInterruptedAttempts ?? config.send.maxInterruptedAttempts,
  };
  const report = await sweepUnsettledMessages(deps, limits);
  for (const outcome of ['requeued', 'uncertain', 'enqueued', 'gave-up'] as const) {
    metrics.count('OutboundSwept', report.settled.filter((settled) => settled.outcome === outcome).length, { outcome });
  }
  metrics.publish();
  return report;
}

export const handler = middy(sweep).use(injectLambdaContext(logger, { resetKeys: true }));
