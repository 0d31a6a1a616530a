/**
 * The default provider's delivery events (DESIGN section 10): an SES configuration set whose
 * Send, Delivery, Bounce, Complaint, Reject and DeliveryDelay events go to the account's
 * default EventBridge bus; a rule sends this configuration set's events to an SQS queue, whose
 * consumer (functions/sender-reputation/delivery-events.ts) updates the messages, suppressions
 * and the per-company guard. A record that keeps failing (a malformed event included) moves to
 * the dead-letter queue after `maxReceiveCount` receives.
 *
 * Why EventBridge and not SNS: the rule filters on the configuration set and the event types in
 * the event itself (SNS would take every event of the topic), SQS is a native target with its
 * own retries and dead-letter queue, and the event arrives as SES's JSON in `detail` instead of
 * a string inside an SNS envelope. Another consumer (analytics, a second region's dashboard)
 * adds a rule without touching this one.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Alarm, ComparisonOperator, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { ConfigurationSet, ConfigurationSetTlsPolicy, EmailSendingEvent, EventDestination } from 'aws-cdk-lib/aws-ses';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../shared/ops-metrics';
import { EVENTBRIDGE_DETAIL_TYPES, PUBLISHED_EVENT_TYPES } from '../../shared/sender-reputation/ses-delivery-event';
import { newDeadLetterQueue } from './dead-letter-queue';
import { FunctionWithLogGroup } from './function-with-log-group';
import type { FunctionDefaults } from './function-with-log-group';

export interface DefaultProviderEventsProps {
  /** The configuration set's name (the functions' `DEFAULT_PROVIDER_CONFIGURATION_SET`). */
  readonly configurationSetName: string;
  readonly table: ITable;
  readonly functionDefaults: FunctionDefaults;
  /** @default 5 */
  readonly maxReceiveCount?: number;
}

const SES_EVENTS: Record<(typeof PUBLISHED_EVENT_TYPES)[number], EmailSendingEvent> = {
  Send: EmailSendingEvent.SEND,
  Delivery: EmailSendingEvent.DELIVERY,
  Bounce: EmailSendingEvent.BOUNCE,
  Complaint: EmailSendingEvent.COMPLAINT,
  Reject: EmailSendingEvent.REJECT,
  DeliveryDelay: EmailSendingEvent.DELIVERY_DELAY,
};

const CONSUMER_TIMEOUT = Duration.seconds(30);

export class DefaultProviderEvents extends Construct {
  readonly configurationSet: ConfigurationSet;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly function: FunctionWithLogGroup;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: DefaultProviderEventsProps) {
    super(scope, id);

    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: props.configurationSetName,
      reputationMetrics: true,
      sendingEnabled: true,
      tlsPolicy: ConfigurationSetTlsPolicy.OPTIONAL,
    });
    this.configurationSet.addEventDestination('ToEventBridge', {
      destination: EventDestination.eventBus(EventBus.fromEventBusName(this, 'DefaultBus', 'default')),
      events: PUBLISHED_EVENT_TYPES.map((type) => SES_EVENTS[type]),
    });

    this.deadLetterQueue = newDeadLetterQueue(this, 'the dead-letter queue of the delivery-event queue');
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(CONSUMER_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });

    this.rule = new Rule(this, 'Rule', {
      description: `SES events of the configuration set ${props.configurationSetName} to the delivery-event queue`,
      eventPattern: {
        source: ['aws.ses'],
        detailType: PUBLISHED_EVENT_TYPES.map((type) => EVENTBRIDGE_DETAIL_TYPES[type]),
        detail: { mail: { tags: { 'ses:configuration-set': [props.configurationSetName] } } },
      },
      targets: [new SqsQueue(this.queue)],
    });

    this.function = new FunctionWithLogGroup(this, 'Function', {
      entry: 'functions/sender-reputation/delivery-events.ts',
      description: 'SES delivery events of the default provider: message delivery, suppressions, per-company guard',
      serviceName: 'delivery-events',
      defaults: props.functionDefaults,
      memorySize: 256,
      timeout: CONSUMER_TIMEOUT,
    });
    // Messages, suppressions and counts are items of the table; no index is read.
    this.function.bindTable({ table: props.table, accessMode: 'readWrite', indexNames: [] });
    this.function.addEventSource(new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true }));
  }

  /** Lets a function that sends through the default provider name this configuration set (SES authorizes it too). */
  allowSendingThrough(fn: FunctionWithLogGroup): void {
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail', 'ses:SendRawEmail'],
        resources: [Stack.of(this).formatArn({ service: 'ses', resource: 'configuration-set', resourceName: this.configurationSet.configurationSetName })],
      }),
    );
  }

  /**
   * An alarm when a company's default-provider sending pauses (`DefaultProviderPaused`, counted
   * by whichever function saw it first; the per-company series carry a `company` dimension).
   */
  pausedAlarm(scope: Construct, id: string): Alarm {
    const paused = (service: string) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName: 'DefaultProviderPaused', dimensionsMap: { service }, statistic: 'Sum', period: Duration.minutes(5) });
    return new Alarm(scope, id, {
      alarmDescription: "A company's mail through the default provider paused: its bounce or complaint rate is over the threshold (see README, the reputation guard)",
      metric: new MathExpression({
        expression: 'FILL(events, 0) + FILL(sends, 0)',
        usingMetrics: { events: paused('delivery-events'), sends: paused('send-worker') },
        period: Duration.minutes(5),
        label: 'companies paused',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
