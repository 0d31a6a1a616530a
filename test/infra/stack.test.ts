/**
 * The synthesized template with the documented example context (EXAMPLE_CONTEXT plus an
 * alarm e-mail): network and egress, data stores, SES receiving, API, least-privilege IAM,
 * alarms, outputs, and no unsuppressed cdk-nag finding.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { EXAMPLE_CONTEXT } from '../../infra/config';
import { arnOf, arnWithSuffix, statementsOfRole, synthStack } from './synth-stack';
import type { SynthesizedStack } from './synth-stack';

const sesIdentityArn = (domain: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:identity/${domain}`]],
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
  eip: string;
};

before(() => {
  synth = synthStack({ ...EXAMPLE_CONTEXT, alarmEmail: 'ops@example.com' });
  const { stack } = synth;
  ids = {
    table: synth.logicalId(stack.table.table),
    key: synth.logicalId(stack.secretsKey.key),
    bucket: synth.logicalId(stack.mailBucket.bucket),
    sendQueue: synth.logicalId(stack.sendPipeline.queue),
    sendDlq: synth.logicalId(stack.sendPipeline.deadLetterQueue),
    inboundDlq: synth.logicalId(stack.inbound.deadLetterQueue),
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

  it('runs the settings function and the send worker in the private subnets, the others outside the VPC', () => {
    const privateSubnets = synth.stack.network.vpc.privateSubnets.map((subnet) => ({ Ref: synth.logicalId(subnet) }));
    const securityGroup = { 'Fn::GetAtt': [synth.logicalId(synth.stack.network.smtpClientSecurityGroup), 'GroupId'] };
    const { functions } = synth.stack;
    for (const fn of [functions.emailSettings, functions.sendWorker]) {
      const props = synth.json.Resources[synth.logicalId(fn)]!.Properties;
      assert.deepEqual(props.VpcConfig, { SecurityGroupIds: [securityGroup], SubnetIds: privateSubnets });
    }
    for (const fn of [functions.platform, functions.candidates, functions.messages, functions.inbound]) {
      assert.equal(synth.json.Resources[synth.logicalId(fn)]!.Properties.VpcConfig, undefined);
    }
  });

  it('lets those functions out only to the SMTP ports and HTTPS, and nothing in', () => {
    const sg = synth.json.Resources[synth.logicalId(synth.stack.network.smtpClientSecurityGroup)]!.Properties;
    assert.equal(sg.SecurityGroupIngress, undefined);
    const ports = (sg.SecurityGroupEgress as Array<{ FromPort: number; ToPort: number; IpProtocol: string; CidrIp: string }>)
      .map((rule) => `${rule.IpProtocol}:${rule.FromPort}-${rule.ToPort}:${rule.CidrIp}`)
      .sort();
    assert.deepEqual(ports, ['tcp:25-25:0.0.0.0/0', 'tcp:2525-2525:0.0.0.0/0', 'tcp:443-443:0.0.0.0/0', 'tcp:465-465:0.0.0.0/0', 'tcp:587-587:0.0.0.0/0']);
  });

  it('logs VPC flows', () => {
    synth.template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
  });
});

describe('functions', () => {
  it('all run nodejs22.x on arm64 with active tracing, source maps and their own log group with retention', () => {
    const functions = Object.values(synth.stack.functions);
    assert.equal(functions.length, 12);
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
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
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
    });
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

  it('no function uses AWS managed policies', () => {
    for (const fn of Object.values(synth.stack.functions)) {
      assert.equal(synth.json.Resources[synth.logicalId(fn.role!)]!.Properties.ManagedPolicyArns, undefined);
    }
  });

  it('send worker: table, decrypt only, outbound attachments and bodies read, SES as the default sender, its queue (consume and re-enqueue)', () => {
    assert.deepEqual(statementsOfRole(synth, roleOf('sendWorker')), [
      XRAY_AND_ENI,
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
      { Action: ['ses:SendEmail', 'ses:SendRawEmail'], Effect: 'Allow', Resource: sesIdentityArn(EXAMPLE_CONTEXT.defaultSenderDomain) },
    ]);
  });

  it('email settings: table, encrypt/decrypt/data keys on the secrets key, SES as the default sender', () => {
    assert.deepEqual(statementsOfRole(synth, roleOf('emailSettings')), [
      XRAY_AND_ENI,
      logsStatement('emailSettings'),
      tableStatement(),
      { Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: arnOf(ids.key) },
      { Action: ['ses:SendEmail', 'ses:SendRawEmail'], Effect: 'Allow', Resource: sesIdentityArn(EXAMPLE_CONTEXT.defaultSenderDomain) },
    ]);
  });

  it('inbound: its dead-letter queue, table, raw mail read, attachments and bodies write; no SES, no KMS', () => {
    assert.deepEqual(statementsOfRole(synth, roleOf('inbound')), [
      XRAY,
      { Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'], Effect: 'Allow', Resource: arnOf(ids.inboundDlq) },
      logsStatement('inbound'),
      tableStatement(),
      objectsRead('/inbound/*'),
      listBucket(),
      objectsWritten('/attachments/*', '/bodies/*', '/inbound-filed/*'),
    ]);
  });

  it('inbound reconciler: table, raw mail, envelopes and marks read, list; attachments, bodies and marks write; no SES, no KMS', () => {
    assert.deepEqual(statementsOfRole(synth, roleOf('inboundReconciler')), [
      XRAY,
      logsStatement('inboundReconciler'),
      tableStatement(),
      objectsRead('/inbound-envelopes/*', '/inbound-filed/*', '/inbound/*'),
      listBucket(),
      objectsWritten('/attachments/*', '/bodies/*', '/inbound-filed/*'),
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
      ['POST /v1/email-settings/{scope}/oauth/{provider}/start', 'JWT'],
      ['POST /v1/email-settings/{scope}/oauth/{provider}/complete', 'JWT'],
      ['PUT /v1/candidates/{candidateId}', 'JWT'],
      ['GET /v1/candidates/{candidateId}', 'JWT'],
      ['DELETE /v1/candidates/{candidateId}', 'JWT'],
      ['POST /v1/candidates/{candidateId}/messages', 'JWT'],
      ['GET /v1/candidates/{candidateId}/messages', 'JWT'],
      ['GET /v1/messages/unassigned', 'JWT'],
      ['GET /v1/messages/{messageId}', 'JWT'],
      ['POST /v1/messages/{messageId}/assign', 'JWT'],
      ['POST /v1/attachments', 'JWT'],
      ['POST /v1/candidates/{candidateId}/anonymize', 'JWT'],
      ['GET /v1/erasures/{erasureId}', 'JWT'],
      ['POST /v1/candidates/{candidateId}/export', 'JWT'],
      ['GET /v1/exports/{exportId}', 'JWT'],
      ['DELETE /v1/company', 'JWT'],
      ['GET /v1/data-retention', 'JWT'],
      ['PUT /v1/data-retention', 'JWT'],
    ]));
    assert.equal(routes.length, 28);
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

  it('throttles and writes JSON access logs with retention on the default stage', () => {
    const stage = Object.values(synth.template.findResources('AWS::ApiGatewayV2::Stage'))[0]!.Properties;
    assert.equal(stage.StageName, '$default');
    assert.deepEqual(stage.DefaultRouteSettings, { ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 });
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
      [ids.inboundDlq, ids.sendDlq, synth.logicalId(synth.stack.dataLifecycle.deadLetterQueue)].sort(),
    );
    for (const alarm of deadLetterAlarms) assert.equal(alarm.Threshold, 1);
    assert.equal(alarms.filter((alarm) => alarm.MetricName === 'ApproximateAgeOfOldestMessage').length, 1);
    synth.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: topic });
  });

  it('a dashboard of sends, fallbacks, filings, repairs and dead letters, and an alarm on the fallback rate', () => {
    const dashboards = Object.values(synth.template.findResources('AWS::CloudWatch::Dashboard'));
    assert.equal(dashboards.length, 1);
    const body = JSON.stringify(dashboards[0].Properties.DashboardBody);
    for (const metric of ['Sends', 'Fallbacks', 'InboundFilings', 'InboundMatches', 'InboundReconciled', 'OutboundSwept', 'ApproximateNumberOfMessagesVisible']) {
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

  it('the outbound sweeper runs every 5 minutes', () => {
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [{ Arn: { 'Fn::GetAtt': [synth.logicalId(synth.stack.functions.outboundSweeper), 'Arn'] }, Input: '{}' }],
    });
  });

  it('the inbound reconciler runs on a schedule and alarms as soon as it finds unfiled mail', () => {
    const reconciler = synth.logicalId(synth.stack.functions.inboundReconciler);
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      Targets: [{ Arn: { 'Fn::GetAtt': [reconciler, 'Arn'] }, Input: '{}', RetryPolicy: { MaximumRetryAttempts: 2 } }],
    });
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
  });
});
