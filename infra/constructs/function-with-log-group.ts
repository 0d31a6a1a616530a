/**
 * Every Lambda of the backend is built here, so that runtime, architecture, tracing, bundling
 * (infra/bundling/function-bundle.ts) and log retention are fixed in one place (after
 * Powertools' example app), and the `bind*` methods set a function's environment variable and
 * its least-privilege grant in one call.
 */
import { AssetHashType, DockerImage, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { BundlingOptions, ILocalBundling } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IVpc, ISecurityGroup, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, CfnFunction, Code, Function as LambdaFunction, Runtime, RuntimeFamily, Tracing } from 'aws-cdk-lib/aws-lambda';
import type { IDestination } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { FUNCTION_HANDLER, FUNCTION_NODE_OPTIONS, FUNCTION_RUNTIME, PROJECT_ROOT, bundleFunctionSync } from '../bundling/function-bundle';

export interface FunctionNetwork {
  readonly vpc: IVpc;
  readonly vpcSubnets: SubnetSelection;
  readonly securityGroups: ISecurityGroup[];
}

/** What every function of the stack shares: common environment, log retention, removal. */
export interface FunctionDefaults {
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

export interface FunctionWithLogGroupProps {
  /** Entry file relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly defaults: FunctionDefaults;
  /** POWERTOOLS_SERVICE_NAME of this function. */
  readonly serviceName: string;
  readonly environment?: Record<string, string>;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** Private subnets behind the NAT: only for functions that connect to customers' servers. */
  readonly network?: FunctionNetwork;
  /** Asynchronous invocation settings (the inbound function). */
  readonly onFailure?: IDestination;
  readonly maxEventAge?: Duration;
  readonly retryAttempts?: number;
}

export type TableAccessMode = 'read' | 'readWrite';
export type KeyAccessMode = 'decrypt' | 'encryptDecrypt';

const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
const TABLE_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

/** Actions Lambda needs on the execution role to attach a function to a VPC. */
const VPC_ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * How CDK bundles one function: locally (never in Docker) by bundleFunction. The entry is a
 * field so that it is part of CDK's bundling cache key: each function gets its own bundle.
 */
class FunctionBundling implements BundlingOptions {
  /** Required by the type, never pulled: local bundling either succeeds or throws. */
  readonly image = DockerImage.fromRegistry('dummy');
  readonly local: ILocalBundling;

