/**
 * Sending a failed message again, by hand (`POST /v1/messages/{messageId}/retry`): the same
 * message (its id, its Message-ID, its idempotency key) goes back to `queued` with its attempts
 * counted from zero, through the route the settings give now. Only a message no server may have
 * accepted: one that was sent, or may have been (`DELIVERY_UNCERTAIN`), is never sent twice;
 * the recruiter writes a new message instead. Asking again while it is queued or sending
 * answers it as it is.
 */
import { AppError } from '../errors';
import type { JobQueue } from '../job-queue';
import type { MessagesStore } from './messages-store';
import type { MessageRecord } from './model';
import { getCompanyMessage } from './read-messages';
import type { SendJob } from './send-job';

export interface RetryMessageDeps {
  messages: MessagesStore;
  queue: JobQueue<SendJob>;
  now: () => Date;
}

export async function retryFailedMessage(deps: RetryMessageDeps, companyId: string, messageId: string): Promise<MessageRecord> {
  const message = await getCompanyMessage(deps, companyId, messageId);
  if (message.direction !== 'outbound') throw new AppError('CONFLICT', 'Only outbound messages can be sent again');
  if (message.status === 'queued' || message.status === 'sending') return message;
  if (message.status === 'sent' || message.sentAt !== null) {
    throw new AppError('CONFLICT', 'This message was sent; to write to the candidate again, send a new message');
  }
  if (message.error?.code === 'DELIVERY_UNCERTAIN') {
    throw new AppError('CONFLICT', 'This message may have been delivered, so it is not sent again; send a new message if the candidate did not get it');
  }
  const requeued = await deps.messages.update(
    message.id,
    {
      status: 'queued',
      attempts: 0,
      defaultProviderAttempts: 0,
      interruptedAttempts: 0,
      fallbackReason: null,
      provider: null,
      smtpResponse: null,
      error: null,
      sendingSince: null,
      transmitting: false,
      updatedAt: deps.now().toISOString(),
    },
    ['failed'],
    message.attempts,
  );
  // Another request re-queued it first: answer it as it is now.
  if (!requeued) return getCompanyMessage(deps, companyId, messageId);
  await deps.queue.enqueue({ messageId: message.id });
  return requeued;
}
