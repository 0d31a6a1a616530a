import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { EXPORT_RETENTION_DAYS } from '../data-lifecycle/export-limits';
import type { ExportRecord } from '../data-lifecycle/export-model';
import type { ExportStore } from '../data-lifecycle/export-store';
import { TABLE_LAYOUT } from '../table-layout';
import { getDocumentClient, getItem, queryAllWithPrefix, tableName } from './dynamodb';

const companyKey = (companyId: string) => `COMPANY#${companyId}`;
const exportItemKey = (companyId: string, exportId: string) => ({ pk: companyKey(companyId), sk: `EXPORT#${exportId}` });
/** The record outlives its zip by a day (the zip expires after EXPORT_RETENTION_DAYS), so an anonymize always finds the zip through it. */
const RECORD_DAYS = EXPORT_RETENTION_DAYS + 1;

function fromItem(item: Record<string, unknown>): ExportRecord {
  const { pk: _pk, sk: _sk, type: _type, [TABLE_LAYOUT.ttlAttribute]: _ttl, ...record } = item;
  return record as unknown as ExportRecord;
}

/** Export records (`EXPORT#<id>` in the company's partition, with a TTL): ids, status, the zip's key. */
export function createDynamoExportStore(client = getDocumentClient(), table = tableName()): ExportStore {
  return {
    async create(record) {
      const ttl = Math.floor(Date.parse(record.createdAt) / 1000) + RECORD_DAYS * 86_400;
      await client.send(new PutCommand({ TableName: table, Item: { ...exportItemKey(record.companyId, record.exportId), type: 'export', ...record, [TABLE_LAYOUT.ttlAttribute]: ttl } }));
    },
    async get(companyId, exportId) {
      const item = await getItem(client, table, exportItemKey(companyId, exportId), { consistent: true });
      return item ? fromItem(item) : null;
    },
    async update(companyId, exportId, changes) {
      const entries = Object.entries(changes);
      await client.send(
        new UpdateCommand({
          TableName: table,
          Key: exportItemKey(companyId, exportId),
          UpdateExpression: `SET ${entries.map((_, index) => `#f${index} = :v${index}`).join(', ')}`,
          // Never recreates a record an anonymize deleted meanwhile.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: Object.fromEntries(entries.map(([field], index) => [`#f${index}`, field])),
          ExpressionAttributeValues: Object.fromEntries(entries.map(([, value], index) => [`:v${index}`, value])),
        }),
      );
    },
    async listByCandidate(companyId, candidateId) {
      const items = await queryAllWithPrefix(client, table, companyKey(companyId), 'EXPORT#', { FilterExpression: 'candidateId = :candidate', values: { ':candidate': candidateId } });
      return items.map(fromItem);
    },
    async delete(companyId, exportId) {
      await client.send(new DeleteCommand({ TableName: table, Key: exportItemKey(companyId, exportId) }));
    },
  };
}
