/**
 * The synthesized template with the documented example context (EXAMPLE_CONTEXT plus an
 * alarm e-mail): network and egress, data stores, SES receiving, API, least-privilege IAM,
 * alarms, outputs, and no unsuppressed cdk-nag finding.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { App, RemovalPolicy, Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EXAMPLE_CONTEXT } from '../../infra/config';
import { TABLE_LAYOUT } from '../../shared/table-layout';
import { PROJECT_ROOT } from '../../infra/bundling/function-bundle';
import { MailBucket } from '../../infra/constructs/mail-bucket';
import { SEND_RECORD_BUDGET_MS, SEND_WORKER_TIMEOUT_SECONDS } from '../../shared/messages/send-worker-budget';
import { arnOf, arnWithSuffix, statementsOfRole, synthStack } from './synth-stack';
import type { SynthesizedStack } from './synth-stack';

const sesIdentityArn = (domain: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:identity/${domain}`]],
});
/** The example stack's configuration set (`<stackName>-default-provider`). */
const CONFIGURATION_SET = 'RecruitingMailBackend-default-provider';
const configurationSetArn = () => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':configuration-set/', { Ref: synth.logicalId(synth.stack.defaultProviderEvents.configurationSet) }]],
});
/** Sending as the default sender identity, through its configuration set (SES authorizes both). */
const sendThroughDefaultProvider = () => ({
  Action: ['ses:SendEmail', 'ses:SendRawEmail'],
  Effect: 'Allow',
  Resource: [configurationSetArn(), sesIdentityArn(EXAMPLE_CONTEXT.defaultSenderDomain)],
});
const XRAY_AND_ENI = {
  Action: [
    'ec2:AssignPrivateIpAddresses',
    'ec2:CreateNetworkInterface',
    'ec2:DeleteNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeSubnets',
    'ec2:UnassignPrivateIpAddresses',
    'xray:PutTelemetryRecords',
    'xray:PutTraceSegments',
  ],
  Effect: 'Allow',
  Resource: '*',
};
const TABLE_READ_WRITE = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
];

let synth: SynthesizedStack;
let ids: {
  table: string;
  key: string;
  bucket: string;
  sendQueue: string;
  sendDlq: string;
  inboundDlq: string;
  pollQueue: string;
  pollDlq: string;
  eip: string;
};

before(() => {
  // Reservations are off by default (config.test.ts); here they are asked for, to see them land.
  synth = synthStack({ ...EXAMPLE_CONTEXT, alarmEmail: 'ops@example.com', apiReservedConcurrency: 20, inboundReservedConcurrency: 10 });
  const { stack } = synth;
  ids = {
    table: synth.logicalId(stack.table.table),
    key: synth.logicalId(stack.secretsKey.key),
    bucket: synth.logicalId(stack.mailBucket.bucket),
    sendQueue: synth.logicalId(stack.sendPipeline.queue),
    sendDlq: synth.logicalId(stack.sendPipeline.deadLetterQueue),
    inboundDlq: synth.logicalId(stack.inbound.deadLetterQueue),
    pollQueue: synth.logicalId(stack.mailboxPolling.queue),
    pollDlq: synth.logicalId(stack.mailboxPolling.deadLetterQueue),
    eip: synth.logicalId(stack.network.allocatedEips[0]!),
  };
});

describe('cdk-nag AwsSolutions', () => {
  it('leaves no unsuppressed error or warning', () => {
    assert.deepEqual(synth.nagErrors, []);
    assert.deepEqual(synth.nagWarnings, []);
  });
});

describe('egress network', () => {
  it('allocates one Elastic IP that is retained when the stack is deleted', () => {
    const eips = synth.template.findResources('AWS::EC2::EIP');
    assert.deepEqual(Object.keys(eips), [ids.eip]);
    assert.equal(eips[ids.eip]!.DeletionPolicy, 'Retain');
    assert.equal(eips[ids.eip]!.UpdateReplacePolicy, 'Retain');
  });

  it('puts one NAT gateway on that Elastic IP', () => {
    synth.template.resourceCountIs('AWS::EC2::NatGateway', 1);
    synth.template.hasResourceProperties('AWS::EC2::NatGateway', { AllocationId: { 'Fn::GetAtt': [ids.eip, 'AllocationId'] } });
  });

  it('has gateway endpoints for DynamoDB and S3 on the private route tables', () => {
    const endpoints = Object.values(synth.template.findResources('AWS::EC2::VPCEndpoint'));
    assert.equal(endpoints.length, 2);
    const services = endpoints.map((endpoint) => JSON.stringify(endpoint.Properties.ServiceName)).sort();
    assert.match(services[0]!, /\.dynamodb/);
    assert.match(services[1]!, /\.s3/);
    for (const endpoint of endpoints) {
      assert.equal(endpoint.Properties.VpcEndpointType, 'Gateway');
      assert.equal(endpoint.Properties.RouteTableIds.length, 4, 'public and private route tables of both AZs');
    }
  });

  it('runs the settings function, the send worker and the mailbox poller in the private subnets, the others outside the VPC', () => {
    const privateSubnets = synth.stack.network.vpc.privateSubnets.map((subnet) => ({ Ref: synth.logicalId(subnet) }));
    const securityGroup = { 'Fn::GetAtt': [synth.logicalId(synth.stack.network.smtpClientSecurityGroup), 'GroupId'] };
    const { functions } = synth.stack;
    for (const fn of [functions.emailSettings, functions.sendWorker, functions.mailboxPoller]) {
      const props = synth.json.Resources[synth.logicalId(fn)]!.Properties;
      assert.deepEqual(props.VpcConfig, { SecurityGroupIds: [securityGroup], SubnetIds: privateSubnets });
    }
    for (const fn of [functions.platform, functions.candidates, functions.messages, functions.inbound, functions.mailboxPollDispatcher]) {
      assert.equal(synth.json.Resources[synth.logicalId(fn)]!.Properties.VpcConfig, undefined);
    }
  });

  it('lets those functions out only to the SMTP and IMAP ports and HTTPS, and nothing in', () => {
    const sg = synth.json.Resources[synth.logicalId(synth.stack.network.smtpClientSecurityGroup)]!.Properties;
    assert.equal(sg.SecurityGroupIngress, undefined);
    const ports = (sg.SecurityGroupEgress as Array<{ FromPort: number; ToPort: number; IpProtocol: string; CidrIp: string }>)
      .map((rule) => `${rule.IpProtocol}:${rule.FromPort}-${rule.ToPort}:${rule.CidrIp}`)
      .sort();
    assert.deepEqual(ports, [
      'tcp:143-143:0.0.0.0/0',
      'tcp:25-25:0.0.0.0/0',
      'tcp:2525-2525:0.0.0.0/0',
      'tcp:443-443:0.0.0.0/0',
      'tcp:465-465:0.0.0.0/0',
      'tcp:587-587:0.0.0.0/0',
      'tcp:993-993:0.0.0.0/0',
    ]);
  });

  it('logs VPC flows', () => {
    synth.template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
  });
});

