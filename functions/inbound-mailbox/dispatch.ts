import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { createDynamoInboundMailboxStore } from '../../shared/adapters/dynamodb-inbound-mailbox-store';
import { mailboxPollQueue } from '../../shared/composition/mailbox-poll-queue';
import { mailboxDispatchFunctionConfig } from '../../shared/config/function-configs';
import { dispatchMailboxPolls, type DispatchReport } from '../../shared/inbound-mailbox/dispatch-mailbox-polls';
import { logger } from '../../shared/logger';

const config = mailboxDispatchFunctionConfig();
const mailboxes = createDynamoInboundMailboxStore(undefined, config.tableName);
const enqueue = mailboxPollQueue(config);

/** Schedule (every minute) → one poll job per mailbox read over IMAP. */
async function dispatch(): Promise<DispatchReport> {
  const report = await dispatchMailboxPolls({ mailboxes, enqueue });
  logger.info('mailbox polls dispatched', { ...report });
  return report;
}

export const handler = middy(dispatch).use(injectLambdaContext(logger, { resetKeys: true }));
