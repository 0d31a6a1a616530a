import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CompanyEraser } from '../data-lifecycle/company-eraser';
import type { MessageItemsEraser } from '../data-lifecycle/lifecycle-stores';
import type { RetentionStore } from '../data-lifecycle/retention';
import { messageIdKey } from '../mail/message-id';
import { TABLE_LAYOUT } from '../table-layout';
import { getDocumentClient, getItem, isConditionFailure, queryAllWithPrefix, tableName, type ItemKey } from './dynamodb';
import { erasureItemKey } from './dynamodb-erasure-store';
import { conversationKey, listKey, messageIdKeyPart, messageKey, unsettledKey } from './dynamodb-messages-store';
import { INBOUND_ADDRESSES_LIST, inboundItemKey } from './dynamodb-settings-store';

type Client = ReturnType<typeof getDocumentClient>;

/** Deletes an item only while `field` still names `value` (an index entry another message took over stays). */
async function deleteIfNames(client: Client, table: string, key: ItemKey, field: string, value: string): Promise<void> {
  try {
    await client.send(
      new DeleteCommand({ TableName: table, Key: key, ConditionExpression: '#f = :v', ExpressionAttributeNames: { '#f': field }, ExpressionAttributeValues: { ':v': value } }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** The table side of erasing messages, with the messages store's key layout. */
export function createDynamoMessageItemsEraser(client = getDocumentClient(), table = tableName()): MessageItemsEraser {
  return {
    async eraseMessageItems(message) {
      const company = `COMPANY#${message.companyId}`;
      const headers = [message.messageIdHeader, message.providerMessageIdHeader].filter((header): header is string => !!header);
      // Outbound Message-IDs (ours, and SES's) point at the message for threading and bounces.
      for (const header of headers) await deleteIfNames(client, table, { pk: company, sk: `MESSAGE-ID#${messageIdKeyPart(header)}` }, 'messageId', message.id);
      if (message.idempotencyKey) await deleteIfNames(client, table, { pk: company, sk: `IDEMPOTENCY#${message.idempotencyKey}` }, 'messageId', message.id);
      if (message.direction === 'outbound') await client.send(new DeleteCommand({ TableName: table, Key: unsettledKey(message) }));
      if (message.direction === 'inbound' && message.messageIdHeader) {
        // The inbound duplicate claim is keyed by the Message-ID and a fingerprint of the mail:
        // found by its Message-ID prefix and this message's id. (A Message-ID too long for a key
        // is stored as a SHA-256 only, which names nobody.)
        const prefix = `INBOUND-MESSAGE-ID#${message.scope}#${messageIdKey(message.messageIdHeader)}#`;
        const claims = await queryAllWithPrefix(client, table, company, prefix, { FilterExpression: 'messageId = :id', values: { ':id': message.id } });
        for (const item of claims) await client.send(new DeleteCommand({ TableName: table, Key: { pk: item.pk, sk: item.sk } }));
      }
      // Last: until it goes, the message stays listed and its erasure is done again after a crash.
      await client.send(new DeleteCommand({ TableName: table, Key: messageKey(message.id) }));
    },
  };
}

/** The table side of offboarding: the company's partition, its lists and its inbound addresses. */
export function createDynamoCompanyEraser(
  deleteCompanyObjects: CompanyEraser['deleteCompanyObjects'],
  client = getDocumentClient(),
  table = tableName(),
): CompanyEraser {
  const company = (companyId: string) => `COMPANY#${companyId}`;
  return {
    async candidateIdsAfter(companyId, after, limit) {
      const out = await client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: after ? 'pk = :pk AND sk BETWEEN :after AND :end' : 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: after
            ? { ':pk': company(companyId), ':after': `CANDIDATE#${after}\u0000`, ':end': 'CANDIDATE#\uffff' }
            : { ':pk': company(companyId), ':prefix': 'CANDIDATE#' },
          Limit: limit,
          ConsistentRead: true,
        }),
      );
      return (out.Items ?? []).map((item) => String(item.sk).slice('CANDIDATE#'.length));
    },
    async quarantinedMessageIds(companyId, limit) {
      const out = await client.send(
        new QueryCommand({
          TableName: table,
          IndexName: TABLE_LAYOUT.gsi1.name,
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': listKey({ companyId, candidateId: null, status: 'quarantined' }) },
          Limit: limit,
        }),
      );
      return (out.Items ?? []).map((item) => String(item.pk).slice('MESSAGE#'.length));
    },
    async inboundLocalParts(companyId) {
      const items = await queryAllWithPrefix(client, table, company(companyId), 'SETTINGS#', { ProjectionExpression: 'inboundAddress' });
      return items.flatMap((item) => (typeof item.inboundAddress === 'string' ? [item.inboundAddress.split('@')[0]!.toLowerCase()] : []));
    },
    async retireInboundAddress(localPart) {
      await client.send(
        new UpdateCommand({
          TableName: table,
          Key: inboundItemKey(localPart),
          // Reserved for good; whose it was is forgotten with the company.
          UpdateExpression: 'SET #type = :retired REMOVE companyId, #scope, gsi1pk, gsi1sk',
          ExpressionAttributeNames: { '#type': 'type', '#scope': 'scope' },
          ExpressionAttributeValues: { ':retired': 'inbound-address-retired' },
        }),
      );
    },
    async deleteCompanyItems(companyId, limit, keepErasureId) {
      const keep = erasureItemKey(companyId, keepErasureId).sk;
      const out = await client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': company(companyId) },
          ProjectionExpression: 'pk, sk',
          Limit: limit + 1,
          ConsistentRead: true,
        }),
      );
      const doomed = (out.Items ?? []).filter((item) => item.sk !== keep).slice(0, limit);
      await Promise.all(doomed.map((item) => client.send(new DeleteCommand({ TableName: table, Key: { pk: item.pk, sk: item.sk } }))));
      return doomed.length;
    },
    deleteCompanyObjects,
  };
}

