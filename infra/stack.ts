/**
 * The whole backend on AWS. This file only composes the constructs of `infra/constructs/`
 * (one per capability) and wires their outputs into each other and into the stack outputs.
 */
import { Annotations, CfnOutput, CfnRule, Duration, Fn, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct, IConstruct } from 'constructs';
import { API_ROUTES } from '../functions/routes';
import type { ApiFunction } from '../functions/routes';
import { IMAP_ALLOWED_PORTS } from '../shared/imap-allowed-ports';
import { SMTP_ALLOWED_PORTS } from '../shared/smtp-allowed-ports';
import type { DeploymentConfig } from './config';
import { Alarms } from './constructs/alarms';
import { DataLifecycle } from './constructs/data-lifecycle';
import { EgressNetwork } from './constructs/egress-network';
import { FunctionWithLogGroup } from './constructs/function-with-log-group';
import type { FunctionDefaults } from './constructs/function-with-log-group';
import { HttpApi, HttpMethod } from './constructs/http-api';
import { InboundMailboxPolling } from './constructs/inbound-mailbox-polling';
import { InboundAddressKey } from './constructs/inbound-address-key';
import { InboundReceiving } from './constructs/inbound-receiving';
import { InboundReconciler } from './constructs/inbound-reconciler';
import { MAIL_PREFIXES, MailBucket } from './constructs/mail-bucket';
import { MailDomainIdentity } from './constructs/mail-domain-identity';
import { MailTable } from './constructs/mail-table';
import { OAuthClients } from './constructs/oauth-clients';
import { OperationsDashboard } from './constructs/operations-dashboard';
import { OutboundSweeper } from './constructs/outbound-sweeper';
import { SecretsKey } from './constructs/secrets-key';
import { SendPipeline } from './constructs/send-pipeline';
import { DefaultProviderEvents } from './constructs/default-provider-events';

export interface RecruitingMailStackProps extends StackProps {
  readonly config: DeploymentConfig;
}

export class RecruitingMailStack extends Stack {
  readonly network: EgressNetwork;
  readonly table: MailTable;
  readonly secretsKey: SecretsKey;
  readonly inboundAddressKey: InboundAddressKey;
  readonly mailBucket: MailBucket;
  readonly senderIdentity: MailDomainIdentity;
  readonly inboundIdentity?: MailDomainIdentity;
  readonly sendPipeline: SendPipeline;
  readonly defaultProviderEvents: DefaultProviderEvents;
  readonly inbound: InboundReceiving;
  readonly inboundReconciler: InboundReconciler;
  readonly mailboxPolling: InboundMailboxPolling;
  readonly outboundSweeper: OutboundSweeper;
  readonly dashboard: OperationsDashboard;
  readonly api: HttpApi;
  readonly alarms: Alarms;
  readonly dataLifecycle: DataLifecycle;
  readonly functions: {
    readonly platform: FunctionWithLogGroup;
    readonly emailSettings: FunctionWithLogGroup;
    readonly candidates: FunctionWithLogGroup;
    readonly messages: FunctionWithLogGroup;
    readonly sendWorker: FunctionWithLogGroup;
    readonly inbound: FunctionWithLogGroup;
    readonly inboundReconciler: FunctionWithLogGroup;
    readonly outboundSweeper: FunctionWithLogGroup;
    readonly suppressionsApi: FunctionWithLogGroup;
    readonly deliveryEvents: FunctionWithLogGroup;
    readonly dataLifecycle: FunctionWithLogGroup;
    readonly dataLifecycleWorker: FunctionWithLogGroup;
    readonly erasureResume: FunctionWithLogGroup;
    readonly mailboxPollDispatcher: FunctionWithLogGroup;
    readonly mailboxPoller: FunctionWithLogGroup;
    readonly dataRetention: FunctionWithLogGroup;
  };

