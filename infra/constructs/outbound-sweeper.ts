/**
 * Outbound work that survives crashes, on AWS: a scheduled function (EventBridge) that settles
 * messages left `queued` or `sending` past their lease (a worker that died between the server's
 * answer and the record's update, an enqueue that failed after the message was stored): back
 * onto the send queue when the server never got the data, `DELIVERY_UNCERTAIN` otherwise.
 */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FunctionWithLogGroup } from './function-with-log-group';
import type { FunctionDefaults } from './function-with-log-group';

export interface OutboundSweeperProps {
  readonly table: ITable;
  readonly sendQueue: IQueue;
  readonly functionDefaults: FunctionDefaults;
  /** @default 5 minutes */
  readonly every?: Duration;
}

export class OutboundSweeper extends Construct {
  readonly function: FunctionWithLogGroup;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: OutboundSweeperProps) {
    super(scope, id);
    this.function = new FunctionWithLogGroup(this, 'SweepFunction', {
      entry: 'functions/messages/sweep.ts',
      description: 'Settles outbound messages left queued or sending past their lease',
      serviceName: 'outbound-sweeper',
      defaults: props.functionDefaults,
      timeout: Duration.minutes(5),
      retryAttempts: 0,
    });
    this.function.bindTable({ table: props.table, accessMode: 'readWrite' }).bindSendQueue(props.sendQueue);
    this.schedule = new Rule(this, 'Schedule', {
      description: 'Runs the outbound sweeper',
      schedule: Schedule.rate(props.every ?? Duration.minutes(5)),
      targets: [new LambdaFunction(this.function, { event: RuleTargetInput.fromObject({}), retryAttempts: 2 })],
    });
  }
}
