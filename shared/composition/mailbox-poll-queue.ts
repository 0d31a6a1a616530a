import { createSqsJobQueue } from '../adapters/sqs-job-queue';
import { inboundMailboxFunctionConfig, type MailboxDispatchFunctionConfig } from '../config/function-configs';
import type { MailboxRef } from '../inbound-mailbox/mailbox-store';
import { pollMailbox } from '../inbound-mailbox/poll-mailbox';
import { logger } from '../logger';
import { inboundMailboxDeps } from './inbound-mailbox-deps';

/**
 * Where poll jobs go: the SQS poll queue on AWS (INBOUND_IMAP_POLL_QUEUE_URL); without one
 * (local mode) the poll runs in this process, which is what the queue's consumer would do.
 */
export function mailboxPollQueue(config: MailboxDispatchFunctionConfig): (mailbox: MailboxRef) => Promise<void> {
  if (config.imap.pollQueueUrl) {
    const queue = createSqsJobQueue<MailboxRef>(config.imap.pollQueueUrl);
    return (mailbox) => queue.enqueue(mailbox);
  }
  let deps: ReturnType<typeof inboundMailboxDeps> | undefined;
  return async (mailbox) => {
    deps ??= inboundMailboxDeps(inboundMailboxFunctionConfig());
    const outcome = await pollMailbox(deps, mailbox);
    if (outcome.result === 'polled' && outcome.fetched > 0) logger.info('mailbox polled', { companyId: mailbox.companyId, scope: mailbox.scope, outcome });
  };
}
