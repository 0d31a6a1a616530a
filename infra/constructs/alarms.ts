/**
 * Operational alarms, all to one SNS topic (with an e-mail subscription when `alarmEmail` is
 * set): any function error, any message in a dead-letter queue, and a send queue whose
 * oldest message waits too long.
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface AlarmsProps {
  /** Subscribed to the alarm topic when given (the address must confirm the subscription). */
  readonly alarmEmail?: string;
}

export class Alarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    // Unencrypted on purpose: notifications carry alarm names and states only, and CloudWatch
    // cannot publish to a topic encrypted with the AWS managed SNS key.
    this.topic = new Topic(this, 'Topic', { displayName: 'Recruiting mail backend alarms', enforceSSL: true });
    if (props.alarmEmail !== undefined) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    this.action = new SnsAction(this.topic);
  }

  /** Alarm when the function reports any error within 5 minutes. */
  onFunctionErrors(name: string, fn: IFunction): Alarm {
    return this.add(
      new Alarm(this, `${name}Errors`, {
        alarmDescription: `${name}: the function failed (errors or timeouts) in the last 5 minutes`,
        metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /** Alarm as soon as a dead-letter queue holds a message. */
  onDeadLetters(name: string, queue: IQueue): Alarm {
    return this.add(
      new Alarm(this, `${name}DeadLetters`, {
        alarmDescription: `${name}: messages in the dead-letter queue need an operator (inspect, fix, replay)`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /** Alarm when the oldest message of a work queue waits longer than `maxAge`. */
  onQueueBacklog(name: string, queue: IQueue, maxAge: Duration): Alarm {
    return this.add(
      new Alarm(this, `${name}Backlog`, {
        alarmDescription: `${name}: the oldest message has waited more than ${maxAge.toHumanString()}`,
        metric: queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: maxAge.toSeconds(),
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /**
   * Alarms on the SES account's own reputation (`AWS/SES` `Reputation.BounceRate` and
   * `Reputation.ComplaintRate`, which SES reviews at 5% and 0.1%): every company's default
   * provider mail shares them.
   */
  onSesAccountReputation(thresholds: { bounceRate: number; complaintRate: number }): Alarm[] {
    const reputation = (id: string, metricName: string, threshold: number, reviewedAt: number, find: string) =>
      this.add(
        new Alarm(this, id, {
          alarmDescription: `SES account ${metricName} at or above ${threshold} (SES reviews the account at ${reviewedAt}): find the company in ${find}`,
          metric: new Metric({ namespace: 'AWS/SES', metricName, statistic: 'Maximum', period: Duration.hours(1) }),
          threshold,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    return [
      reputation('SesAccountBounceRate', 'Reputation.BounceRate', thresholds.bounceRate, 0.05, 'DefaultProviderBounces'),
      reputation('SesAccountComplaintRate', 'Reputation.ComplaintRate', thresholds.complaintRate, 0.001, 'DefaultProviderComplaints'),
    ];
  }

  /** Sends an alarm built elsewhere (a construct's own metric) to the topic too. */
  track(alarm: Alarm): Alarm {
    return this.add(alarm);
  }

  private add(alarm: Alarm): Alarm {
    alarm.addAlarmAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }
}