  constructor(scope: Construct, id: string, props: RecruitingMailStackProps) {
    super(scope, id, props);
    const { config } = props;
    const dataRemoval = config.dataRemovalPolicy;

    for (const key of config.examplesUsed) {
      Annotations.of(this).addWarningV2(
        `recruiting-mail:example-${key}`,
        `Context "${key}" is not set: using the documented example value. Pass -c ${key}=... before deploying.`,
      );
    }

    if (config.example) {
      // Synthesized from the documented example (-c example=true): CloudFormation evaluates this
      // rule before creating anything and refuses the deployment with its message.
      new CfnRule(this, 'ExampleNotDeployable', {
        assertions: [
          {
            assert: Fn.conditionEquals('example', 'deployment'),
            assertDescription: 'This template was synthesized with -c example=true (the documented example values). Synthesize without it, with your own settings, to deploy.',
          },
        ],
      });
    }

    const customResourceLogs = new LogGroup(this, 'CustomResourceLogs', { retention: config.logRetention, removalPolicy: dataRemoval });

    this.network = new EgressNetwork(this, 'EgressNetwork', {
      natGateways: config.natGateways,
      eipAllocationIds: config.egressEipAllocationIds,
      smtpPorts: SMTP_ALLOWED_PORTS,
      imapPorts: IMAP_ALLOWED_PORTS,
      logRetention: config.logRetention,
      logRemovalPolicy: dataRemoval,
      customResourceLogGroup: customResourceLogs,
    });
    this.table = new MailTable(this, 'MailTable', { removalPolicy: dataRemoval });
    this.secretsKey = new SecretsKey(this, 'SecretsKey', { removalPolicy: dataRemoval });
    this.inboundAddressKey = new InboundAddressKey(this, 'InboundAddressKey', { removalPolicy: dataRemoval });
    this.mailBucket = new MailBucket(this, 'MailBucket', {
      removalPolicy: dataRemoval,
      corsAllowedOrigins: config.corsAllowedOrigins,
      rawMailRetentionDays: config.rawMailRetentionDays,
    });
    if (config.inboundDomain !== config.defaultSenderDomain) {
      this.inboundIdentity = new MailDomainIdentity(this, 'InboundIdentity', { domain: config.inboundDomain });
    }

    const functionDefaults: FunctionDefaults = {
      logRetention: config.logRetention,
      logRemovalPolicy: dataRemoval,
      environment: {
        EGRESS_IPS: this.network.egressIpList,
        SMTP_ALLOWED_PORTS: SMTP_ALLOWED_PORTS.join(','),
        // Empty on AWS: no private range is ever a valid mail server destination.
        SMTP_ALLOWED_PRIVATE_CIDRS: '',
        INBOUND_DOMAIN: config.inboundDomain,
        DEFAULT_FROM_ADDRESS: config.defaultFromAddress,
        DEFAULT_SENDER_DOMAIN: config.defaultSenderDomain,
        TENANT_CLAIM: config.tenantClaim,
        ROLES_CLAIM: config.rolesClaim,
        LOG_LEVEL: 'INFO',
        ...defaultProviderEnvironment(config),
      },
    };

    this.defaultProviderEvents = new DefaultProviderEvents(this, 'DefaultProviderEvents', {
      configurationSetName: defaultProviderEnvironment(config).DEFAULT_PROVIDER_CONFIGURATION_SET,
      table: this.table.table,
      functionDefaults,
    });
    // Its default configuration set: even a send that names none publishes the events.
    this.senderIdentity = new MailDomainIdentity(this, 'DefaultSenderIdentity', {
      domain: config.defaultSenderDomain,
      customMailFrom: true,
      configurationSet: this.defaultProviderEvents.configurationSet,
    });

    this.sendPipeline = new SendPipeline(this, 'SendPipeline', {
      table: this.table.table,
      secretsKey: this.secretsKey.key,
      // Microsoft rotates refresh tokens on every refresh: with OAuth2 the worker encrypts the new one.
      secretsKeyAccess: config.oauth ? 'encryptDecrypt' : 'decrypt',
      mailBucket: this.mailBucket,
      senderIdentityName: config.defaultSenderDomain,
      network: this.network.functionNetwork,
      functionDefaults,
      maxConcurrency: config.concurrency.sendWorkerMax,
    });

    this.inbound = new InboundReceiving(this, 'InboundReceiving', {
      inboundDomain: config.inboundDomain,
      mailBucket: this.mailBucket,
      table: this.table.table,
      functionDefaults,
      customResourceLogGroup: customResourceLogs,
      activateRuleSet: config.activateReceiptRuleSet,
    });

    this.outboundSweeper = new OutboundSweeper(this, 'OutboundSweeper', {
      table: this.table.table,
      sendQueue: this.sendPipeline.queue,
      functionDefaults,
    });

    this.inboundReconciler = new InboundReconciler(this, 'InboundReconciler', {
      mailBucket: this.mailBucket,
      table: this.table.table,
      functionDefaults,
    });

    this.mailboxPolling = new InboundMailboxPolling(this, 'InboundMailboxPolling', {
      table: this.table.table,
      secretsKey: this.secretsKey.key,
      secretsKeyAccess: config.oauth ? 'encryptDecrypt' : 'decrypt',
      mailBucket: this.mailBucket,
      network: this.network.functionNetwork,
      functionDefaults,
    });

    const platform = new FunctionWithLogGroup(this, 'PlatformApi', {
      entry: 'functions/platform/api.ts',
      description: 'Health, OpenAPI document, egress IPs, provider presets',
      serviceName: 'platform',
      defaults: functionDefaults,
      memorySize: 256,
    });

    const emailSettings = new FunctionWithLogGroup(this, 'EmailSettingsApi', {
      entry: 'functions/email-settings/api.ts',
      description: 'Company email settings, SMTP test button, redirect test',
      serviceName: 'email-settings',
      defaults: functionDefaults,
      // The SMTP test answers within 15 s; API Gateway allows 30 s.
      timeout: Duration.seconds(29),
      network: this.network.functionNetwork,
    });
    emailSettings
      .bindTable({ table: this.table.table, accessMode: 'readWrite' })
      .bindKey({ key: this.secretsKey.key, accessMode: 'encryptDecrypt' })
      .allowSendingAs(config.defaultSenderDomain);
    this.defaultProviderEvents.allowSendingThrough(emailSettings);
    this.defaultProviderEvents.allowSendingThrough(this.sendPipeline.worker);

    const candidates = new FunctionWithLogGroup(this, 'CandidatesApi', {
      entry: 'functions/candidates/api.ts',
      description: 'Candidates directory',
      serviceName: 'candidates',
      defaults: functionDefaults,
    });
    candidates.bindTable({ table: this.table.table, accessMode: 'readWrite' });

    const messages = new FunctionWithLogGroup(this, 'MessagesApi', {
      entry: 'functions/messages/api.ts',
      description: 'Send candidate mail (enqueue), conversations, unassigned mail, assignment',
      serviceName: 'messages',
      defaults: functionDefaults,
      memorySize: 1024,
      timeout: Duration.seconds(29),
    });
    messages
      .bindTable({ table: this.table.table, accessMode: 'readWrite' })
      .bindSendQueue(this.sendPipeline.queue)
      .bindBucket({
        bucket: this.mailBucket.bucket,
        read: [MAIL_PREFIXES.outbound, MAIL_PREFIXES.attachments, MAIL_PREFIXES.bodies, MAIL_PREFIXES.uploads],
        // uploads/: the announcements, and the presigned PUTs are signed with this role.
        write: [MAIL_PREFIXES.outbound, MAIL_PREFIXES.bodies, MAIL_PREFIXES.uploads],
      });

    const senderReputation = new FunctionWithLogGroup(this, 'SuppressionsApi', {
      entry: 'functions/sender-reputation/api.ts',
      description: "The default provider's suppressed addresses per company",
      serviceName: 'suppressions',
      defaults: functionDefaults,
    });
    senderReputation.bindTable({ table: this.table.table, accessMode: 'readWrite', indexNames: [] });

    if (config.oauth) {
      const oauthClients = new OAuthClients(this, 'OAuthClients', { ...config.oauth, removalPolicy: dataRemoval });
      oauthClients.bind(emailSettings);
      oauthClients.bind(this.sendPipeline.worker);
      oauthClients.bind(this.mailboxPolling.poller);
    }

    this.dataLifecycle = new DataLifecycle(this, 'DataLifecycle', { table: this.table.table, mailBucket: this.mailBucket, functionDefaults });

    const apiFunctions: Record<ApiFunction, FunctionWithLogGroup> = {
      platform,
      'email-settings': emailSettings,
      candidates,
      messages,
      'sender-reputation': senderReputation,
      'data-lifecycle': this.dataLifecycle.api,
    };
    // Headroom: whatever a burst of mail does to the worker (capped above), these keep their
    // reserved share of the account's concurrency (when the operator reserves one).
    for (const fn of Object.values(apiFunctions)) fn.reserveConcurrency(config.concurrency.apiReserved);
    this.inbound.function.reserveConcurrency(config.concurrency.inboundReserved);
    this.functions = {
      platform,
      emailSettings,
      candidates,
      messages,
      sendWorker: this.sendPipeline.worker,
      inbound: this.inbound.function,
      inboundReconciler: this.inboundReconciler.function,
      outboundSweeper: this.outboundSweeper.function,
      suppressionsApi: senderReputation,
      deliveryEvents: this.defaultProviderEvents.function,
      dataLifecycle: this.dataLifecycle.api,
      dataLifecycleWorker: this.dataLifecycle.worker,
      erasureResume: this.dataLifecycle.resume,
      mailboxPollDispatcher: this.mailboxPolling.dispatcher,
      mailboxPoller: this.mailboxPolling.poller,
      dataRetention: this.dataLifecycle.retention,
    };

    this.api = new HttpApi(this, 'HttpApi', {
      jwtIssuer: config.jwtIssuer,
      jwtAudience: config.jwtAudience,
      throttle: config.apiThrottle,
      companyRate: config.companyApiRate,
      corsAllowedOrigins: config.corsAllowedOrigins,
      logRetention: config.logRetention,
      logRemovalPolicy: dataRemoval,
      // Derived from the operation specs, like the local server's (functions/routes.ts).
      routes: API_ROUTES.map((route) => ({
        method: HttpMethod[route.method],
        path: route.path,
        handler: apiFunctions[route.fn],
        public: route.public === true,
      })),
    });

    // Who shows, uses or reads an inbound address derives it.
    for (const fn of [emailSettings, this.sendPipeline.worker, this.inbound.function, this.inboundReconciler.function, this.mailboxPolling.poller]) {
      this.inboundAddressKey.bind(fn);
    }

    this.alarms = new Alarms(this, 'Alarms', { alarmEmail: config.alarmEmail });
    for (const [name, fn] of Object.entries(this.functions)) this.alarms.onFunctionErrors(capitalize(name), fn);
    this.alarms.onDeadLetters('SendQueue', this.sendPipeline.deadLetterQueue);
    this.alarms.onDeadLetters('InboundFailures', this.inbound.deadLetterQueue);
    this.alarms.onDeadLetters('InboundReconcileFailures', this.inboundReconciler.deadLetterQueue);
    this.alarms.onDeadLetters('DeliveryEvents', this.defaultProviderEvents.deadLetterQueue);
    this.alarms.onSesAccountReputation({ bounceRate: config.defaultProviderGuard.maxBounceRate, complaintRate: config.defaultProviderGuard.maxComplaintRate });
    this.alarms.track(this.defaultProviderEvents.pausedAlarm(this.alarms, 'DefaultProviderPaused'));
    this.alarms.onDeadLetters('DataLifecycleJobs', this.dataLifecycle.deadLetterQueue);
    this.alarms.onDeadLetters('MailboxPolls', this.mailboxPolling.deadLetterQueue);
    this.alarms.onQueueBacklog('SendQueue', this.sendPipeline.queue, Duration.minutes(15));
    this.alarms.track(this.inboundReconciler.alarmOnFinds(this.alarms, 'InboundReconcilerFinds'));
    this.dashboard = new OperationsDashboard(this, 'Operations', {
      reconciledMetric: this.inboundReconciler.reconciledMetric,
      deadLetterQueues: { send: this.sendPipeline.deadLetterQueue, inbound: this.inbound.deadLetterQueue },
    });
    this.alarms.track(this.dashboard.fallbackRateAlarm);

    this.addOutputs(config);
    suppressCdkProviderFindings(this);
  }

