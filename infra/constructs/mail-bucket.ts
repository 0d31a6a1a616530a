/**
 * The bucket that holds mail: raw inbound messages written by SES (`inbound/`), attachments
 * extracted from them (`attachments/`), message bodies (`bodies/`), outbound attachments (`outbound/`)
 * and the frontend's presigned uploads of large attachments (`uploads/`, expiring). Private,
 * SSE-S3 encrypted (SES's S3 action can write to it without a key grant), TLS-only, with
 * server access logs in a second bucket. SES may put objects only under `inbound/`, only for
 * this account and only from the one receipt rule (aws:SourceAccount + aws:SourceArn).
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, HttpMethods, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { uploadCorsRules } from '../../shared/http/cors-policy';
import { MAIL_PREFIXES } from '../../shared/mail-bucket-layout';
import { UPLOAD_RETENTION_DAYS, UPLOADS_PREFIX } from '../../shared/messages/attachment-uploads';

export { MAIL_PREFIXES };

export interface MailBucketProps {
  readonly removalPolicy: RemovalPolicy;
  /** Browser origins allowed to PUT presigned uploads: the API's CORS origins (shared/http/cors-policy.ts). */
  readonly corsAllowedOrigins: readonly string[];
}

export class MailBucket extends Construct {
  readonly bucket: Bucket;
  readonly accessLogsBucket: Bucket;

  constructor(scope: Construct, id: string, props: MailBucketProps) {
    super(scope, id);
    const destroy = props.removalPolicy === RemovalPolicy.DESTROY;

    this.accessLogsBucket = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: destroy,
    });
    NagSuppressions.addResourceSuppressions(this.accessLogsBucket, [
      { id: 'AwsSolutions-S1', reason: 'This is the server access log bucket of the mail bucket; logging it into itself would loop.' },
    ]);

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'mail-bucket/',
      lifecycleRules: [
        { abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // A message copies what it uses; an upload never used expires (and its announcement too).
        { id: 'ExpireUnusedUploads', prefix: UPLOADS_PREFIX, expiration: Duration.days(UPLOAD_RETENTION_DAYS) },
      ],
      // A browser frontend uploads large attachments straight here (a presigned PUT).
      cors: uploadCorsRules(props.corsAllowedOrigins).map((rule) => ({
        allowedOrigins: rule.allowedOrigins,
        allowedMethods: rule.allowedMethods.map((method) => HttpMethods[method]),
        allowedHeaders: rule.allowedHeaders,
        maxAge: rule.maxAgeSeconds,
      })),
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: destroy,
    });
  }

  /**
   * Lets SES's receipt rule `ruleSetName`/`ruleName` of this account put raw mail under
   * `inbound/`. Returns the statement so the rule can depend on the bucket policy (SES checks
   * the permission when the rule is created).
   */
  allowSesReceiptRule(ruleSetName: string, ruleName: string): PolicyStatement {
    const stack = Stack.of(this);
    const statement = new PolicyStatement({
      sid: 'AllowSesReceiptRulePutInbound',
      actions: ['s3:PutObject'],
      principals: [new ServicePrincipal('ses.amazonaws.com')],
      resources: [this.bucket.arnForObjects(`${MAIL_PREFIXES.inbound}*`)],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'ses',
            resource: 'receipt-rule-set',
            resourceName: `${ruleSetName}:receipt-rule/${ruleName}`,
          }),
        },
      },
    });
    this.bucket.addToResourcePolicy(statement);
    return statement;
  }
}
