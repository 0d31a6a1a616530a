import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RateLimiter } from '../rate-limiter';
import { getDocumentClient, isConditionFailure, tableName } from './dynamodb';

/** One counter item per bucket and window, incremented only while under the limit; TTL cleans up. */
export function createDynamoRateLimiter(client = getDocumentClient(), table = tableName(), now = () => Date.now()): RateLimiter {
  return {
    async consume(bucket, limit, windowSeconds) {
      const nowSeconds = Math.floor(now() / 1000);
      const windowStart = nowSeconds - (nowSeconds % windowSeconds);
      const retryAfterSeconds = windowStart + windowSeconds - nowSeconds;
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: `RATE#${bucket}`, sk: `WINDOW#${windowStart}` },
            UpdateExpression: 'ADD hits :one SET expiresAt = :expires',
            ConditionExpression: 'attribute_not_exists(hits) OR hits < :limit',
            ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':expires': windowStart + windowSeconds * 2 },
          }),
        );
        return { allowed: true, retryAfterSeconds: 0 };
      } catch (error) {
        if (isConditionFailure(error)) return { allowed: false, retryAfterSeconds };
        throw error;
      }
    },
  };
}