describe('functions', () => {
  it('all run nodejs22.x on arm64 with active tracing, source maps and their own log group with retention', () => {
    const functions = Object.values(synth.stack.functions);
    assert.equal(functions.length, 16);
    for (const fn of functions) {
      const props = synth.json.Resources[synth.logicalId(fn)]!.Properties;
      assert.equal(props.Runtime, 'nodejs22.x');
      assert.deepEqual(props.Architectures, ['arm64']);
      assert.deepEqual(props.TracingConfig, { Mode: 'Active' });
      assert.equal(props.Environment.Variables.NODE_OPTIONS, '--enable-source-maps');
      const logGroupId = props.LoggingConfig.LogGroup.Ref as string;
      assert.equal(synth.json.Resources[logGroupId]!.Properties.RetentionInDays, 30);
    }
  });

  it('get the common environment, with EGRESS_IPS wired from the Elastic IP', () => {
    for (const fn of Object.values(synth.stack.functions)) {
      const env = synth.json.Resources[synth.logicalId(fn)]!.Properties.Environment.Variables;
      assert.deepEqual(env.EGRESS_IPS, { 'Fn::GetAtt': [ids.eip, 'PublicIp'] });
      assert.equal(env.SMTP_ALLOWED_PORTS, '25,465,587,2525');
      assert.equal(env.SMTP_ALLOWED_PRIVATE_CIDRS, '');
      assert.equal(env.INBOUND_DOMAIN, EXAMPLE_CONTEXT.inboundDomain);
      assert.equal(env.DEFAULT_FROM_ADDRESS, EXAMPLE_CONTEXT.defaultFromAddress);
      assert.equal(env.DEFAULT_SENDER_DOMAIN, EXAMPLE_CONTEXT.defaultSenderDomain);
      assert.equal(env.TENANT_CLAIM, 'company_id');
      assert.equal(env.ROLES_CLAIM, 'roles');
      assert.equal(env.LOG_LEVEL, 'INFO');
      assert.equal(typeof env.POWERTOOLS_SERVICE_NAME, 'string');
    }
    const env = (fn: keyof SynthesizedStack['stack']['functions']) =>
      synth.json.Resources[synth.logicalId(synth.stack.functions[fn])]!.Properties.Environment.Variables;
    assert.deepEqual(env('messages').SEND_QUEUE_URL, { Ref: ids.sendQueue });
    assert.deepEqual(env('messages').MAIL_BUCKET, { Ref: ids.bucket });
    assert.deepEqual(env('emailSettings').KMS_KEY_ID, arnOf(ids.key));
    assert.deepEqual(env('sendWorker').KMS_KEY_ID, arnOf(ids.key));
    assert.deepEqual(env('inbound').TABLE_NAME, { Ref: ids.table });
    assert.equal(env('platform').TABLE_NAME, undefined, 'the platform function has no table access');
  });
});

