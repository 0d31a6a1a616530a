import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { tableNameConfig } from '../config/concerns';
import { traced } from './tracing';

let documentClient: DynamoDBDocumentClient | undefined;

/**
 * Built once per process. The endpoint comes from the SDK's own `AWS_ENDPOINT_URL_DYNAMODB`
 * when set (local mode), so no code here knows whether it talks to AWS or dynalite.
 */
export function getDocumentClient(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(traced(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

export const tableName = (): string => tableNameConfig();

export const isConditionFailure = (error: unknown): boolean =>
  (error as { name?: string })?.name === 'ConditionalCheckFailedException';

/**
 * Writes an item only if none has its key; false if one exists. The building block of every
 * "first writer wins" in the stores (no transactions needed). `orIf` widens the condition, e.g.
 * to let an expired item be replaced.
 */
export async function putIfAbsent(
  client: DynamoDBDocumentClient,
  table: string,
  item: Record<string, unknown>,
  orIf?: { expression: string; values: Record<string, unknown> },
): Promise<boolean> {
  try {
    await client.send(
      new PutCommand({
        TableName: table,
        Item: item,
        ConditionExpression: orIf ? `attribute_not_exists(pk) OR ${orIf.expression}` : 'attribute_not_exists(pk)',
        ExpressionAttributeValues: orIf?.values,
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
