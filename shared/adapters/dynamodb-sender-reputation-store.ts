/**
 * Suppressions and the reputation guard's counts in the single table, all in the company's
 * partition (`COMPANY#<id>`):
 * - `SUPPRESSION#<address, lower case>`: one suppressed address;
 * - `DEFAULT-PROVIDER#DAY#<YYYY-MM-DD>`: the day's `sends`, `bounces`, `complaints` (atomic ADDs; TTL);
 * - `DEFAULT-PROVIDER#FACT#<fact key>`: a counted event, so that a duplicate counts nothing (TTL);
 * - `DEFAULT-PROVIDER#STATE`: `pausedSince`, `resumedAt`, the operator's `lift`.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { AppError } from '../errors';
import type { ReputationStore, DayCounts, GuardState } from '../sender-reputation/reputation-guard';
import { normalizeAddress, type Suppression, type SuppressionStore } from '../sender-reputation/suppressions';
import { getDocumentClient, getItem, isConditionFailure, putIfAbsent, tableName } from './dynamodb';

const companyKey = (companyId: string) => `COMPANY#${companyId}`;
const SUPPRESSION = 'SUPPRESSION#';
const suppressionKey = (companyId: string, address: string) => ({ pk: companyKey(companyId), sk: `${SUPPRESSION}${normalizeAddress(address)}` });
const DAY = 'DEFAULT-PROVIDER#DAY#';
const dayKey = (companyId: string, day: string) => ({ pk: companyKey(companyId), sk: `${DAY}${day}` });
const factKey = (companyId: string, key: string) => ({ pk: companyKey(companyId), sk: `DEFAULT-PROVIDER#FACT#${key}` });
const stateKey = (companyId: string) => ({ pk: companyKey(companyId), sk: 'DEFAULT-PROVIDER#STATE' });

/** The suppression keys' prefixes, for the erasure inventory. */
export const SENDER_REPUTATION_KEY_PREFIXES = [SUPPRESSION, DAY, 'DEFAULT-PROVIDER#FACT#', 'DEFAULT-PROVIDER#STATE'] as const;

const toSuppression = (item: Record<string, unknown>): Suppression => ({
  address: String(item.address),
  reason: item.reason === 'complaint' ? 'complaint' : 'bounce',
  diagnostic: typeof item.diagnostic === 'string' ? item.diagnostic : null,
  messageId: typeof item.messageId === 'string' ? item.messageId : null,
  at: String(item.at),
});

const toDayCounts = (item: Record<string, unknown>): DayCounts => ({
  day: String(item.sk).slice(DAY.length),
  sends: Number(item.sends ?? 0),
  bounces: Number(item.bounces ?? 0),
  complaints: Number(item.complaints ?? 0),
});

/** A cursor is the last address of the page, base64url; anything else is a 400. */
const encodeCursor = (sk: string) => Buffer.from(sk.slice(SUPPRESSION.length), 'utf8').toString('base64url');
function decodeCursor(companyId: string, cursor: string | undefined): Record<string, string> | undefined {
  if (!cursor) return undefined;
  const address = Buffer.from(cursor, 'base64url').toString('utf8');
  if (Buffer.from(address, 'utf8').toString('base64url') !== cursor || !/^[^\s@]{1,64}@[^\s@]{1,255}$/.test(address) || address !== normalizeAddress(address)) {
    throw new AppError('VALIDATION_FAILED', 'Invalid cursor', [{ path: 'query.cursor', message: 'is not a cursor of this list' }]);
  }
  return suppressionKey(companyId, address);
}