describe('data', () => {
  it('single table: pk/sk, gsi1, TTL expiresAt, PITR, deletion protection, encryption, retained', () => {
    const table = synth.json.Resources[ids.table]!;
    assert.equal(table.DeletionPolicy, 'Retain');
    assert.deepEqual(table.Properties.KeySchema, [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    assert.deepEqual(table.Properties.GlobalSecondaryIndexes, [
      {
        IndexName: 'gsi1',
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        // Only what lists show: no bodies, references or evidence (every message write would copy them).
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...TABLE_LAYOUT.gsi1.projected] },
      },
    ]);
    const projected = table.Properties.GlobalSecondaryIndexes[0].Projection.NonKeyAttributes as string[];
    for (const left of ['text', 'html', 'references', 'evidence', 'rawKey', 'sendingSince']) assert.equal(projected.includes(left), false, left);
    assert.deepEqual(table.Properties.TimeToLiveSpecification, { AttributeName: 'expiresAt', Enabled: true });
    assert.deepEqual(table.Properties.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
    assert.equal(table.Properties.DeletionProtectionEnabled, true);
    assert.deepEqual(table.Properties.SSESpecification, { SSEEnabled: true });
  });

  it('KMS key for SMTP passwords rotates and is retained', () => {
    const key = synth.json.Resources[ids.key]!;
    assert.equal(key.Properties.EnableKeyRotation, true);
    assert.equal(key.DeletionPolicy, 'Retain');
  });

  it('inbound addresses are derived with a retained KMS HMAC key, given to the functions that show, use or read them', () => {
    const keyId = synth.logicalId(synth.stack.inboundAddressKey.key);
    const key = synth.json.Resources[keyId]!;
    assert.equal(key.Properties.KeySpec, 'HMAC_256');
    assert.equal(key.Properties.KeyUsage, 'GENERATE_VERIFY_MAC');
    assert.equal(key.DeletionPolicy, 'Retain');
    const withKey = Object.entries(synth.stack.functions)
      .filter(([, fn]) => synth.json.Resources[synth.logicalId(fn)]!.Properties.Environment.Variables.INBOUND_ADDRESS_KEY_ID)
      .map(([name]) => name)
      .sort();
    assert.deepEqual(withKey, ['emailSettings', 'inbound', 'inboundReconciler', 'mailboxPoller', 'sendWorker']);
  });

  it('mail bucket is private, encrypted, TLS-only, access-logged and retained', () => {
    const bucket = synth.json.Resources[ids.bucket]!;
    assert.equal(bucket.DeletionPolicy, 'Retain');
    assert.deepEqual(bucket.Properties.PublicAccessBlockConfiguration, {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    assert.deepEqual(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration, [
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
    ]);
    assert.ok(bucket.Properties.LoggingConfiguration.DestinationBucketName);
    synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: ids.bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Resource: [arnOf(ids.bucket), arnWithSuffix(ids.bucket, '/*')],
          },
        ]),
      },
    });
  });

  it('unused attachment uploads expire after a day (lifecycle rule on uploads/)', () => {
    const rules = synth.json.Resources[ids.bucket]!.Properties.LifecycleConfiguration.Rules as any[];
    const uploads = rules.find((rule) => rule.Prefix === 'uploads/');
    assert.deepEqual(uploads, { Id: 'ExpireUnusedUploads', Prefix: 'uploads/', ExpirationInDays: 1, Status: 'Enabled' });
  });

  it('a browser on an allowed origin may PUT a presigned upload, and nothing else (CORS from corsAllowedOrigins, as the API)', () => {
    const cors = synth.json.Resources[ids.bucket]!.Properties.CorsConfiguration;
    assert.deepEqual(cors, {
      CorsRules: [
        {
          AllowedOrigins: ['http://localhost:5173', 'http://localhost:3001'],
          AllowedMethods: ['PUT'],
          AllowedHeaders: ['content-type'],
          MaxAge: 600,
        },
      ],
    });
    // The access-log bucket is never a browser's business.
    const logs = synth.json.Resources[synth.logicalId(synth.stack.mailBucket.accessLogsBucket)]!;
    assert.equal(logs.Properties.CorsConfiguration, undefined);
  });

  it('the mail bucket has no CORS rule when no origin is allowed', () => {
    // cdk.json's feature flags, as the app synthesizes with them.
    const { context } = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
    const stack = new Stack(new App({ context }), 'BucketOnly');
    const bucket = new MailBucket(stack, 'MailBucket', { removalPolicy: RemovalPolicy.RETAIN, corsAllowedOrigins: [] });
    const resource = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(bucket.bucket.node.defaultChild as CfnElement)];
    assert.equal(resource.Properties.CorsConfiguration, undefined);
  });

  it('raw inbound mail and its marks expire after rawMailRetentionDays (30 by default), exports after a day', () => {
    const rules = synth.json.Resources[ids.bucket]!.Properties.LifecycleConfiguration.Rules as any[];
    for (const prefix of ['inbound/', 'inbound-filed/', 'inbound-envelopes/']) {
      assert.deepEqual(rules.find((rule) => rule.Prefix === prefix), { Id: `ExpireRawMail-${prefix.slice(0, -1)}`, Prefix: prefix, ExpirationInDays: 30, Status: 'Enabled' });
    }
    assert.deepEqual(rules.find((rule) => rule.Prefix === 'exports/'), { Id: 'ExpireExports', Prefix: 'exports/', ExpirationInDays: 1, Status: 'Enabled' });
    const shorter = synthStack({ ...EXAMPLE_CONTEXT, rawMailRetentionDays: '7' });
    const bucket = shorter.json.Resources[shorter.logicalId(shorter.stack.mailBucket.bucket)]!;
    assert.equal((bucket.Properties.LifecycleConfiguration.Rules as any[]).find((rule) => rule.Prefix === 'inbound/').ExpirationInDays, 7);
  });

  it('SES may put raw mail under inbound/ only from this account and this receipt rule', () => {
    const ruleArn = {
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':receipt-rule-set/RecruitingMailBackend-inbound:receipt-rule/store-and-file'],
      ],
    };
    synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: ids.bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowSesReceiptRulePutInbound',
            Action: 's3:PutObject',
            Effect: 'Allow',
            Principal: { Service: 'ses.amazonaws.com' },
            Resource: arnWithSuffix(ids.bucket, '/inbound/*'),
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': ruleArn } },
          },
        ]),
      },
    });
    synth.template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: arnOf(synth.logicalId(synth.stack.functions.inbound)),
      Principal: 'ses.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
      SourceArn: ruleArn,
    });
  });
});

describe('SES receiving', () => {
  it('one rule for the inbound domain: S3 action first, then the inbound function as Event; scan and TLS on', () => {
    const rules = Object.values(synth.template.findResources('AWS::SES::ReceiptRule'));
    assert.equal(rules.length, 1);
    const rule = rules[0]!;
    assert.deepEqual(rule.Properties.Rule, {
      Name: 'store-and-file',
      Enabled: true,
      Recipients: [EXAMPLE_CONTEXT.inboundDomain],
      ScanEnabled: true,
      TlsPolicy: 'Require',
      Actions: [
        { S3Action: { BucketName: { Ref: ids.bucket }, ObjectKeyPrefix: 'inbound/' } },
        { LambdaAction: { FunctionArn: arnOf(synth.logicalId(synth.stack.functions.inbound)), InvocationType: 'Event' } },
      ],
    });
    // SES validates both permissions when it creates the rule.
    const bucketPolicyId = synth.logicalId(synth.stack.mailBucket.bucket.policy!);
    assert.ok(rule.DependsOn.includes(bucketPolicyId));
    assert.ok(rule.DependsOn.some((id: string) => synth.json.Resources[id]!.Type === 'AWS::Lambda::Permission'));
  });

  it('creates the rule set without activating it (activateReceiptRuleSet defaults to false) and says so in the outputs', () => {
    synth.template.hasResourceProperties('AWS::SES::ReceiptRuleSet', { RuleSetName: 'RecruitingMailBackend-inbound' });
    assert.equal(Object.values(synth.json.Resources).filter((resource) => resource.Type === 'Custom::SesActiveReceiptRuleSet').length, 0);
    assert.equal(synth.stack.inbound.activation, undefined);
    assert.equal(synth.json.Outputs.ActiveReceiptRuleSet, undefined);
    assert.match(synth.json.Outputs.ReceiptRuleSetName.Description, /NOT active/);
  });

  it('an example synth (-c example=true) carries a rule that makes CloudFormation refuse to deploy it', () => {
    const rules = (synth.json as { Rules?: Record<string, { Assertions: { Assert: unknown; AssertDescription: string }[] }> }).Rules ?? {};
    const example = Object.entries(rules).find(([id]) => id.startsWith('ExampleNotDeployable'));
    assert.ok(example, Object.keys(rules).join(', '));
    assert.deepEqual(example[1].Assertions[0].Assert, { 'Fn::Equals': ['example', 'deployment'] });
    assert.match(example[1].Assertions[0].AssertDescription, /-c example=true/);
  });

  it('the inbound function retries twice within 6 hours, then goes to its dead-letter queue', () => {
    synth.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: synth.logicalId(synth.stack.functions.inbound) },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
      DestinationConfig: { OnFailure: { Destination: arnOf(ids.inboundDlq) } },
    });
  });

  it('verifies the default sender domain and the inbound domain with Easy DKIM', () => {
    synth.template.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: EXAMPLE_CONTEXT.defaultSenderDomain,
      MailFromAttributes: { MailFromDomain: `bounce.${EXAMPLE_CONTEXT.defaultSenderDomain}`, BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' },
    });
    synth.template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: EXAMPLE_CONTEXT.inboundDomain });
  });
});

