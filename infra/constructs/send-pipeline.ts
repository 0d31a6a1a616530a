/**
 * Asynchronous delivery of candidate mail: the messages API enqueues, the send worker
 * delivers through the company's SMTP server (from the private subnets, so with the fixed
 * egress IPs) or the default provider (SES). The worker schedules its own retries with backoff
 * by re-enqueueing with a delay; a batch item that throws is retried by SQS, and after
 * `maxReceiveCount` receives it moves to the dead-letter queue (alarmed).
 */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { newDeadLetterQueue } from './dead-letter-queue';
import { FunctionWithLogGroup } from './function-with-log-group';
import type { FunctionDefaults, FunctionNetwork, KeyAccessMode } from './function-with-log-group';
import { SEND_WORKER_TIMEOUT_SECONDS } from '../../shared/messages/send-worker-budget';
import { MAIL_PREFIXES } from './mail-bucket';
import type { MailBucket } from './mail-bucket';

export interface SendPipelineProps {
  readonly table: ITable;
  readonly secretsKey: IKey;
  /**
   * What the worker may do with the key: decrypt passwords, and with OAuth2 also encrypt (a
   * provider that rotates refresh tokens gets the new one stored). @default 'decrypt'
   */
  readonly secretsKeyAccess?: KeyAccessMode;
  readonly mailBucket: MailBucket;
  /** SES identity the default provider sends as (the default sender domain). */
  readonly senderIdentityName: string;
  /** Private subnets behind the NAT, security group limited to SMTP ports and HTTPS. */
  readonly network: FunctionNetwork;
  readonly functionDefaults: FunctionDefaults;
  /** @default 5 */
  readonly maxReceiveCount?: number;
  /** @default 5 */
  readonly batchSize?: number;
  /**
   * The ceiling of concurrent worker invocations the queue starts (SQS event source
   * `maxConcurrency`, 2 to 1000): a burst waits in the queue instead of taking the account's
   * concurrency from the API and inbound functions.
   */
  readonly maxConcurrency: number;
  /** @default entry `functions/messages/send-worker.ts` */
  readonly entry?: string;
}

/** Worker timeout: a slow server plus a fallback through SES, and the rest of the batch (send-worker-budget.ts). */
const WORKER_TIMEOUT = Duration.seconds(SEND_WORKER_TIMEOUT_SECONDS);

export class SendPipeline extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly worker: FunctionWithLogGroup;

  constructor(scope: Construct, id: string, props: SendPipelineProps) {
    super(scope, id);

    this.deadLetterQueue = newDeadLetterQueue(this, 'the dead-letter queue of the send queue');

    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's guidance for Lambda event sources: at least six times the function timeout, so
      // a message is not redelivered while a (retried) invocation still works on it.
      visibilityTimeout: Duration.seconds(WORKER_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });

    this.worker = new FunctionWithLogGroup(this, 'Worker', {
      entry: props.entry ?? 'functions/messages/send-worker.ts',
      description: 'Delivers queued candidate mail through the company SMTP server or the default provider',
      serviceName: 'send-worker',
      defaults: props.functionDefaults,
      memorySize: 1024,
      timeout: WORKER_TIMEOUT,
      network: props.network,
      environment: {
        // A message claimed as `sending` stays claimed longer than one invocation can run, so
        // a redelivery never sends it a second time while the first attempt is still going.
        SEND_LEASE_SECONDS: String(WORKER_TIMEOUT.toSeconds() + 30),
      },
    });
    this.worker
      .bindTable({ table: props.table, accessMode: 'readWrite' })
      .bindKey({ key: props.secretsKey, accessMode: props.secretsKeyAccess ?? 'decrypt' })
      .bindBucket({ bucket: props.mailBucket.bucket, read: [MAIL_PREFIXES.outbound, MAIL_PREFIXES.bodies] })
      // Retries with backoff are re-enqueued with a delay.
      .bindSendQueue(this.queue)
      .allowSendingAs(props.senderIdentityName)
      // The default provider's pace: SES's MaxSendRate (shared/outbound/send-pace.ts).
      .allowReadingSendQuota();
    this.worker.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.batchSize ?? 5,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency,
      }),
    );
  }
}
