/**
 * Durable inbound on AWS, proportional to the mail received: every raw mail SES stores under
 * `inbound/` raises an S3 `ObjectCreated` event into a queue that holds it back for the grace
 * period (15 minutes, SQS's longest delivery delay: the receipt rule's own invocation and its
 * first retries have run by then, so the two paths rarely meet, and when they do filing is
 * idempotent). The reconcile function then checks the mail's filed mark and files what has
 * none. A mail it cannot file comes back after the visibility timeout, and after 5 receives
 * goes to a dead-letter queue (the raw mail stays in S3). An alarm fires when it finds any
 * unfiled mail (`InboundReconciled` > 0), because each find means the normal path failed.
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { EventType } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../shared/ops-metrics';
import { newDeadLetterQueue } from './dead-letter-queue';
import { FunctionWithLogGroup } from './function-with-log-group';
import type { FunctionDefaults } from './function-with-log-group';
import { MAIL_PREFIXES } from './mail-bucket';
import type { MailBucket } from './mail-bucket';

export interface InboundReconcilerProps {
  readonly mailBucket: MailBucket;
  readonly table: ITable;
  readonly functionDefaults: FunctionDefaults;
  /** How long a stored mail is left to the receipt rule's invocation. @default 15 minutes (SQS's maximum) */
  readonly grace?: Duration;
}

const RECONCILE_TIMEOUT = Duration.minutes(5);

export class InboundReconciler extends Construct {
  readonly function: FunctionWithLogGroup;
  /** S3's `ObjectCreated` events of `inbound/`, delayed by the grace period. */
  readonly queue: Queue;
  /** Events of mail the reconciler failed to file 5 times. */
  readonly deadLetterQueue: Queue;
  /** Stored inbound mail the reconciler found unfiled (and filed). */
  readonly reconciledMetric: Metric;

  constructor(scope: Construct, id: string, props: InboundReconcilerProps) {
    super(scope, id);
    const serviceName = 'inbound-reconciler';
    this.deadLetterQueue = newDeadLetterQueue(this, 'the dead-letter queue of the inbound reconcile queue');
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deliveryDelay: props.grace ?? Duration.minutes(15),
      visibilityTimeout: Duration.seconds(RECONCILE_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });
    props.mailBucket.bucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(this.queue), { prefix: MAIL_PREFIXES.inbound });

    this.function = new FunctionWithLogGroup(this, 'ReconcileFunction', {
      entry: 'functions/inbound/reconcile.ts',
      description: 'Files stored inbound mail that was never filed (lost event, exhausted retries), from S3 events',
      serviceName,
      defaults: props.functionDefaults,
      memorySize: 1024,
      timeout: RECONCILE_TIMEOUT,
    });
    this.function
      .bindTable({ table: props.table, accessMode: 'readWrite' })
      .bindBucket({
        bucket: props.mailBucket.bucket,
        read: [MAIL_PREFIXES.inbound, MAIL_PREFIXES.inboundEnvelopes, MAIL_PREFIXES.inboundFiled],
        write: [MAIL_PREFIXES.attachments, MAIL_PREFIXES.bodies, MAIL_PREFIXES.inboundFiled],
      });
    // Almost every event names mail already filed: one existence check each, many per invocation.
    this.function.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 50, maxBatchingWindow: Duration.seconds(20), reportBatchItemFailures: true, maxConcurrency: 5 }),
    );
    this.reconciledMetric = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: 'InboundReconciled',
      dimensionsMap: { service: serviceName },
      statistic: 'Sum',
      period: Duration.minutes(15),
    });
  }

  /** An alarm as soon as one run found stored mail that had not been filed. */
  alarmOnFinds(scope: Construct, id: string): Alarm {
    return new Alarm(scope, id, {
      alarmDescription: 'Inbound reconciler: stored mail had not been filed (the SES event or its retries were lost); it is filed now, check the inbound function',
      metric: this.reconciledMetric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