describe('send pipeline', () => {
  it('queue: SSE, visibility six times the worker timeout, 5 receives then the dead-letter queue', () => {
    const worker = synth.json.Resources[synth.logicalId(synth.stack.functions.sendWorker)]!.Properties;
    const queue = synth.json.Resources[ids.sendQueue]!.Properties;
    assert.equal(queue.VisibilityTimeout, worker.Timeout * 6);
    assert.deepEqual(queue.RedrivePolicy, { deadLetterTargetArn: arnOf(ids.sendDlq), maxReceiveCount: 5 });
    assert.equal(queue.SqsManagedSseEnabled, true);
  });

  it('worker re-enqueues retries itself and holds its send lease longer than it can run', () => {
    const env = synth.json.Resources[synth.logicalId(synth.stack.functions.sendWorker)]!.Properties.Environment.Variables;
    const timeout = synth.json.Resources[synth.logicalId(synth.stack.functions.sendWorker)]!.Properties.Timeout as number;
    assert.deepEqual(env.SEND_QUEUE_URL, { Ref: ids.sendQueue });
    assert.ok(Number(env.SEND_LEASE_SECONDS) > timeout);
  });

  it('worker consumes small batches and reports item failures', () => {
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf(ids.sendQueue),
      FunctionName: { Ref: synth.logicalId(synth.stack.functions.sendWorker) },
      BatchSize: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 50 },
    });
  });

  it('a burst cannot take the API and inbound functions\' concurrency: the worker has a ceiling, they keep their reservation', () => {
    const reserved = (fn: keyof SynthesizedStack['stack']['functions']) =>
      synth.json.Resources[synth.logicalId(synth.stack.functions[fn])]!.Properties.ReservedConcurrentExecutions as number | undefined;
    for (const fn of ['platform', 'emailSettings', 'candidates', 'messages'] as const) assert.equal(reserved(fn), 20, fn);
    assert.equal(reserved('inbound'), 10);
    // The worker is capped by its event source, not by a reservation that would take from the others.
    for (const fn of ['sendWorker', 'inboundReconciler', 'outboundSweeper'] as const) assert.equal(reserved(fn), undefined, fn);
  });

  it('the worker takes a record only with a worst-case delivery\'s time left, and its timeout holds one', () => {
    const timeout = synth.json.Resources[synth.logicalId(synth.stack.functions.sendWorker)]!.Properties.Timeout as number;
    assert.equal(timeout, SEND_WORKER_TIMEOUT_SECONDS);
    assert.ok(timeout * 1000 >= SEND_RECORD_BUDGET_MS + 60_000, 'one worst-case record and more of the batch');
  });
});