  constructor(readonly entry: string) {
    this.local = { tryBundle: (outputDir) => (bundleFunctionSync(entry, outputDir), true) };
  }
}

/** As with NodejsFunction, the asset is the bundle's output, hashed after bundling. */
const bundledCode = (entry: string): Code =>
  Code.fromAsset(PROJECT_ROOT, { assetHashType: AssetHashType.OUTPUT, bundling: new FunctionBundling(entry) });

export class FunctionWithLogGroup extends LambdaFunction {
  constructor(scope: Construct, id: string, props: FunctionWithLogGroupProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.defaults.logRetention,
      removalPolicy: props.defaults.logRemovalPolicy,
    });
    // Our own role instead of AWSLambdaBasicExecutionRole: that managed policy may write to
    // every log group of the account, this one only to the function's own.
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.entry}`,
    });
    super(scope, id, {
      code: bundledCode(props.entry),
      handler: FUNCTION_HANDLER,
      description: props.description,
      runtime: new Runtime(FUNCTION_RUNTIME, RuntimeFamily.NODEJS),
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      role,
      logGroup,
      environment: {
        ...props.defaults.environment,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        NODE_OPTIONS: FUNCTION_NODE_OPTIONS,
        ...props.environment,
      },
      vpc: props.network?.vpc,
      vpcSubnets: props.network?.vpcSubnets,
      securityGroups: props.network?.securityGroups,
      onFailure: props.onFailure,
      maxEventAge: props.maxEventAge,
      retryAttempts: props.retryAttempts,
    });
    logGroup.grantWrite(role);

    if (props.network !== undefined) {
      role.addToPrincipalPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: VPC_ENI_ACTIONS, resources: ['*'] }));
    }
    // X-Ray's write actions and EC2's ENI actions have no resource-level permissions.
    NagSuppressions.addResourceSuppressions(
      role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason: 'xray:PutTraceSegments/PutTelemetryRecords (active tracing) and the VPC ENI actions Lambda needs do not support resource-level permissions; AWS documents Resource "*" for them.',
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
    NagSuppressions.addResourceSuppressions(this, [
      {
        id: 'AwsSolutions-L1',
        reason: 'The design pins nodejs22.x: the tests run on Node 22 (the npm package node@22) so the runtime matches what is tested.',
      },
    ]);
  }

  /**
   * Reserves `count` concurrent executions for this function (none when 0 or undefined): they
   * stay available whatever other functions do, and they are also its maximum.
   */
  reserveConcurrency(count: number | undefined): this {
    if (count) (this.node.defaultChild as CfnFunction).reservedConcurrentExecutions = count;
    return this;
  }

  /** TABLE_NAME plus the item actions of `accessMode` on the table and its GSIs by name. */
  bindTable({ table, accessMode, indexNames = ['gsi1'] }: { table: ITable; accessMode: TableAccessMode; indexNames?: string[] }): this {
    this.addEnvironment('TABLE_NAME', table.tableName);
    const actions = accessMode === 'read' ? TABLE_READ_ACTIONS : [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS];
    this.addToRolePolicy(
      new PolicyStatement({
        actions,
        resources: [table.tableArn, ...indexNames.map((name) => `${table.tableArn}/index/${name}`)],
      }),
    );
    return this;
  }

  /** KMS_KEY_ID plus decrypt (and encrypt / data keys for `encryptDecrypt`) on that key only. */
  bindKey({ key, accessMode }: { key: IKey; accessMode: KeyAccessMode }): this {
    this.addEnvironment('KMS_KEY_ID', key.keyArn);
    const actions = accessMode === 'decrypt' ? ['kms:Decrypt'] : ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'];
    this.addToRolePolicy(new PolicyStatement({ actions, resources: [key.keyArn] }));
    return this;
  }

  /**
   * MAIL_BUCKET plus object read under the `read` key prefixes and object write (including
   * multipart uploads) under the `write` ones; no delete permission.
   */
  bindBucket({ bucket, read = [], write = [] }: { bucket: IBucket; read?: string[]; write?: string[] }): this {
    this.addEnvironment('MAIL_BUCKET', bucket.bucketName);
    if (read.length > 0) {
      this.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: read.map((prefix) => bucket.arnForObjects(`${prefix}*`)) }));
      // Without ListBucket, HeadObject answers 403 instead of 404 for a missing key, and the
      // blob store's exists() could not tell "absent" from "forbidden".
      this.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    }
    if (write.length > 0) {
      this.addToRolePolicy(
        new PolicyStatement({
          actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
          resources: write.map((prefix) => bucket.arnForObjects(`${prefix}*`)),
        }),
      );
    }
    NagSuppressions.addResourceSuppressions(
      this.role!,
      [...new Set([...read, ...write])].map((prefix) => ({
        id: 'AwsSolutions-IAM5',
        reason: `Object keys under ${prefix} are generated per message; access is limited to that prefix of the mail bucket.`,
        appliesTo: [{ regex: `/^Resource::<.*\\.Arn>\\/${escapeRegExp(prefix)}\\*$/g` }],
      })),
      true,
    );
    return this;
  }

  /** SEND_QUEUE_URL plus sqs:SendMessage on that queue only. */
  bindSendQueue(queue: IQueue): this {
    this.addEnvironment('SEND_QUEUE_URL', queue.queueUrl);
    this.addToRolePolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
    return this;
  }

  /** ses:SendEmail/SendRawEmail on one SES identity (the default sender domain). */
  /**
   * `ses:GetSendQuota`: the account's send rate, which paces the default provider. SES gives it
   * no resource-level permission (Resource "*", covered by the role's IAM5 suppression above).
   */
  allowReadingSendQuota(): this {
    this.addToRolePolicy(new PolicyStatement({ actions: ['ses:GetSendQuota'], resources: ['*'] }));
    return this;
  }

  allowSendingAs(identityName: string): this {
    const stack = Stack.of(this);
    this.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail', 'ses:SendRawEmail'],
        resources: [stack.formatArn({ service: 'ses', resource: 'identity', resourceName: identityName })],
      }),
    );
    return this;
  }
}
