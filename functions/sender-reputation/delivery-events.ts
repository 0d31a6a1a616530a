import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createPowertoolsMetrics } from '../../shared/adapters/powertools-metrics';
import { deliveryEventDeps } from '../../shared/composition/sender-reputation-deps';
import { senderReputationFunctionConfig } from '../../shared/config/function-configs';
import { logger } from '../../shared/logger';
import { recordDeliveryEvent } from '../../shared/sender-reputation/record-delivery-event';
import { MalformedDeliveryEvent, parseSesDeliveryEvent } from '../../shared/sender-reputation/ses-delivery-event';

const metrics = createPowertoolsMetrics();
const deps = deliveryEventDeps(senderReputationFunctionConfig(), metrics);

/**
 * SQS (fed by the EventBridge rule on the configuration set's SES events) → one event per
 * record. A record that fails is reported as a batch item failure, so SQS retries it alone and,
 * after maxReceiveCount, moves it to the dead-letter queue: a malformed event ends there (it
 * never will parse), and so does one whose table writes keep failing. Nothing throws out of
 * the handler, so one bad record never fails the others.
 */
async function handleBatch(event: SQSEvent): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const sesEvent = parseSesDeliveryEvent(record.body);
      const outcome = await recordDeliveryEvent(deps, sesEvent);
      if (outcome.result === 'not-ours') {
        logger.info('delivery event without our tags ignored', { sesMessageId: sesEvent.mail.messageId, eventType: sesEvent.eventType });
      } else {
        const { companyId, kind, messageId } = outcome.tags;
        logger.info('delivery event', { eventType: outcome.eventType, sesMessageId: sesEvent.mail.messageId, companyId, kind, messageId });
      }
    } catch (error) {
      const malformed = error instanceof MalformedDeliveryEvent;
      logger.error(malformed ? 'malformed delivery event; it goes to the dead-letter queue' : 'delivery event failed; SQS will retry', {
        sqsMessageId: record.messageId,
        receiveCount: record.attributes.ApproximateReceiveCount,
        error: error as Error,
      });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  metrics.publish();
  return { batchItemFailures };
}

export const handler = middy(handleBatch).use(injectLambdaContext(logger, { resetKeys: true }));