describe('least-privilege IAM', () => {
  const roleOf = (fn: keyof SynthesizedStack['stack']['functions']) => synth.logicalId(synth.stack.functions[fn].role!);
  const logsStatement = (fn: keyof SynthesizedStack['stack']['functions']) => ({
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Effect: 'Allow',
    Resource: arnOf(synth.logicalId(synth.stack.functions[fn].logGroup)),
  });
  const tableStatement = () => ({
    Action: TABLE_READ_WRITE,
    Effect: 'Allow',
    Resource: [arnOf(ids.table), arnWithSuffix(ids.table, '/index/gsi1')],
  });

  const XRAY = { Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Effect: 'Allow', Resource: '*' };
  const listBucket = () => ({ Action: 's3:ListBucket', Effect: 'Allow', Resource: arnOf(ids.bucket) });
  /** A grant on objects under these prefixes of the mail bucket (one prefix: a single resource, as CDK writes it). */
  const onObjects = (Action: string | string[], prefixes: string[]) => {
    const resources = prefixes.map((prefix) => arnWithSuffix(ids.bucket, prefix));
    return { Action, Effect: 'Allow', Resource: resources.length === 1 ? resources[0] : resources };
  };
  const objectsRead = (...prefixes: string[]) => onObjects('s3:GetObject', prefixes);
  const objectsWritten = (...prefixes: string[]) => onObjects(['s3:AbortMultipartUpload', 's3:PutObject'], prefixes);
  /** Inbound addresses are derived with the HMAC key: GenerateMac on it, nothing else. */
  const inboundAddressMac = () => ({ Action: 'kms:GenerateMac', Effect: 'Allow', Resource: arnOf(synth.logicalId(synth.stack.inboundAddressKey.key)) });

  it('no function uses AWS managed policies', () => {
    for (const fn of Object.values(synth.stack.functions)) {
      assert.equal(synth.json.Resources[synth.logicalId(fn.role!)]!.Properties.ManagedPolicyArns, undefined);
    }
  });

  it('send worker: table, decrypt only, outbound attachments and bodies read, SES as the default sender and its send quota, its queue (consume and re-enqueue)', () => {
    assert.deepEqual(statementsOfRole(synth, roleOf('sendWorker')), [
      // SES's send rate, for the account-wide pace: no resource-level permission, so beside X-Ray's.
      { ...XRAY_AND_ENI, Action: [...XRAY_AND_ENI.Action.filter((action) => !action.startsWith('xray')), 'ses:GetSendQuota', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'] },
      logsStatement('sendWorker'),
      tableStatement(),
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: arnOf(ids.key) },
      objectsRead('/bodies/*', '/outbound/*'),
      listBucket(),
      {
        Action: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage', 'sqs:SendMessage'],
        Effect: 'Allow',
        Resource: arnOf(ids.sendQueue),
      },
      sendThroughDefaultProvider(),
      inboundAddressMac(),
    ]);
  });

  it('email settings: table, encrypt/decrypt/data keys on the secrets key, SES as the default sender', () => {
    assert.deepEqual(statementsOfRole(synth, roleOf('emailSettings')), [
      XRAY_AND_ENI,
      logsStatement('emailSettings'),
      tableStatement(),
      { Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: arnOf(ids.key) },
      sendThroughDefaultProvider(),
      inboundAddressMac(),
    ]);
  });

  it('delivery events: its queue (consume only) and the table without its index; no SES, no KMS, no bucket', () => {
    assert.deepEqual(statementsOfRole(synth, roleOf('deliveryEvents')), [
      XRAY,
      logsStatement('deliveryEvents'),
      { Action: TABLE_READ_WRITE, Effect: 'Allow', Resource: arnOf(ids.table) },
      {
        Action: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
        Effect: 'Allow',
        Resource: arnOf(synth.logicalId(synth.stack.defaultProviderEvents.queue)),
      },
    ]);
  });

  it('suppressions API: the table without its index, nothing else', () => {
    assert.deepEqual(statementsOfRole(synth, roleOf('suppressionsApi')), [
      XRAY,
      logsStatement('suppressionsApi'),
      { Action: TABLE_READ_WRITE, Effect: 'Allow', Resource: arnOf(ids.table) },
    ]);
  });

  it('inbound: its dead-letter queue, table, raw mail read, attachments and bodies write; the address MAC; no SES, no other KMS', () => {
    assert.deepEqual(statementsOfRole(synth, roleOf('inbound')), [
      XRAY,
      { Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'], Effect: 'Allow', Resource: arnOf(ids.inboundDlq) },
      logsStatement('inbound'),
      tableStatement(),
      objectsRead('/inbound/*'),
      listBucket(),
      objectsWritten('/attachments/*', '/bodies/*', '/inbound-filed/*'),
      inboundAddressMac(),
    ]);
  });

  it('inbound reconciler: table, raw mail, envelopes and marks read, list; attachments, bodies and marks write; its queue (consume); the address MAC; no SES, no other KMS', () => {
    assert.deepEqual(statementsOfRole(synth, roleOf('inboundReconciler')), [
      XRAY,
      logsStatement('inboundReconciler'),
      tableStatement(),
      objectsRead('/inbound-envelopes/*', '/inbound-filed/*', '/inbound/*'),
      listBucket(),
      objectsWritten('/attachments/*', '/bodies/*', '/inbound-filed/*'),
      {
        Action: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
        Effect: 'Allow',
        Resource: arnOf(synth.logicalId(synth.stack.inboundReconciler.queue)),
      },
      inboundAddressMac(),
    ]);
  });

  it('mailbox poller: table, decrypt only, the inbound-address key (MAC), its own raw mail read and written, envelopes, attachments, bodies and marks written, its queue consumed', () => {
    assert.deepEqual(statementsOfRole(synth, roleOf('mailboxPoller')), [
      XRAY_AND_ENI,
      logsStatement('mailboxPoller'),
      tableStatement(),
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: arnOf(ids.key) },
      objectsRead('/inbound/imap/*'),
      listBucket(),
      objectsWritten('/attachments/*', '/bodies/*', '/inbound-envelopes/*', '/inbound-filed/*', '/inbound/imap/*'),
      {
        Action: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
        Effect: 'Allow',
        Resource: arnOf(ids.pollQueue),
      },
      inboundAddressMac(),
    ]);
  });

  it('mailbox poll dispatcher: reads the table (no index, no writes) and sends to the poll queue only', () => {
    assert.deepEqual(statementsOfRole(synth, roleOf('mailboxPollDispatcher')), [
      XRAY,
      logsStatement('mailboxPollDispatcher'),
      { Action: ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Query'], Effect: 'Allow', Resource: arnOf(ids.table) },
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: arnOf(ids.pollQueue) },
    ]);
  });

  it('outbound sweeper: table and send queue only', () => {
    assert.deepEqual(statementsOfRole(synth, roleOf('outboundSweeper')), [
      XRAY,
      logsStatement('outboundSweeper'),
      tableStatement(),
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: arnOf(ids.sendQueue) },
    ]);
  });

  it('messages API: table, send queue, attachment links and bodies read, outbound attachments and bodies write', () => {
    assert.deepEqual(statementsOfRole(synth, roleOf('messages')), [
      XRAY,
      logsStatement('messages'),
      tableStatement(),
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: arnOf(ids.sendQueue) },
      objectsRead('/attachments/*', '/bodies/*', '/outbound/*', '/uploads/*'),
      listBucket(),
      objectsWritten('/bodies/*', '/outbound/*', '/uploads/*'),
    ]);
  });

  it('data-lifecycle API and resume sweep: table and the job queue (send); the API reads exports/ only (to presign links)', () => {
    const queue = synth.logicalId(synth.stack.dataLifecycle.queue);
    const send = { Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'], Effect: 'Allow', Resource: arnOf(queue) };
    assert.deepEqual(statementsOfRole(synth, roleOf('dataLifecycle')), [XRAY, logsStatement('dataLifecycle'), tableStatement(), objectsRead('/exports/*'), send]);
    assert.deepEqual(statementsOfRole(synth, roleOf('erasureResume')), [
      XRAY,
      logsStatement('erasureResume'),
      { ...tableStatement(), Action: ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Query'] },
      send,
    ]);
  });

  it('data-lifecycle worker: table, read and delete under every mail prefix, write under exports/, its queue (consume and re-enqueue); no SES, no KMS', () => {
    const prefixes = ['/attachments/*', '/bodies/*', '/exports/*', '/inbound-envelopes/*', '/inbound-filed/*', '/inbound/*', '/outbound/*', '/uploads/*'];
    assert.deepEqual(statementsOfRole(synth, roleOf('dataLifecycleWorker')), [
      XRAY,
      logsStatement('dataLifecycleWorker'),
      tableStatement(),
      onObjects(['s3:DeleteObject', 's3:GetObject'], prefixes),
      listBucket(),
      objectsWritten('/exports/*'),
      {
        Action: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage', 'sqs:SendMessage'],
        Effect: 'Allow',
        Resource: arnOf(synth.logicalId(synth.stack.dataLifecycle.queue)),
      },
    ]);
  });

  it('platform and candidates: nothing beyond their own needs', () => {
    assert.deepEqual(statementsOfRole(synth, roleOf('platform')), [
      XRAY,
      logsStatement('platform'),
    ]);
    assert.deepEqual(statementsOfRole(synth, roleOf('candidates')), [
      XRAY,
      logsStatement('candidates'),
      tableStatement(),
    ]);
  });
});

describe('HTTP API', () => {
  it('has a JWT authorizer with the configured issuer and audience', () => {
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: EXAMPLE_CONTEXT.jwtIssuer, Audience: [EXAMPLE_CONTEXT.jwtAudience] },
    });
  });

  it('routes every documented path; only health and the OpenAPI document without the authorizer', () => {
    const routes = Object.values(synth.template.findResources('AWS::ApiGatewayV2::Route')).map((route): [string, string] => [
      route.Properties.RouteKey as string,
      route.Properties.AuthorizationType as string,
    ]);
    assert.deepEqual(new Map(routes), new Map([
      ['GET /v1/health', 'NONE'],
      ['GET /v1/openapi.json', 'NONE'],
      ['GET /v1/egress-ips', 'JWT'],
      ['GET /v1/email-providers', 'JWT'],
      ['GET /v1/email-settings', 'JWT'],
      ['GET /v1/email-settings/{scope}', 'JWT'],
      ['PUT /v1/email-settings/{scope}', 'JWT'],
      ['DELETE /v1/email-settings/{scope}', 'JWT'],
      ['POST /v1/email-settings/{scope}/test', 'JWT'],
      ['POST /v1/email-settings/{scope}/redirect-test', 'JWT'],
      ['PUT /v1/email-settings/{scope}/inbound', 'JWT'],
      ['POST /v1/email-settings/{scope}/inbound-test', 'JWT'],
      ['POST /v1/email-settings/{scope}/oauth/{provider}/start', 'JWT'],
      ['POST /v1/email-settings/{scope}/oauth/{provider}/complete', 'JWT'],
      ['PUT /v1/candidates/{candidateId}', 'JWT'],
      ['GET /v1/candidates/{candidateId}', 'JWT'],
      ['DELETE /v1/candidates/{candidateId}', 'JWT'],
      ['POST /v1/candidates/{candidateId}/messages', 'JWT'],
      ['POST /v1/messages/batch', 'JWT'],
      ['GET /v1/candidates/{candidateId}/messages', 'JWT'],
      ['GET /v1/messages/unassigned', 'JWT'],
      ['GET /v1/messages/{messageId}', 'JWT'],
      ['POST /v1/messages/{messageId}/assign', 'JWT'],
      ['POST /v1/messages/{messageId}/retry', 'JWT'],
      ['POST /v1/attachments', 'JWT'],
      ['GET /v1/suppressions', 'JWT'],
      ['DELETE /v1/suppressions/{address}', 'JWT'],
      ['POST /v1/candidates/{candidateId}/anonymize', 'JWT'],
      ['GET /v1/erasures/{erasureId}', 'JWT'],
      ['POST /v1/candidates/{candidateId}/export', 'JWT'],
      ['GET /v1/exports/{exportId}', 'JWT'],
      ['DELETE /v1/company', 'JWT'],
      ['GET /v1/data-retention', 'JWT'],
      ['PUT /v1/data-retention', 'JWT'],
    ]));
    assert.equal(routes.length, 34);
  });

  it('answers CORS preflights itself for the allowed origins, with the same policy as the local server', () => {
    const api = Object.values(synth.template.findResources('AWS::ApiGatewayV2::Api'))[0]!.Properties;
    assert.deepEqual(api.CorsConfiguration, {
      AllowOrigins: ['http://localhost:5173', 'http://localhost:3001'],
      AllowHeaders: ['authorization', 'content-type', 'idempotency-key'],
      AllowMethods: ['GET', 'PUT', 'POST', 'DELETE'],
      ExposeHeaders: ['retry-after'],
      MaxAge: 600,
    });
  });

  it('gives every API function each company\'s own limit (per warm container), far below the stage\'s', () => {
    const api = ['platform', 'emailSettings', 'candidates', 'messages', 'suppressionsApi', 'dataLifecycle'] as const;
    for (const name of Object.keys(synth.stack.functions) as (keyof SynthesizedStack['stack']['functions'])[]) {
      const env = synth.json.Resources[synth.logicalId(synth.stack.functions[name])]!.Properties.Environment.Variables;
      const expected = (api as readonly string[]).includes(name) ? ['20', '40'] : [undefined, undefined];
      assert.deepEqual([env.COMPANY_API_RATE_LIMIT, env.COMPANY_API_BURST_LIMIT], expected, name);
    }
  });

  it('throttles and writes JSON access logs with retention on the default stage', () => {
    const stage = Object.values(synth.template.findResources('AWS::ApiGatewayV2::Stage'))[0]!.Properties;
    assert.equal(stage.StageName, '$default');
    // Sized for every company together: each company has its own limit in the functions (below).
    assert.deepEqual(stage.DefaultRouteSettings, { ThrottlingBurstLimit: 2000, ThrottlingRateLimit: 1000 });
    const logGroupId = stage.AccessLogSettings.DestinationArn['Fn::GetAtt'][0] as string;
    assert.equal(synth.json.Resources[logGroupId]!.Properties.RetentionInDays, 30);
    assert.doesNotMatch(stage.AccessLogSettings.Format, /header|Authorization/i);
  });
});