  private addOutputs(config: DeploymentConfig): void {
    const output = (id: string, value: string, description: string): CfnOutput => new CfnOutput(this, id, { value, description });
    output('ApiUrl', this.api.url, 'Base URL of the HTTP API (routes start with /v1)');
    output('EgressIps', this.network.egressIpList, "Fixed egress IPs: customers allowlist these on their mail servers' firewalls");
    output(
      'InboundMxRecord',
      `${config.inboundDomain} MX 10 inbound-smtp.${this.region}.amazonaws.com`,
      'DNS record to create so SES receives mail for the inbound domain',
    );
    if (this.inbound.activation) {
      output('ActiveReceiptRuleSet', this.inbound.ruleSet.receiptRuleSetName, 'SES receipt rule set this stack activated (one active per account and region)');
    } else {
      output(
        'ReceiptRuleSetName',
        this.inbound.ruleSet.receiptRuleSetName,
        'SES receipt rule set of this stack, NOT active: activate it (aws ses set-active-receipt-rule-set) or copy its rule into the active set (see README)',
      );
    }
    this.senderIdentity.dkimRecords().forEach((record, index) =>
      output(`SenderDkimRecord${index + 1}`, record, `Easy DKIM CNAME ${index + 1}/3 for ${config.defaultSenderDomain} (verifies the SES identity)`),
    );
    const [mailFromMx, mailFromSpf] = this.senderIdentity.mailFromRecords();
    output('SenderMailFromMxRecord', mailFromMx!, `Custom MAIL FROM MX for ${config.defaultSenderDomain} (bounces)`);
    output('SenderMailFromSpfRecord', mailFromSpf!, `Custom MAIL FROM SPF for ${config.defaultSenderDomain}`);
    this.inboundIdentity?.dkimRecords().forEach((record, index) =>
      output(`InboundDkimRecord${index + 1}`, record, `Easy DKIM CNAME ${index + 1}/3 for ${config.inboundDomain} (SES receives only for verified domains)`),
    );
    output('MailBucketName', this.mailBucket.bucket.bucketName, 'Raw inbound mail (inbound/) and attachments');
    output('TableName', this.table.table.tableName, 'DynamoDB table');
    output('SendDeadLetterQueueUrl', this.sendPipeline.deadLetterQueue.queueUrl, 'Messages the send worker gave up on');
    output('InboundDeadLetterQueueUrl', this.inbound.deadLetterQueue.queueUrl, 'SES events the inbound function failed on (replay them)');
    output('DefaultProviderConfigurationSet', this.defaultProviderEvents.configurationSet.configurationSetName, 'SES configuration set of the default provider (its events update messages, suppressions and the guard)');
    output('DeliveryEventsDeadLetterQueueUrl', this.defaultProviderEvents.deadLetterQueue.queueUrl, 'SES delivery events that could not be applied (malformed, or failing); inspect and replay');
    output('AlarmTopicArn', this.alarms.topic.topicArn, 'SNS topic of all alarms');
  }
}

