/**
 * One CloudWatch dashboard for the mail paths, from the functions' EMF metrics (namespace
 * `RecruitingMail`, written through Powertools) and the queues' own metrics: sends by provider
 * and outcome, fallbacks by code, inbound filings by result and by how they matched, what the
 * reconciler and the sweeper settled, and the dead-letter queues' depth. Plus an alarm on the
 * fallback rate: many fallbacks mean company servers are failing (or our egress is blocked).
 */
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../shared/ops-metrics';

export interface OperationsDashboardProps {
  readonly deadLetterQueues: Record<string, IQueue>;
  /** The inbound reconciler's `InboundReconciled` (its alarm's metric), shown per dashboard period. */
  readonly reconciledMetric: Metric;
  /** Fallbacks per send above which the fallback-rate alarm fires. @default 0.2 */
  readonly fallbackRateThreshold?: number;
}

const PERIOD = Duration.minutes(5);

/** Every metric of a name, whatever its dimensions (a CloudWatch SEARCH). */
const all = (service: string, metricName: string, dimensions: string[], label: string): IMetric =>
  new MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},service,${dimensions.join(',')}} service="${service}" MetricName="${metricName}"', 'Sum', ${PERIOD.toSeconds()})`,
    label,
    period: PERIOD,
  });

export class OperationsDashboard extends Construct {
  readonly dashboard: Dashboard;
  readonly fallbackRateAlarm: Alarm;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const sum = (metricName: string, service: string, dimensionsMap: Record<string, string> = {}) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service, ...dimensionsMap }, statistic: 'Sum', period: PERIOD });

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(24) });
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Sends by provider and outcome', left: [all('send-worker', 'Sends', ['provider', 'outcome'], 'sends')], width: 12 }),
      new GraphWidget({ title: 'Fallbacks to the default provider, by code', left: [all('send-worker', 'Fallbacks', ['code'], 'fallbacks')], width: 12 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'OAuth2 sign-ins that stopped working (deliveries), by code', left: [all('send-worker', 'OAuthTokenFailures', ['code'], 'oauth')], width: 12 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Inbound filings by result (filed, unassigned, quarantined, duplicate)', left: [all('inbound', 'InboundFilings', ['result'], 'filings')], width: 12 }),
      new GraphWidget({ title: 'Inbound matches by match.by', left: [all('inbound', 'InboundMatches', ['by'], 'matches')], width: 12 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Repaired after faults: reconciled inbound mail, swept outbound messages',
        left: [props.reconciledMetric.with({ period: PERIOD }), all('outbound-sweeper', 'OutboundSwept', ['outcome'], 'swept')],
        width: 12,
      }),
      new GraphWidget({
        title: 'Dead-lettered (messages waiting in the dead-letter queues)',
        left: Object.entries(props.deadLetterQueues).map(([label, queue]) =>
          queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum', label }),
        ),
        width: 12,
      }),
    );

    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Default provider: permanent bounces and complaints, by company',
        left: [all('delivery-events', 'DefaultProviderBounces', ['company'], 'bounces'), all('delivery-events', 'DefaultProviderComplaints', ['company'], 'complaints')],
        width: 12,
      }),
      new GraphWidget({
        title: "Default provider: companies paused by the reputation guard, and the account's own SES reputation",
        left: [all('delivery-events', 'DefaultProviderPaused', ['company'], 'paused'), all('send-worker', 'DefaultProviderPaused', ['company'], 'paused')],
        right: [
          new Metric({ namespace: 'AWS/SES', metricName: 'Reputation.BounceRate', statistic: 'Maximum', period: Duration.hours(1), label: 'account bounce rate' }),
          new Metric({ namespace: 'AWS/SES', metricName: 'Reputation.ComplaintRate', statistic: 'Maximum', period: Duration.hours(1), label: 'account complaint rate' }),
        ],
        width: 12,
      }),
    );

    const window = Duration.minutes(15);
    const rate = new MathExpression({
      expression: 'IF(sent >= 10, fallbacks / sent, 0)',
      usingMetrics: {
        sent: sum('MessagesSent', 'send-worker').with({ period: window }),
        fallbacks: sum('MessagesFallenBack', 'send-worker').with({ period: window }),
      },
      period: window,
      label: 'fallbacks per sent message',
    });
    this.fallbackRateAlarm = new Alarm(this, 'FallbackRate', {
      alarmDescription: 'More than a fifth of sent messages fell back to the default provider in 15 minutes: company servers are failing or refusing us',
      metric: rate,
      threshold: props.fallbackRateThreshold ?? 0.2,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