describe('alarms', () => {
  it('alarm on errors of every function, on both dead-letter queues and on the send backlog, to the e-mail topic', () => {
    const alarms = Object.values(synth.template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);
    const topic = { Ref: synth.logicalId(synth.stack.alarms.topic) };
    for (const alarm of alarms) assert.deepEqual(alarm.AlarmActions, [topic]);
    const errorAlarms = alarms.filter((alarm) => alarm.MetricName === 'Errors');
    assert.deepEqual(
      errorAlarms.map((alarm) => alarm.Dimensions[0].Value.Ref).sort(),
      Object.values(synth.stack.functions).map((fn) => synth.logicalId(fn)).sort(),
    );
    const deadLetterAlarms = alarms.filter((alarm) => alarm.MetricName === 'ApproximateNumberOfMessagesVisible');
    assert.deepEqual(
      deadLetterAlarms.map((alarm) => alarm.Dimensions[0].Value['Fn::GetAtt'][0]).sort(),
      [ids.inboundDlq, ids.sendDlq, ids.pollDlq, synth.logicalId(synth.stack.inboundReconciler.deadLetterQueue), synth.logicalId(synth.stack.defaultProviderEvents.deadLetterQueue), synth.logicalId(synth.stack.dataLifecycle.deadLetterQueue)].sort(),
    );
    for (const alarm of deadLetterAlarms) assert.equal(alarm.Threshold, 1);
    assert.equal(alarms.filter((alarm) => alarm.MetricName === 'ApproximateAgeOfOldestMessage').length, 1);
    synth.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: topic });
  });

  it('a dashboard of sends, fallbacks, filings, repairs and dead letters, and an alarm on the fallback rate', () => {
    const dashboards = Object.values(synth.template.findResources('AWS::CloudWatch::Dashboard'));
    assert.equal(dashboards.length, 1);
    const body = JSON.stringify(dashboards[0].Properties.DashboardBody);
    for (const metric of ['Sends', 'Fallbacks', 'InboundFilings', 'InboundMatches', 'InboundReconciled', 'OutboundSwept', 'ApproximateNumberOfMessagesVisible', 'DefaultProviderBounces', 'DefaultProviderComplaints', 'DefaultProviderPaused', 'Reputation.BounceRate']) {
      assert.ok(body.includes(metric), `the dashboard shows ${metric}`);
    }
    const fallbackRate = Object.values(synth.template.findResources('AWS::CloudWatch::Alarm'))
      .map((alarm) => alarm.Properties)
      .filter((alarm) => (alarm.Metrics ?? []).some((metric: any) => /fallbacks \/ sent/.test(metric.Expression ?? '')));
    assert.equal(fallbackRate.length, 1);
    assert.equal(fallbackRate[0].Threshold, 0.2);
    const names = fallbackRate[0].Metrics.filter((metric: any) => metric.MetricStat).map((metric: any) => metric.MetricStat.Metric.MetricName).sort();
    assert.deepEqual(names, ['MessagesFallenBack', 'MessagesSent']);
    assert.deepEqual(fallbackRate[0].AlarmActions, [{ Ref: synth.logicalId(synth.stack.alarms.topic) }]);
  });

  it("alarms on the SES account's own bounce and complaint rates, and on a company's paused default provider", () => {
    const alarms = Object.values(synth.template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);
    const reputation = alarms.filter((alarm) => alarm.Namespace === 'AWS/SES');
    assert.deepEqual(
      reputation.map((alarm) => [alarm.MetricName, alarm.Threshold, alarm.ComparisonOperator]).sort(),
      [
        ['Reputation.BounceRate', 0.04, 'GreaterThanOrEqualToThreshold'],
        ['Reputation.ComplaintRate', 0.0008, 'GreaterThanOrEqualToThreshold'],
      ],
    );
    const paused = alarms.filter((alarm) => (alarm.Metrics ?? []).some((metric: any) => metric.MetricStat?.Metric.MetricName === 'DefaultProviderPaused'));
    assert.equal(paused.length, 1);
    const services = paused[0].Metrics.filter((metric: any) => metric.MetricStat).map((metric: any) => metric.MetricStat.Metric.Dimensions[0].Value).sort();
    assert.deepEqual(services, ['delivery-events', 'send-worker']);
    assert.equal(paused[0].Threshold, 1);
    assert.deepEqual(paused[0].AlarmActions, [{ Ref: synth.logicalId(synth.stack.alarms.topic) }]);
  });

  it('the retention job runs daily with the scheduled event (its time), and may erase like the worker', () => {
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 day)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [synth.logicalId(synth.stack.functions.dataRetention), 'Arn'] } })],
    });
    const statements = JSON.stringify(statementsOfRole(synth, synth.logicalId(synth.stack.functions.dataRetention.role!)));
    assert.ok(statements.includes('s3:DeleteObject') && !statements.includes('ses:') && !statements.includes('kms:'));
  });

  it('the erasure resume sweep runs every 15 minutes; the worker takes one job at a time, at most 5 at once', () => {
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: [{ Arn: { 'Fn::GetAtt': [synth.logicalId(synth.stack.functions.erasureResume), 'Arn'] }, Input: '{}' }],
    });
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: synth.logicalId(synth.stack.functions.dataLifecycleWorker) },
      BatchSize: 1,
      ScalingConfig: { MaximumConcurrency: 5 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const queue = synth.json.Resources[synth.logicalId(synth.stack.dataLifecycle.queue)]!.Properties;
    assert.equal(queue.VisibilityTimeout, 720);
    assert.equal(queue.RedrivePolicy.maxReceiveCount, 5);
  });

  it('the mailbox poll dispatcher runs every minute; the poller takes batches of 10, at most 100 at once, and reports item failures', () => {
    const dispatcher = synth.logicalId(synth.stack.functions.mailboxPollDispatcher);
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [dispatcher, 'Arn'] } })],
    });
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: synth.logicalId(synth.stack.functions.mailboxPoller) },
      EventSourceArn: { 'Fn::GetAtt': [ids.pollQueue, 'Arn'] },
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: 100 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const queue = synth.json.Resources[ids.pollQueue]!.Properties;
    assert.equal(queue.VisibilityTimeout, 540);
    assert.deepEqual(queue.RedrivePolicy, { deadLetterTargetArn: { 'Fn::GetAtt': [ids.pollDlq, 'Arn'] }, maxReceiveCount: 3 });
    const env = synth.json.Resources[synth.logicalId(synth.stack.functions.mailboxPoller)]!.Properties.Environment.Variables;
    assert.equal(env.INBOUND_IMAP_LEASE_SECONDS, '120');
    assert.equal(env.IMAP_ALLOWED_PORTS, '143,993');
    assert.equal(synth.json.Resources[dispatcher]!.Properties.Environment.Variables.INBOUND_IMAP_POLL_QUEUE_URL.Ref, ids.pollQueue);
  });

  it('the outbound sweeper runs every 5 minutes', () => {
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [{ Arn: { 'Fn::GetAtt': [synth.logicalId(synth.stack.functions.outboundSweeper), 'Arn'] }, Input: '{}' }],
    });
  });

  it('inbound mail reaches the reconciler through S3 events on inbound/, held back 15 minutes, and it alarms as soon as it finds unfiled mail', () => {
    const reconciler = synth.logicalId(synth.stack.functions.inboundReconciler);
    const queue = synth.logicalId(synth.stack.inboundReconciler.queue);
    const dlq = synth.logicalId(synth.stack.inboundReconciler.deadLetterQueue);
    // Every raw mail stored under inbound/ (and nothing else of the bucket) becomes one event.
    synth.template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: ids.bucket },
      NotificationConfiguration: {
        QueueConfigurations: [{ Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'inbound/' }] } }, QueueArn: arnOf(queue) }],
      },
    });
    const queueProps = synth.json.Resources[queue]!.Properties;
    assert.equal(queueProps.DelaySeconds, 900, 'the receipt rule invocation files first');
    assert.deepEqual(queueProps.RedrivePolicy, { deadLetterTargetArn: arnOf(dlq), maxReceiveCount: 5 });
    assert.equal(queueProps.SqsManagedSseEnabled, true);
    assert.equal(queueProps.VisibilityTimeout, 6 * synth.json.Resources[reconciler]!.Properties.Timeout);
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf(queue),
      FunctionName: { Ref: reconciler },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    // No schedule that lists the bucket any more.
    const rules = Object.values(synth.template.findResources('AWS::Events::Rule')).filter((rule) => JSON.stringify(rule.Properties.Targets ?? []).includes(reconciler));
    assert.deepEqual(rules, []);
    const finds = Object.values(synth.template.findResources('AWS::CloudWatch::Alarm'))
      .map((alarm) => alarm.Properties)
      .filter((alarm) => alarm.MetricName === 'InboundReconciled');
    assert.equal(finds.length, 1);
    assert.equal(finds[0].Namespace, 'RecruitingMail');
    assert.deepEqual(finds[0].Dimensions, [{ Name: 'service', Value: 'inbound-reconciler' }]);
    assert.equal(finds[0].Threshold, 1);
    assert.equal(finds[0].ComparisonOperator, 'GreaterThanOrEqualToThreshold');
    assert.deepEqual(finds[0].AlarmActions, [{ Ref: synth.logicalId(synth.stack.alarms.topic) }]);
  });
});