/** The default provider's configuration set and the reputation guard's thresholds, for every function. */
function defaultProviderEnvironment(config: DeploymentConfig) {
  return {
    DEFAULT_PROVIDER_CONFIGURATION_SET: `${config.stackName}-default-provider`,
    DEFAULT_PROVIDER_MAX_BOUNCE_RATE: String(config.defaultProviderGuard.maxBounceRate),
    DEFAULT_PROVIDER_MAX_COMPLAINT_RATE: String(config.defaultProviderGuard.maxComplaintRate),
    DEFAULT_PROVIDER_MIN_SENDS: String(config.defaultProviderGuard.minSends),
    DEFAULT_PROVIDER_WINDOW_DAYS: String(config.defaultProviderGuard.windowDays),
  };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * CDK's own provider functions (AwsCustomResource, the VPC default-security-group cleanup,
 * S3 auto-delete) are singletons created directly under the stack: their findings are
 * suppressed here, with reasons, because their code and role come from aws-cdk-lib.
 */
function suppressCdkProviderFindings(stack: Stack): void {
  for (const child of stack.node.children) {
    if (child.node.id.startsWith('BucketNotificationsHandler')) suppressBucketNotificationsHandlerFindings(child);
    const isProvider = child.node.id.startsWith('AWS679f53fac002430cb0da5b7982bd2287') || /^Custom::.*Provider$/.test(child.node.id);
    if (!isProvider) continue;
    NagSuppressions.addResourceSuppressions(
      child,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason: 'aws-cdk-lib provider function: its role uses AWSLambdaBasicExecutionRole to write its own logs.',
          appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
        },
        { id: 'AwsSolutions-L1', reason: 'aws-cdk-lib chooses the runtime of its provider functions.' },
      ],
      true,
    );
  }
}

/** aws-cdk-lib's handler that writes the mail bucket's event notification (S3 → reconcile queue). */
function suppressBucketNotificationsHandlerFindings(handler: IConstruct): void {
  NagSuppressions.addResourceSuppressions(
    handler,
    [
      {
        id: 'AwsSolutions-IAM4',
        reason: 'aws-cdk-lib bucket-notifications handler: its role uses AWSLambdaBasicExecutionRole to write its own logs.',
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      },
      { id: 'AwsSolutions-IAM5', reason: 'aws-cdk-lib bucket-notifications handler: s3:PutBucketNotification is granted on * by the library.', appliesTo: ['Resource::*'] },
    ],
    true,
  );
}
