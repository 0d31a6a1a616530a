import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';

/**
 * A dead-letter queue (id `DeadLetterQueue`): SQS-managed encryption, TLS only, messages kept
 * 14 days (SQS's longest) for a replay. cdk-nag's AwsSolutions-SQS3 (a queue without a
 * dead-letter queue of its own) is suppressed, with `catches` saying whose failures it holds.
 */
export function newDeadLetterQueue(scope: Construct, catches: string): Queue {
  const queue = new Queue(scope, 'DeadLetterQueue', {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  NagSuppressions.addResourceSuppressions(queue, [{ id: 'AwsSolutions-SQS3', reason: `This queue is itself ${catches}.` }]);
  return queue;
}
