import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PaceWindowStore } from '../outbound/send-pace';
import { getDocumentClient, isConditionFailure, tableName } from './dynamodb';

/**
 * The default provider's pace windows: one counter item per second (its own partition key, so
 * that consecutive seconds do not share a partition's throughput), incremented only while the
 * slots fit; TTL removes them a minute later.
 */
const windowKey = (second: number) => ({ pk: `SEND-PACE#${second}`, sk: 'SEND-PACE' });

export function createDynamoPaceWindow(client = getDocumentClient(), table = tableName()): PaceWindowStore {
  return {
    async takeSlots(second, count, limit) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: windowKey(second),
            UpdateExpression: 'ADD used :count SET expiresAt = :expires',
            ConditionExpression: 'attribute_not_exists(used) OR used <= :room',
            ExpressionAttributeValues: { ':count': count, ':room': limit - count, ':expires': second + 60 },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
  };
}
