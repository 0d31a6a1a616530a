/**
 * Reading company mailboxes over IMAP on AWS (DESIGN capability 12), as a schedule → dispatcher
 * → queue → poller flow: every minute the dispatcher lists the IMAP mailboxes (an index
 * partition of the table, never a scan) and sends one job per mailbox to the poll queue; the
 * poll function takes them in batches and polls the batch's mailboxes in parallel, from the
 * private subnets behind the NAT (the fixed egress IPs customers allowlist). A lease per
 * mailbox keeps a slow run and the next minute's job apart; jobs that throw are retried, then
 * dead-lettered (alarmed).
 *
 * Scale: 20,000 mailboxes a minute at batch size 10 and 100 concurrent pollers is 1,000 polls
 * in flight, each a few seconds, within Lambda's default 1,000 concurrent executions.
 */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IMAP_ALLOWED_PORTS } from '../../shared/imap-allowed-ports';
import { newDeadLetterQueue } from './dead-letter-queue';
import { FunctionWithLogGroup } from './function-with-log-group';
import type { FunctionDefaults, FunctionNetwork, KeyAccessMode } from './function-with-log-group';
import { MAIL_PREFIXES } from './mail-bucket';
import type { MailBucket } from './mail-bucket';

export interface InboundMailboxPollingProps {
  readonly table: ITable;
  readonly secretsKey: IKey;
  /** With OAuth2, rotated refresh tokens are encrypted and stored back. @default 'decrypt' */
  readonly secretsKeyAccess?: KeyAccessMode;
  readonly mailBucket: MailBucket;
  /** Private subnets behind the NAT; the security group opens the IMAP ports. */
  readonly network: FunctionNetwork;
  readonly functionDefaults: FunctionDefaults;
  /** Mailboxes per poll invocation, polled in parallel. @default 10 */
  readonly batchSize?: number;
  /** Poll invocations at once. @default 100 */
  readonly maxConcurrency?: number;
  /** @default 1 minute */
  readonly every?: Duration;
}

/** A poll reads for at most 40 s (INBOUND_IMAP_MAX_SECONDS_PER_RUN), then leaves the rest to the next run. */
const POLL_TIMEOUT = Duration.seconds(90);
const MAX_SECONDS_PER_RUN = 40;

export class InboundMailboxPolling extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly dispatcher: FunctionWithLogGroup;
  readonly poller: FunctionWithLogGroup;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: InboundMailboxPollingProps) {
    super(scope, id);
    this.deadLetterQueue = newDeadLetterQueue(this, 'the dead-letter queue of the mailbox poll queue');
    this.queue = new Queue(this, 'PollQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(POLL_TIMEOUT.toSeconds() * 6),
      // A job older than a few minutes is superseded by the next minute's.
      retentionPeriod: Duration.minutes(15),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 3 },
    });

    this.poller = new FunctionWithLogGroup(this, 'PollFunction', {
      entry: 'functions/inbound-mailbox/poll.ts',
      description: 'Reads new mail from company mailboxes over IMAP and files it',
      serviceName: 'inbound-mailbox-poll',
      defaults: props.functionDefaults,
      memorySize: 1024,
      timeout: POLL_TIMEOUT,
      network: props.network,
      environment: {
        IMAP_ALLOWED_PORTS: IMAP_ALLOWED_PORTS.join(','),
        INBOUND_IMAP_MAX_SECONDS_PER_RUN: String(MAX_SECONDS_PER_RUN),
        // Held longer than one invocation can run: a redelivered job never polls beside it.
        INBOUND_IMAP_LEASE_SECONDS: String(POLL_TIMEOUT.toSeconds() + 30),
      },
    });
    this.poller
      .bindTable({ table: props.table, accessMode: 'readWrite' })
      .bindKey({ key: props.secretsKey, accessMode: props.secretsKeyAccess ?? 'decrypt' })
      .bindBucket({
        bucket: props.mailBucket.bucket,
        read: [MAIL_PREFIXES.inboundImap],
        write: [MAIL_PREFIXES.inboundImap, MAIL_PREFIXES.inboundEnvelopes, MAIL_PREFIXES.attachments, MAIL_PREFIXES.bodies, MAIL_PREFIXES.inboundFiled],
      });
    this.poller.addEventSource(
      new SqsEventSource(this.queue, { batchSize: props.batchSize ?? 10, maxConcurrency: props.maxConcurrency ?? 100, reportBatchItemFailures: true }),
    );

    this.dispatcher = new FunctionWithLogGroup(this, 'DispatchFunction', {
      entry: 'functions/inbound-mailbox/dispatch.ts',
      description: 'Sends one poll job per company mailbox read over IMAP',
      serviceName: 'inbound-mailbox-dispatch',
      defaults: props.functionDefaults,
      timeout: Duration.seconds(50),
      retryAttempts: 0,
      environment: { INBOUND_IMAP_POLL_QUEUE_URL: this.queue.queueUrl },
    });
    this.dispatcher.bindTable({ table: props.table, accessMode: 'read', indexNames: [] });
    this.dispatcher.addToRolePolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }));

    this.schedule = new Rule(this, 'Schedule', {
      description: 'Polls the company mailboxes read over IMAP',
      schedule: Schedule.rate(props.every ?? Duration.minutes(1)),
      targets: [new LambdaFunction(this.dispatcher, { event: RuleTargetInput.fromObject({}), retryAttempts: 0 })],
    });
  }
}