describe('default provider delivery events', () => {
  it('a configuration set publishing Send, Delivery, Bounce, Complaint, Reject and DeliveryDelay to the default event bus, the sender identity using it', () => {
    synth.template.hasResourceProperties('AWS::SES::ConfigurationSet', { Name: CONFIGURATION_SET, ReputationOptions: { ReputationMetricsEnabled: true } });
    const configurationSet = { Ref: synth.logicalId(synth.stack.defaultProviderEvents.configurationSet) };
    const destinations = Object.values(synth.template.findResources('AWS::SES::ConfigurationSetEventDestination')).map((resource) => resource.Properties);
    assert.equal(destinations.length, 1);
    assert.deepEqual(destinations[0].ConfigurationSetName, configurationSet);
    const destination = destinations[0].EventDestination;
    assert.equal(destination.Enabled, true);
    assert.deepEqual([...destination.MatchingEventTypes].sort(), ['bounce', 'complaint', 'delivery', 'deliveryDelay', 'reject', 'send']);
    assert.match(JSON.stringify(destination.EventBridgeDestination), /event-bus\/default/);
    synth.template.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: EXAMPLE_CONTEXT.defaultSenderDomain,
      ConfigurationSetAttributes: { ConfigurationSetName: configurationSet },
    });
  });

  it("a rule sends the configuration set's SES events to an encrypted queue with a dead-letter queue, consumed with batch item failures", () => {
    const queue = synth.logicalId(synth.stack.defaultProviderEvents.queue);
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ses'],
        'detail-type': ['Email Sent', 'Email Delivered', 'Email Bounced', 'Email Complaint Received', 'Email Rejected', 'Email Delivery Delayed'],
        detail: { mail: { tags: { 'ses:configuration-set': [CONFIGURATION_SET] } } },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [queue, 'Arn'] } })],
    });
    const queueProps = synth.json.Resources[queue]!.Properties;
    assert.equal(queueProps.SqsManagedSseEnabled, true);
    assert.deepEqual(queueProps.RedrivePolicy.deadLetterTargetArn, { 'Fn::GetAtt': [synth.logicalId(synth.stack.defaultProviderEvents.deadLetterQueue), 'Arn'] });
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] },
      FunctionName: { Ref: synth.logicalId(synth.stack.functions.deliveryEvents) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('every function knows the configuration set and the guard thresholds', () => {
    for (const fn of [synth.stack.functions.sendWorker, synth.stack.functions.emailSettings, synth.stack.functions.deliveryEvents]) {
      const variables = synth.json.Resources[synth.logicalId(fn)]!.Properties.Environment.Variables;
      assert.equal(variables.DEFAULT_PROVIDER_CONFIGURATION_SET, CONFIGURATION_SET);
      assert.equal(variables.DEFAULT_PROVIDER_MAX_BOUNCE_RATE, '0.04');
      assert.equal(variables.DEFAULT_PROVIDER_MAX_COMPLAINT_RATE, '0.0008');
      assert.equal(variables.DEFAULT_PROVIDER_MIN_SENDS, '50');
      assert.equal(variables.DEFAULT_PROVIDER_WINDOW_DAYS, '7');
    }
  });
});

