/**
 * The single DynamoDB table of the backend: `pk`/`sk` strings, one GSI `gsi1`
 * (`gsi1pk`/`gsi1sk`, projecting only what lists show) for conversations and unassigned mail, TTL on
 * `expiresAt` (idempotency keys, rate-limit counters), point-in-time recovery, and deletion
 * protection whenever data is retained.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { TABLE_LAYOUT } from '../../shared/table-layout';
import { Construct } from 'constructs';

export interface MailTableProps {
  /** RETAIN also turns on deletion protection. */
  readonly removalPolicy: RemovalPolicy;
}

export class MailTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: MailTableProps) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_LAYOUT.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_LAYOUT.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_LAYOUT.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy: props.removalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE_LAYOUT.gsi1.name,
      partitionKey: { name: TABLE_LAYOUT.gsi1.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_LAYOUT.gsi1.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: [...TABLE_LAYOUT.gsi1.projected],
    });
  }
}
