/**
 * Personal data on AWS: the data-lifecycle API (anonymize, erasures, offboarding), a job queue
 * and its worker that runs an erasure one page per SQS message (each step queues the next; a
 * step a timeout cut short is delivered again; after `maxReceiveCount` receives the message
 * goes to the dead-letter queue, alarmed), and a scheduled resume sweep that queues again any
 * erasure that stood still (its job lost to the dead-letter queue).
 */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { newDeadLetterQueue } from './dead-letter-queue';
import { FunctionWithLogGroup } from './function-with-log-group';
import type { FunctionDefaults } from './function-with-log-group';
import { MAIL_PREFIXES } from './mail-bucket';
import type { MailBucket } from './mail-bucket';

export interface DataLifecycleProps {
  readonly table: ITable;
  readonly mailBucket: MailBucket;
  readonly functionDefaults: FunctionDefaults;
  /** How often unfinished erasures are looked at. @default 15 minutes */
  readonly resumeEvery?: Duration;
}

/** One erasure step (a page of 25 messages) takes seconds; the margin covers a slow S3. */
const WORKER_TIMEOUT = Duration.minutes(2);
/**
 * Where erasure deletes: every prefix that holds a candidate's or a company's objects (a prefix
 * inside another, such as `inbound/imap/`, is already granted with it).
 */
const ERASED_PREFIXES = Object.values(MAIL_PREFIXES).filter(
  (prefix, _, all) => !all.some((other) => other !== prefix && prefix.startsWith(other)),
);

export class DataLifecycle extends Construct {
  readonly api: FunctionWithLogGroup;
  readonly worker: FunctionWithLogGroup;
  readonly resume: FunctionWithLogGroup;
  readonly retention: FunctionWithLogGroup;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: DataLifecycleProps) {
    super(scope, id);
    const { table, mailBucket } = props;

    this.deadLetterQueue = newDeadLetterQueue(this, 'the dead-letter queue of the data-lifecycle job queue');
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(WORKER_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });
    const useQueue = (fn: FunctionWithLogGroup) => {
      fn.addEnvironment('DATA_LIFECYCLE_QUEUE_URL', this.queue.queueUrl);
      this.queue.grantSendMessages(fn);
    };

    this.api = new FunctionWithLogGroup(this, 'Api', {
      entry: 'functions/data-lifecycle/api.ts',
      description: 'Anonymize and export candidates, erasure and export status, offboarding',
      serviceName: 'data-lifecycle',
      defaults: props.functionDefaults,
    });
    this.api.bindTable({ table, accessMode: 'readWrite' });
    this.api.addEnvironment('MAIL_BUCKET', mailBucket.bucket.bucketName);
    // Presigned export links: S3 checks the signer's right to GetObject when the link is used.
    this.api.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [mailBucket.bucket.arnForObjects(`${MAIL_PREFIXES.exports}*`)] }));
    NagSuppressions.addResourceSuppressions(
      this.api.role!,
      [{ id: 'AwsSolutions-IAM5', reason: 'Export zips are named per company, candidate and export; the API presigns reads under exports/ only.', appliesTo: [{ regex: '/^Resource::<.*\\.Arn>\\/exports\\/\\*$/g' }] }],
      true,
    );
    useQueue(this.api);

    this.worker = new FunctionWithLogGroup(this, 'Worker', {
      entry: 'functions/data-lifecycle/erasure-worker.ts',
      description: 'Runs erasures (anonymize, offboarding) one page per job, and candidate exports',
      serviceName: 'data-lifecycle-worker',
      defaults: props.functionDefaults,
      timeout: WORKER_TIMEOUT,
      memorySize: 1024,
    });
    this.worker
      .bindTable({ table, accessMode: 'readWrite' })
      .bindBucket({ bucket: mailBucket.bucket, read: ERASED_PREFIXES, write: [MAIL_PREFIXES.exports] });
    this.worker.addToRolePolicy(new PolicyStatement({ actions: ['s3:DeleteObject'], resources: ERASED_PREFIXES.map((prefix) => mailBucket.bucket.arnForObjects(`${prefix}*`)) }));
    useQueue(this.worker);
    // Erasures are few and short; a handful at once leaves the table's capacity to the mail.
    this.worker.addEventSource(new SqsEventSource(this.queue, { batchSize: 1, maxConcurrency: 5, reportBatchItemFailures: true }));

    this.resume = new FunctionWithLogGroup(this, 'ResumeFunction', {
      entry: 'functions/data-lifecycle/resume-erasures.ts',
      description: 'Queues again erasures that stood still',
      serviceName: 'erasure-resume',
      defaults: props.functionDefaults,
      timeout: Duration.minutes(1),
      retryAttempts: 0,
    });
    this.resume.bindTable({ table, accessMode: 'read' });
    this.resume.addEnvironment('MAIL_BUCKET', mailBucket.bucket.bucketName);
    useQueue(this.resume);
    new Rule(this, 'ResumeSchedule', {
      description: 'Queues again erasures that stood still',
      schedule: Schedule.rate(props.resumeEvery ?? Duration.minutes(15)),
      targets: [new LambdaFunction(this.resume, { event: RuleTargetInput.fromObject({}), retryAttempts: 2 })],
    });

    // Retention: anonymizes closed candidates (queues erasures) and erases old unassigned mail.
    this.retention = new FunctionWithLogGroup(this, 'RetentionFunction', {
      entry: 'functions/data-lifecycle/retention.ts',
      description: 'Applies every company’s data retention policy',
      serviceName: 'data-retention',
      defaults: props.functionDefaults,
      timeout: Duration.minutes(15),
      memorySize: 1024,
      retryAttempts: 0,
    });
    this.retention.bindTable({ table, accessMode: 'readWrite' }).bindBucket({ bucket: mailBucket.bucket, read: ERASED_PREFIXES });
    this.retention.addToRolePolicy(new PolicyStatement({ actions: ['s3:DeleteObject'], resources: ERASED_PREFIXES.map((prefix) => mailBucket.bucket.arnForObjects(`${prefix}*`)) }));
    useQueue(this.retention);
    // The scheduled event as EventBridge sends it (its `time` is the run's "now").
    new Rule(this, 'RetentionSchedule', {
      description: 'Applies the data retention policies',
      schedule: Schedule.rate(Duration.days(1)),
      targets: [new LambdaFunction(this.retention, { retryAttempts: 2 })],
    });
  }
}
