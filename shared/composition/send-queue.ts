import { inProcessJobQueue } from '../adapters/in-process-queue';
import { createSqsJobQueue } from '../adapters/sqs-job-queue';
import type { SendConfig } from '../config/concerns';
import type { JobQueue } from '../job-queue';
import type { SendJob } from '../messages/send-job';

/** The local queue's name, when the local runner delivers in-process instead of SQS. */
export const LOCAL_SEND_QUEUE = 'send';

/** SQS on AWS (`SEND_QUEUE_URL`), the in-process queue in local mode. */
export function sendQueueOf(send: SendConfig): JobQueue<SendJob> {
  return send.queueUrl ? createSqsJobQueue<SendJob>(send.queueUrl) : inProcessJobQueue<SendJob>(LOCAL_SEND_QUEUE);
}
