import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { inboundMailboxDeps } from '../../shared/composition/inbound-mailbox-deps';
import { inboundMailboxFunctionConfig } from '../../shared/config/function-configs';
import type { MailboxRef } from '../../shared/inbound-mailbox/mailbox-store';
import { pollMailbox } from '../../shared/inbound-mailbox/poll-mailbox';
import { logger } from '../../shared/logger';

const deps = inboundMailboxDeps(inboundMailboxFunctionConfig());

function mailboxOf(body: string): MailboxRef {
  const job = JSON.parse(body) as Partial<MailboxRef>;
  if (typeof job.companyId !== 'string' || typeof job.scope !== 'string') throw new Error('a poll job names companyId and scope');
  return { companyId: job.companyId, scope: job.scope };
}

/**
 * Poll queue → one run per mailbox, the batch's mailboxes in parallel (IMAP waits on the
 * network). A mailbox's own failure is recorded on its settings, not thrown; what throws (the
 * table, the bucket) is a batch item failure, retried by SQS and then dead-lettered.
 */
async function poll(event: SQSEvent): Promise<SQSBatchResponse> {
  const results = await Promise.allSettled(event.Records.map(async (record) => {
    const mailbox = mailboxOf(record.body);
    const outcome = await pollMailbox(deps, mailbox);
    logger.info('mailbox polled', { companyId: mailbox.companyId, scope: mailbox.scope, outcome });
  }));
  const batchItemFailures = results.flatMap((result, index) => {
    if (result.status === 'fulfilled') return [];
    logger.error('mailbox poll failed', { messageId: event.Records[index].messageId, error: result.reason as Error });
    return [{ itemIdentifier: event.Records[index].messageId }];
  });
  return { batchItemFailures };
}

export const handler = middy(poll).use(injectLambdaContext(logger, { resetKeys: true }));
