/**
 * SES receiving for the inbound domain: one receipt rule that first stores the raw message in
 * the mail bucket under `inbound/` (the Lambda action alone carries no body) and then invokes
 * the inbound function asynchronously (`Event`). Spam/virus scanning is on and TLS is
 * required. Failed invocations (after Lambda's retries) land in a dead-letter queue; the raw
 * mail stays in S3, so nothing is lost and the message can be replayed.
 *
 * SES has ONE active rule set per account and region. Only with `activateRuleSet` (the
 * operator's explicit choice) does a custom resource activate this one
 * (`SES.setActiveReceiptRuleSet`, which replaces whatever was active) and deactivate it when
 * the stack is deleted; otherwise the rule set is created inactive, to be activated or merged
 * by the operator.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { ReceiptRuleSet, TlsPolicy } from 'aws-cdk-lib/aws-ses';
import type { IReceiptRuleAction, ReceiptRule } from 'aws-cdk-lib/aws-ses';
import { LambdaInvocationType } from 'aws-cdk-lib/aws-ses-actions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { newDeadLetterQueue } from './dead-letter-queue';
import { FunctionWithLogGroup } from './function-with-log-group';
import type { FunctionDefaults } from './function-with-log-group';
import { MAIL_PREFIXES } from './mail-bucket';
import type { MailBucket } from './mail-bucket';

export interface InboundReceivingProps {
  /** Mail to any address at this domain is received. */
  readonly inboundDomain: string;
  readonly mailBucket: MailBucket;
  readonly table: ITable;
  readonly functionDefaults: FunctionDefaults;
  /** Log group of the AwsCustomResource provider (shared by the stack's custom resources). */
  readonly customResourceLogGroup: ILogGroup;
  /** @default `<stackName>-inbound` */
  readonly ruleSetName?: string;
  /** @default entry `functions/inbound/receive.ts` */
  readonly entry?: string;
  /** Make this rule set the account's active one, replacing the active one. @default false */
  readonly activateRuleSet?: boolean;
}

export class InboundReceiving extends Construct {
  readonly function: FunctionWithLogGroup;
  /** Events the inbound function failed on after all retries (the raw mail stays in S3). */
  readonly deadLetterQueue: Queue;
  readonly ruleSet: ReceiptRuleSet;
  readonly rule: ReceiptRule;
  /** Present only when the stack activates its rule set (`activateRuleSet`). */
  readonly activation?: AwsCustomResource;

  constructor(scope: Construct, id: string, props: InboundReceivingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const ruleSetName = props.ruleSetName ?? `${stack.stackName}-inbound`;
    const ruleName = 'store-and-file';

    this.deadLetterQueue = newDeadLetterQueue(this, 'the dead-letter destination of the inbound function');

    this.function = new FunctionWithLogGroup(this, 'ReceiveFunction', {
      entry: props.entry ?? 'functions/inbound/receive.ts',
      description: 'Files mail received by SES under the candidate or as unassigned',
      serviceName: 'inbound',
      defaults: props.functionDefaults,
      // Parsing streams attachments out, but a 40 MB message still needs headroom.
      memorySize: 1024,
      timeout: Duration.minutes(2),
      onFailure: new SqsDestination(this.deadLetterQueue),
      maxEventAge: Duration.hours(6),
      retryAttempts: 2,
    });
    this.function
      .bindTable({ table: props.table, accessMode: 'readWrite' })
      .bindBucket({
        bucket: props.mailBucket.bucket,
        read: [MAIL_PREFIXES.inbound],
        write: [MAIL_PREFIXES.attachments, MAIL_PREFIXES.bodies, MAIL_PREFIXES.inboundFiled],
      });

    this.ruleSet = new ReceiptRuleSet(this, 'RuleSet', { receiptRuleSetName: ruleSetName });

    // SES checks both permissions when the rule is created, so the rule depends on them.
    props.mailBucket.allowSesReceiptRule(ruleSetName, ruleName);
    const ruleArn = stack.formatArn({ service: 'ses', resource: 'receipt-rule-set', resourceName: `${ruleSetName}:receipt-rule/${ruleName}` });
    this.function.addPermission('AllowSesReceiptRuleInvoke', {
      principal: new ServicePrincipal('ses.amazonaws.com'),
      action: 'lambda:InvokeFunction',
      sourceAccount: stack.account,
      sourceArn: ruleArn,
    });

    const storeRawMail: IReceiptRuleAction = {
      bind: () => ({
        s3Action: { bucketName: props.mailBucket.bucket.bucketName, objectKeyPrefix: MAIL_PREFIXES.inbound },
      }),
    };
    const invokeInboundFunction: IReceiptRuleAction = {
      bind: () => ({
        lambdaAction: { functionArn: this.function.functionArn, invocationType: LambdaInvocationType.EVENT },
      }),
    };
    this.rule = this.ruleSet.addRule('StoreAndFile', {
      receiptRuleName: ruleName,
      recipients: [props.inboundDomain],
      scanEnabled: true,
      tlsPolicy: TlsPolicy.REQUIRE,
      enabled: true,
      // Order matters: the raw message must be in S3 before the function looks for it.
      actions: [storeRawMail, invokeInboundFunction],
    });
    const bucketPolicy = props.mailBucket.bucket.policy;
    if (bucketPolicy !== undefined) this.rule.node.addDependency(bucketPolicy);
    const permission = this.function.permissionsNode.tryFindChild('AllowSesReceiptRuleInvoke');
    if (permission !== undefined) this.rule.node.addDependency(permission);

    if (!props.activateRuleSet) return;
    this.activation = new AwsCustomResource(this, 'ActivateRuleSet', {
      resourceType: 'Custom::SesActiveReceiptRuleSet',
      onCreate: {
        service: 'SES',
        action: 'setActiveReceiptRuleSet',
        parameters: { RuleSetName: ruleSetName },
        physicalResourceId: PhysicalResourceId.of(`${ruleSetName}-active`),
      },
      onUpdate: {
        service: 'SES',
        action: 'setActiveReceiptRuleSet',
        parameters: { RuleSetName: ruleSetName },
        physicalResourceId: PhysicalResourceId.of(`${ruleSetName}-active`),
      },
      // Without a name SES deactivates the active rule set, so the rule set can be deleted.
      onDelete: { service: 'SES', action: 'setActiveReceiptRuleSet', parameters: {} },
      policy: AwsCustomResourcePolicy.fromStatements([
        new PolicyStatement({ actions: ['ses:SetActiveReceiptRuleSet'], resources: ['*'] }),
      ]),
      installLatestAwsSdk: false,
      logGroup: props.customResourceLogGroup,
    });
    this.activation.node.addDependency(this.rule);
    NagSuppressions.addResourceSuppressions(
      this.activation,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason: 'ses:SetActiveReceiptRuleSet has no resource-level permissions, and the deactivating call on delete names no rule set.',
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
  }
}