describe('outputs', () => {
  it('print the API URL, egress IPs, MX record, DKIM and MAIL FROM records', () => {
    const outputs = synth.json.Outputs;
    assert.deepEqual(outputs.EgressIps.Value, { 'Fn::GetAtt': [ids.eip, 'PublicIp'] });
    assert.deepEqual(outputs.InboundMxRecord.Value, {
      'Fn::Join': ['', [`${EXAMPLE_CONTEXT.inboundDomain} MX 10 inbound-smtp.`, { Ref: 'AWS::Region' }, '.amazonaws.com']],
    });
    assert.deepEqual(outputs.ApiUrl.Value, { 'Fn::GetAtt': [synth.logicalId(synth.stack.api.api), 'ApiEndpoint'] });
    const senderIdentity = synth.logicalId(synth.stack.senderIdentity.identity);
    for (const n of [1, 2, 3]) {
      assert.deepEqual(outputs[`SenderDkimRecord${n}`].Value, {
        'Fn::Join': ['', [{ 'Fn::GetAtt': [senderIdentity, `DkimDNSTokenName${n}`] }, ' CNAME ', { 'Fn::GetAtt': [senderIdentity, `DkimDNSTokenValue${n}`] }]],
      });
      assert.ok(outputs[`InboundDkimRecord${n}`]);
    }
    assert.equal(outputs.SenderMailFromSpfRecord.Value, `bounce.${EXAMPLE_CONTEXT.defaultSenderDomain} TXT "v=spf1 include:amazonses.com ~all"`);
    assert.ok(outputs.SenderMailFromMxRecord);
    assert.ok(outputs.ReceiptRuleSetName);
    assert.deepEqual(outputs.DefaultProviderConfigurationSet.Value, { Ref: synth.logicalId(synth.stack.defaultProviderEvents.configurationSet) });
    assert.ok(outputs.DeliveryEventsDeadLetterQueueUrl);
  });
});