export function createDynamoSenderReputationStore(client = getDocumentClient(), table = tableName()): ReputationStore & SuppressionStore {
  return {
    async suppress(companyId, suppression) {
      await putIfAbsent(client, table, { ...suppressionKey(companyId, suppression.address), type: 'suppression', ...suppression });
    },
    async suppressedAmong(companyId, addresses) {
      const unique = [...new Set(addresses.map(normalizeAddress))];
      // Read together: one BatchGetItem (getItem batches reads started in the same turn).
      const items = await Promise.all(unique.map((address) => getItem(client, table, suppressionKey(companyId, address), { consistent: true })));
      return items.filter((item): item is Record<string, unknown> => item !== undefined).map(toSuppression);
    },
    async list(companyId, page) {
      const out = await client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': companyKey(companyId), ':prefix': SUPPRESSION },
          Limit: page.limit,
          ExclusiveStartKey: decodeCursor(companyId, page.cursor),
        }),
      );
      const last = out.LastEvaluatedKey?.sk;
      return { items: (out.Items ?? []).map(toSuppression), nextCursor: typeof last === 'string' ? encodeCursor(last) : null };
    },
    async remove(companyId, address) {
      const out = await client.send(new DeleteCommand({ TableName: table, Key: suppressionKey(companyId, address), ReturnValues: 'ALL_OLD' }));
      return out.Attributes !== undefined;
    },

    claimCountedFact: (companyId, key, expiresAt) =>
      putIfAbsent(client, table, { ...factKey(companyId, key), type: 'default-provider-fact', expiresAt }),
    async releaseCountedFact(companyId, key) {
      await client.send(new DeleteCommand({ TableName: table, Key: factKey(companyId, key) }));
    },
    async addCounts(companyId, day, counts, expiresAt) {
      const entries = Object.entries(counts).filter(([, amount]) => amount !== undefined && amount !== 0);
      if (entries.length === 0) return;
      const names: Record<string, string> = { '#type': 'type', '#expiresAt': 'expiresAt' };
      const values: Record<string, unknown> = { ':type': 'default-provider-day', ':expiresAt': expiresAt };
      entries.forEach(([kind, amount], index) => {
        names[`#c${index}`] = kind;
        values[`:c${index}`] = amount;
      });
      await client.send(
        new UpdateCommand({
          TableName: table,
          Key: dayKey(companyId, day),
          UpdateExpression: `SET #type = :type, #expiresAt = :expiresAt ADD ${entries.map((_, index) => `#c${index} :c${index}`).join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    },
    async readWindow(companyId, fromDay, toDay) {
      const [days, state] = await Promise.all([
        client.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ExpressionAttributeValues: { ':pk': companyKey(companyId), ':from': `${DAY}${fromDay}`, ':to': `${DAY}${toDay}` },
          }),
        ),
        client.send(new GetCommand({ TableName: table, Key: stateKey(companyId), ConsistentRead: true })),
      ]);
      const item = state.Item ?? {};
      const guardState: GuardState = {
        pausedSince: typeof item.pausedSince === 'string' ? item.pausedSince : null,
        resumedAt: typeof item.resumedAt === 'string' ? item.resumedAt : null,
        lift: item.lift && typeof item.lift === 'object' ? (item.lift as GuardState['lift']) : null,
      };
      return { days: (days.Items ?? []).map(toDayCounts), state: guardState };
    },
    async markPaused(companyId, since) {
      return conditionalSet(companyId, 'SET #type = :type, pausedSince = :at', 'attribute_not_exists(pausedSince)', since);
    },
    async markResumed(companyId, at) {
      return conditionalSet(companyId, 'SET #type = :type, resumedAt = :at REMOVE pausedSince', 'attribute_exists(pausedSince)', at);
    },
    async lift(companyId, lift) {
      await client.send(
        new UpdateCommand({
          TableName: table,
          Key: stateKey(companyId),
          UpdateExpression: 'SET #type = :type, resumedAt = :at, lift = :lift REMOVE pausedSince',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':type': 'default-provider-state', ':at': lift.at, ':lift': lift },
        }),
      );
    },
  };

  async function conditionalSet(companyId: string, update: string, condition: string, at: string): Promise<boolean> {
    try {
      await client.send(
        new UpdateCommand({
          TableName: table,
          Key: stateKey(companyId),
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':type': 'default-provider-state', ':at': at },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
