import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ErasureRecord } from '../data-lifecycle/erasure-model';
import type { ErasureStore } from '../data-lifecycle/erasure-store';
import type { OffboardingMark } from '../data-lifecycle/start-erasure';
import { TABLE_LAYOUT } from '../table-layout';
import { getDocumentClient, getItem, isConditionFailure, putIfAbsent, tableName } from './dynamodb';

export const erasureItemKey = (companyId: string, erasureId: string) => ({ pk: `COMPANY#${companyId}`, sk: `ERASURE#${erasureId}` });
/** Unfinished erasures are listed in gsi1 under one key (sparse: removed once done), oldest first. */
const UNFINISHED = 'ERASURES#UNFINISHED';
const unfinishedIndex = (record: Pick<ErasureRecord, 'createdAt' | 'erasureId'>) => ({ gsi1pk: UNFINISHED, gsi1sk: `${record.createdAt}#${record.erasureId}` });

function fromItem(item: Record<string, unknown>): ErasureRecord {
  const { pk: _pk, sk: _sk, type: _type, gsi1pk: _g1, gsi1sk: _g2, ...record } = item;
  return record as unknown as ErasureRecord;
}

/**
 * Erasure records (`ERASURE#<id>` in the company's partition: the job's state while it runs,
 * the tombstone afterwards) and the offboarding mark (`OFFBOARDED#<company>`, kept for good).
 */
export function createDynamoErasureStore(client = getDocumentClient(), table = tableName()): ErasureStore & OffboardingMark {
  return {
    create: (record) => putIfAbsent(client, table, { ...erasureItemKey(record.companyId, record.erasureId), type: 'erasure', ...record, ...unfinishedIndex(record) }),
    async get(companyId, erasureId) {
      const item = await getItem(client, table, erasureItemKey(companyId, erasureId), { consistent: true });
      return item ? fromItem(item) : null;
    },
    async advance(seen, next) {
      const changes: Record<string, unknown> = { ...next, step: seen.step + 1 };
      const names: Record<string, string> = { '#step': 'step' };
      const values: Record<string, unknown> = { ':seen': seen.step };
      const sets = Object.entries(changes).map(([field, value], index) => {
        names[`#f${index}`] = field;
        values[`:v${index}`] = value;
        return `#f${index} = :v${index}`;
      });
      // Done: out of the unfinished list.
      const remove = next.status === 'done' ? ' REMOVE gsi1pk, gsi1sk' : '';
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: erasureItemKey(seen.companyId, seen.erasureId),
            UpdateExpression: `SET ${sets.join(', ')}${remove}`,
            ConditionExpression: '#step = :seen',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async listUnfinished(limit) {
      const out = await client.send(
        new QueryCommand({
          TableName: table,
          IndexName: TABLE_LAYOUT.gsi1.name,
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': UNFINISHED },
          Limit: limit,
        }),
      );
      // Keys only (whatever the index projects): the company and id are in the table key.
      return (out.Items ?? []).map((item) => ({
        companyId: String(item.pk).slice('COMPANY#'.length),
        erasureId: String(item.sk).slice('ERASURE#'.length),
      }));
    },
    async claim(companyId, erasureId) {
      const Key = { pk: `OFFBOARDED#${companyId}`, sk: 'OFFBOARDED' };
      if (await putIfAbsent(client, table, { ...Key, type: 'offboarding', erasureId })) return erasureId;
      return String((await getItem(client, table, Key, { consistent: true }))?.erasureId);
    },
  };
}