/** Retention policies (`DATA-RETENTION` in the company's partition) and the key ranges the retention job reads. */
export function createDynamoRetentionStore(client = getDocumentClient(), table = tableName()): RetentionStore {
  const policyKey = (companyId: string) => ({ pk: `COMPANY#${companyId}`, sk: 'DATA-RETENTION' });
  return {
    async get(companyId) {
      const item = await getItem(client, table, policyKey(companyId), { consistent: true });
      return item ? { anonymizeClosedAfterDays: (item.anonymizeClosedAfterDays as number | null) ?? null, unassignedDays: Number(item.unassignedDays) } : null;
    },
    async put(companyId, policy, updatedAt) {
      await client.send(new PutCommand({ TableName: table, Item: { ...policyKey(companyId), type: 'data-retention', ...policy, updatedAt } }));
    },
    async companies(cursor) {
      const out = await client.send(
        new QueryCommand({
          TableName: table,
          IndexName: TABLE_LAYOUT.gsi1.name,
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': INBOUND_ADDRESSES_LIST },
          ExclusiveStartKey: cursor ? (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>) : undefined,
          Limit: 500,
        }),
      );
      // Keys only (whatever the index projects): the company is the first part of the sort key.
      const items = [...new Set((out.Items ?? []).map((item) => String(item.gsi1sk).split('#')[0]!))];
      return { items, nextCursor: out.LastEvaluatedKey ? Buffer.from(JSON.stringify(out.LastEvaluatedKey)).toString('base64url') : null };
    },
    async unassignedReceivedBefore(companyId, before, limit) {
      const out = await client.send(
        new QueryCommand({
          TableName: table,
          IndexName: TABLE_LAYOUT.gsi1.name,
          KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk < :before',
          ExpressionAttributeValues: { ':pk': conversationKey(companyId, null), ':before': before },
          Limit: limit,
        }),
      );
      return (out.Items ?? []).map((item) => String(item.pk).slice('MESSAGE#'.length));
    },
  };
}
