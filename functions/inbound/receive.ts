import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { SESEvent } from 'aws-lambda';
import { createPowertoolsMetrics } from '../../shared/adapters/powertools-metrics';
import { inboundDeps } from '../../shared/composition/inbound-deps';
import { inboundFunctionConfig } from '../../shared/config/function-configs';
import { logger } from '../../shared/logger';
import { fileInboundMail, type FilingOutcome } from '../../shared/messages/file-inbound-mail';
import { countFilings } from '../../shared/messages/operation-metrics';
import { deliveryFromSesRecord } from '../../shared/messages/ses-receipt';

const deps = inboundDeps(inboundFunctionConfig());
const metrics = createPowertoolsMetrics();

/**
 * SES receipt rule → (S3 action stored the raw mail) → this function, invoked asynchronously.
 * A mail that cannot be parsed or filed ends the invocation cleanly: it is set aside as an
 * unassigned message with a `parseError` verdict (outcome `parse_error`), since a retry would
 * fail the same way. A store's failure throws: Lambda retries, then hands the event to the
 * on-failure destination (a dead-letter queue); the raw mail stays in S3 and `npm run replay`
 * files it later.
 */
async function receive(event: SESEvent): Promise<{ outcomes: unknown[] }> {
  const outcomes = [];
  for (const record of event.Records) {
    const delivery = deliveryFromSesRecord(record);
    const filed = await fileInboundMail(deps, delivery);
    // No addresses at INFO: the match says how, not whom.
    logger.info('inbound mail', { rawKey: delivery.rawKey, outcomes: filed.map(withoutAddress) });
    outcomes.push(...filed);
    countFilings(metrics, filed);
  }
  metrics.publish();
  return { outcomes };
}

/** An outcome as logged: how a mail matched, not the address it matched on. */
function withoutAddress(outcome: FilingOutcome): Record<string, unknown> {
  if (!('match' in outcome)) return outcome;
  const { match, ...rest } = outcome;
  return { ...rest, matchedBy: match?.by ?? null };
}

export const handler = middy(receive).use(injectLambdaContext(logger, { resetKeys: true }));
