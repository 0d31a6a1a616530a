import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import DataLoader from 'dataloader';
import { setTimeout as sleep } from 'node:timers/promises';
import { tableNameConfig } from '../config/concerns';
import { adapterClient } from './tracing';

let documentClient: DynamoDBDocumentClient | undefined;

/**
 * Built once per process. The endpoint comes from the SDK's own `AWS_ENDPOINT_URL_DYNAMODB`
 * when set (local mode), so no code here knows whether it talks to AWS or dynalite.
 */
export function getDocumentClient(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(adapterClient(new DynamoDBClient({})), {
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

/** The key of one item of the table. */
export type ItemKey = { pk: string; sk: string };

type Item = Record<string, unknown>;

/** BatchGetItem takes at most 100 keys. */
const MAX_BATCH_KEYS = 100;
/** Rounds in a row that DynamoDB may answer with every remaining key unprocessed (throttled) before the read fails. */
const MAX_ROUNDS_WITHOUT_PROGRESS = 6;

const keyString = (key: ItemKey) => `${key.pk}\u0000${key.sk}`;
const itemLoaders = new WeakMap<DynamoDBDocumentClient, Map<string, DataLoader<ItemKey, Item | undefined>>>();

/**
 * One item by its key, or undefined. Reads started in the same turn of the event loop (e.g.
 * `Promise.all` over independent lookups) reach DynamoDB as one BatchGetItem: one request
 * signed, sent and parsed instead of one per item, which is most of a read's CPU cost. A read
 * alone stays a GetItem. Nothing is cached: every call reads the table.
 */
export function getItem(client: DynamoDBDocumentClient, table: string, key: ItemKey, { consistent = false } = {}): Promise<Item | undefined> {
  let loaders = itemLoaders.get(client);
  if (!loaders) itemLoaders.set(client, (loaders = new Map()));
  const name = `${table}\u0000${consistent}`;
  let loader = loaders.get(name);
  if (!loader) {
    loader = new DataLoader((keys: readonly ItemKey[]) => readItems(client, table, keys, consistent), { cache: false, maxBatchSize: MAX_BATCH_KEYS });
    loaders.set(name, loader);
  }
  return loader.load({ pk: key.pk, sk: key.sk });
}

async function readItems(client: DynamoDBDocumentClient, table: string, keys: readonly ItemKey[], consistent: boolean): Promise<(Item | undefined)[]> {
  // BatchGetItem refuses a key listed twice.
  const unique = new Map(keys.map((key) => [keyString(key), key]));
  const ConsistentRead = consistent || undefined;
  if (unique.size === 1) {
    const out = await client.send(new GetCommand({ TableName: table, Key: keys[0], ConsistentRead }));
    return keys.map(() => out.Item);
  }
  const found = new Map<string, Item>();
  let pending: Item[] = [...unique.values()];
  // Keys come back unprocessed when the table throttles or the answer would pass 16 MB: ask again for those.
  for (let idle = 0; pending.length > 0; ) {
    if (idle >= MAX_ROUNDS_WITHOUT_PROGRESS) throw new Error(`BatchGetItem left ${pending.length} keys unprocessed ${idle} times in a row`);
    if (idle > 0) await sleep(Math.random() * 20 * 2 ** idle);
    const out = await client.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead } } }));
    const items = out.Responses?.[table] ?? [];
    for (const item of items) found.set(keyString(item as unknown as ItemKey), item);
    const unprocessed = out.UnprocessedKeys?.[table]?.Keys ?? [];
    idle = unprocessed.length < pending.length ? 0 : idle + 1;
    pending = unprocessed;
  }
  return keys.map((key) => found.get(keyString(key)));
}

/**
 * Every item of a partition whose sort key starts with `prefix` (consistent, all pages), for the
 * few small sets that are read whole (a company's settings, a candidate's exports).
 */
export async function queryAllWithPrefix(
  client: DynamoDBDocumentClient,
  table: string,
  pk: string,
  prefix: string,
  options: Pick<QueryCommandInput, 'FilterExpression' | 'ProjectionExpression'> & { values?: Record<string, unknown> } = {},
): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        FilterExpression: options.FilterExpression,
        ProjectionExpression: options.ProjectionExpression,
        ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix, ...options.values },
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}
