/**
 * Durable inbound on AWS: a scheduled function (EventBridge) files stored raw mail that has no
 * filed mark (the SES event was lost, or Lambda's retries ran out), and an alarm fires when it
 * finds any (`InboundReconciled` > 0), because each find means the normal path failed.
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../shared/ops-metrics';
import { FunctionWithLogGroup } from './function-with-log-group';
import type { FunctionDefaults } from './function-with-log-group';
import { MAIL_PREFIXES } from './mail-bucket';
import type { MailBucket } from './mail-bucket';

export interface InboundReconcilerProps {
  readonly mailBucket: MailBucket;
  readonly table: ITable;
  readonly functionDefaults: FunctionDefaults;
  /** @default 15 minutes */
  readonly every?: Duration;
}

export class InboundReconciler extends Construct {
  readonly function: FunctionWithLogGroup;
  readonly schedule: Rule;
  /** Stored inbound mail the reconciler found unfiled (and filed). */
  readonly reconciledMetric: Metric;

  constructor(scope: Construct, id: string, props: InboundReconcilerProps) {
    super(scope, id);
    const serviceName = 'inbound-reconciler';
    this.function = new FunctionWithLogGroup(this, 'ReconcileFunction', {
      entry: 'functions/inbound/reconcile.ts',
      description: 'Files stored inbound mail that was never filed (lost event, exhausted retries)',
      serviceName,
      defaults: props.functionDefaults,
      memorySize: 1024,
      timeout: Duration.minutes(10),
      // Past Lambda's 6 h maximum event age and the dead-letter queue's replay, with margin.
      environment: { INBOUND_RECONCILE_GRACE_SECONDS: '900', INBOUND_RECONCILE_WINDOW_SECONDS: String(3 * 24 * 3600) },
      retryAttempts: 0,
    });
    this.function
      .bindTable({ table: props.table, accessMode: 'readWrite' })
      .bindBucket({
        bucket: props.mailBucket.bucket,
        read: [MAIL_PREFIXES.inbound, MAIL_PREFIXES.inboundEnvelopes, MAIL_PREFIXES.inboundFiled],
        write: [MAIL_PREFIXES.attachments, MAIL_PREFIXES.bodies, MAIL_PREFIXES.inboundFiled],
      });
    this.schedule = new Rule(this, 'Schedule', {
      description: 'Runs the inbound reconciler',
      schedule: Schedule.rate(props.every ?? Duration.minutes(15)),
      targets: [new LambdaFunction(this.function, { event: RuleTargetInput.fromObject({}), retryAttempts: 2 })],
    });
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
