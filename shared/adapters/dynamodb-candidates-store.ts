import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CandidatesStore } from '../candidates/candidates-store';
import type { Candidate } from '../candidates/model';
import { TABLE_LAYOUT } from '../table-layout';
import { getDocumentClient, getItem, isConditionFailure, tableName } from './dynamodb';

const companyKey = (companyId: string) => `COMPANY#${companyId}`;
const candidateKey = (id: string) => `CANDIDATE#${id}`;
/** `ADDRESS#<address>#<candidate id>`: a candidate id never holds `#` (ENTITY_ID_PATTERN). */
const addressPrefix = (address: string) => `ADDRESS#${address}#`;
const learnedKey = (address: string) => `LEARNED#${address}`;
/** The sparse index of closed candidates (gsi1), sorted by when they were closed. */
const closedListKey = (companyId: string) => `COMPANY#${companyId}#CLOSED`;

/**
 * Candidates (`CANDIDATE#<id>` in the company's partition, versioned), one address index item
 * per address–candidate pair (`ADDRESS#<address>#<id>`), learned addresses (`LEARNED#<address>`),
 * and closed candidates listed in gsi1 under `COMPANY#<c>#CLOSED` by `closedAt`.
 */
export function createDynamoCandidatesStore(client = getDocumentClient(), table = tableName()): CandidatesStore {
  const pageOf = async (pk: string, prefix: string, cursor: string | undefined, limit: number, filter?: { expression: string; values: Record<string, unknown> }) => {
    const out = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        FilterExpression: filter?.expression,
        ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix, ...filter?.values },
        ExclusiveStartKey: cursor ? (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>) : undefined,
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    const nextCursor = out.LastEvaluatedKey ? Buffer.from(JSON.stringify(out.LastEvaluatedKey)).toString('base64url') : null;
    return { items: out.Items ?? [], nextCursor };
  };

  return {
    async get(companyId, candidateId) {
      const item = await getItem(client, table, { pk: companyKey(companyId), sk: candidateKey(candidateId) }, { consistent: true });
      if (!item || item.type !== 'candidate' || item.erasureId !== undefined) return null;
      const { pk: _pk, sk: _sk, type: _type, gsi1pk: _g1, gsi1sk: _g2, ...candidate } = item;
      return { closedAt: null, version: 0, ...candidate } as unknown as Candidate;
    },
    async put(candidate, expectedVersion) {
      const closedIndex = candidate.closedAt ? { gsi1pk: closedListKey(candidate.companyId), gsi1sk: `${candidate.closedAt}#${candidate.id}` } : {};
      try {
        await client.send(
          new PutCommand({
            TableName: table,
            Item: { pk: companyKey(candidate.companyId), sk: candidateKey(candidate.id), type: 'candidate', ...candidate, ...closedIndex },
            // A candidate written before versions existed has none: it counts as version 0.
            ConditionExpression:
              expectedVersion === null
                ? 'attribute_not_exists(pk)'
                : '#type = :candidate AND (version = :expected OR (attribute_not_exists(version) AND :expected = :zero))',
            ExpressionAttributeNames: expectedVersion === null ? undefined : { '#type': 'type' },
            ExpressionAttributeValues: expectedVersion === null ? undefined : { ':expected': expectedVersion, ':zero': 0, ':candidate': 'candidate' },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async delete(companyId, candidateId) {
      await client.send(
        new DeleteCommand({
          TableName: table,
          Key: { pk: companyKey(companyId), sk: candidateKey(candidateId) },
          // A tombstone stays.
          ConditionExpression: 'attribute_not_exists(pk) OR #type = :candidate',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':candidate': 'candidate' },
        }),
      ).catch((error) => {
        if (!isConditionFailure(error)) throw error;
      });
    },
    async isErased(companyId, candidateId) {
      const item = await getItem(client, table, { pk: companyKey(companyId), sk: candidateKey(candidateId) }, { consistent: true });
      return item?.type === 'candidate-tombstone' || item?.erasureId !== undefined;
    },
    async claimForErasure(companyId, candidateId, erasureId) {
      const Key = { pk: companyKey(companyId), sk: candidateKey(candidateId) };
      try {
        const out = await client.send(
          new UpdateCommand({
            TableName: table,
            Key,
            // The version grows too: a PUT that read the candidate before cannot write it back.
            UpdateExpression: 'SET erasureId = :erasure ADD version :one',
            ConditionExpression: '#type = :candidate AND attribute_not_exists(erasureId)',
            ExpressionAttributeNames: { '#type': 'type' },
            ExpressionAttributeValues: { ':erasure': erasureId, ':candidate': 'candidate', ':one': 1 },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { erasureId, emails: (out.Attributes?.emails as string[] | undefined) ?? [] };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      const item = await getItem(client, table, Key, { consistent: true });
      if (!item || item.erasureId === undefined) return null;
      return { erasureId: String(item.erasureId), emails: (item.emails as string[] | undefined) ?? [] };
    },
    async idsByAddress(companyId, address) {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await pageOf(companyKey(companyId), addressPrefix(address), cursor, 100);
        // An address holding `#` could prefix another one's entries: only exact pairs count.
        for (const item of page.items) {
          const id = String(item.sk).slice(addressPrefix(address).length);
          if (!id.includes('#')) ids.push(id);
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return ids.sort();
    },
    async indexAddress(companyId, address, candidateId) {
      await client.send(
        new PutCommand({ TableName: table, Item: { pk: companyKey(companyId), sk: `${addressPrefix(address)}${candidateId}`, type: 'candidate-address', candidateId } }),
      );
    },
    async unindexAddress(companyId, address, candidateId) {
      await client.send(new DeleteCommand({ TableName: table, Key: { pk: companyKey(companyId), sk: `${addressPrefix(address)}${candidateId}` } }));
    },
    async learnAddress(companyId, address, candidateId) {
      await client.send(
        new PutCommand({ TableName: table, Item: { pk: companyKey(companyId), sk: learnedKey(address), type: 'learned-address', candidateId } }),
      );
    },
    async learnedCandidateId(companyId, address) {
      const item = await getItem(client, table, { pk: companyKey(companyId), sk: learnedKey(address) });
      return item ? String(item.candidateId) : null;
    },
    async learnedAddressesOf(companyId, candidateId, page) {
      const found = await pageOf(companyKey(companyId), 'LEARNED#', page.cursor, page.limit, { expression: 'candidateId = :id', values: { ':id': candidateId } });
      return { items: found.items.map((item) => String(item.sk).slice('LEARNED#'.length)), nextCursor: found.nextCursor };
    },
    async forgetLearnedAddress(companyId, address, candidateId) {
      await client
        .send(
          new DeleteCommand({
            TableName: table,
            Key: { pk: companyKey(companyId), sk: learnedKey(address) },
            // Taught to another candidate meanwhile: that one keeps it.
            ConditionExpression: 'candidateId = :id',
            ExpressionAttributeValues: { ':id': candidateId },
          }),
        )
        .catch((error) => {
          if (!isConditionFailure(error)) throw error;
        });
    },
    async closedBefore(companyId, before, limit) {
      const out = await client.send(
        new QueryCommand({
          TableName: table,
          IndexName: TABLE_LAYOUT.gsi1.name,
          KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk < :before',
          ExpressionAttributeValues: { ':pk': closedListKey(companyId), ':before': before },
          Limit: limit,
        }),
      );
      return (out.Items ?? []).map((item) => String(item.sk).slice('CANDIDATE#'.length));
    },
    async writeTombstone(companyId, candidateId, erasureId, erasedAt) {
      await client.send(
        new PutCommand({
          TableName: table,
          Item: { pk: companyKey(companyId), sk: candidateKey(candidateId), type: 'candidate-tombstone', id: candidateId, erasureId, erasedAt },
        }),
      );
    },
  };
}
