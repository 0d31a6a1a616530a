import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '../config';

/**
 * The single table's layout: `pk`/`sk` strings, one GSI `gsi1` (`gsi1pk`/`gsi1sk`) for
 * conversations and unassigned mail, and `expiresAt` (epoch seconds) as the TTL attribute.
 * The CDK table, the local table and the stores all take it from here.
 */
export const TABLE_LAYOUT = {
  partitionKey: 'pk',
  sortKey: 'sk',
  gsi1: { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  ttlAttribute: 'expiresAt',
} as const;

let documentClient: DynamoDBDocumentClient | undefined;

/**
 * Built once per process. The endpoint comes from the SDK's own `AWS_ENDPOINT_URL_DYNAMODB`
 * when set (local mode), so no code here knows whether it talks to AWS or dynalite.
 */
export function getDocumentClient(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

export const tableName = (): string => requireEnv('TABLE_NAME');

export const isConditionFailure = (error: unknown): boolean =>
  (error as { name?: string })?.name === 'ConditionalCheckFailedException';
