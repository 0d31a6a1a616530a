/**
 * The delivery-event function's writes to a message: one conditional UpdateItem each, without
 * reading the message first (the conditions carry the merge rule and the tenant check).
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { MessageDeliveryUpdates } from '../sender-reputation/record-delivery-event';
import { getDocumentClient, getItem, isConditionFailure, tableName } from './dynamodb';
import { messageKey } from './dynamodb-messages-store';

export function createDynamoMessageDeliveries(client = getDocumentClient(), table = tableName()): MessageDeliveryUpdates {
  async function conditionalUpdate(messageId: string, update: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>): Promise<boolean> {
    try {
      await client.send(new UpdateCommand({ TableName: table, Key: messageKey(messageId), ...update }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  return {
    recordDelivery: (companyId, messageId, delivery, precedence) =>
      conditionalUpdate(messageId, {
        UpdateExpression: 'SET delivery = :delivery, deliveryPrecedence = :precedence',
        ConditionExpression:
          'companyId = :company AND direction = :outbound AND (attribute_not_exists(deliveryPrecedence) OR deliveryPrecedence < :precedence)',
        ExpressionAttributeValues: { ':delivery': delivery, ':precedence': precedence, ':company': companyId, ':outbound': 'outbound' },
      }),
    async failSent(companyId, messageId, failure, at) {
      const failed = await conditionalUpdate(messageId, {
        UpdateExpression: 'SET #status = :failed, #error = :error, bounce = :bounce, updatedAt = :at',
        ConditionExpression: 'companyId = :company AND direction = :outbound AND #status = :sent',
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
        ExpressionAttributeValues: {
          ':failed': 'failed',
          ':sent': 'sent',
          ':error': { code: failure.code, message: failure.message },
          ':bounce': failure.bounce ? { ...failure.bounce, at } : null,
          ':at': at,
          ':company': companyId,
          ':outbound': 'outbound',
        },
      });
      if (failed) return 'failed';
      // Only when the condition failed: is the message still on its way to `sent`?
      const message = await getItem(client, table, messageKey(messageId), { consistent: true });
      const unsettled = message?.companyId === companyId && (message.status === 'queued' || message.status === 'sending');
      return unsettled ? 'unsettled' : 'unchanged';
    },
  };
}
