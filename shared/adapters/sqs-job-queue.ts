import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { JobQueue } from '../job-queue';
import { adapterClient } from './tracing';

let sqs: SQSClient | undefined;

/** SQS allows delays up to 15 minutes. */
const MAX_DELAY_SECONDS = 900;

export function createSqsJobQueue<T>(queueUrl: string, client: SQSClient = (sqs ??= adapterClient(new SQSClient({})))): JobQueue<T> {
  return {
    async enqueue(job, delaySeconds = 0) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(job),
          DelaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(delaySeconds))),
        }),
      );
    },
  };
}
