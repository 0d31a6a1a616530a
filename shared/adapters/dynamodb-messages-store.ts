import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { AppError } from '../errors';
import { messageIdKey } from '../mail/message-id';
import { isUnsettledOutbound, type MessagesStore, type MessageSummary } from '../messages/messages-store';
import { OUTBOUND_STATUSES, type MessageRecord, type MessageStatus, type Page } from '../messages/model';
import { TABLE_LAYOUT } from '../table-layout';
import { getDocumentClient, getItem, isConditionFailure, putIfAbsent, tableName } from './dynamodb';
import { ENTITY_ID_PATTERN } from '../entity-id';

/** The key of a message item (also written by the delivery-event updates, dynamodb-message-deliveries.ts). */
export const messageKey = (id: string) => ({ pk: `MESSAGE#${id}`, sk: 'MESSAGE' });
export const conversationKey = (companyId: string, candidateId: string | null) =>
  candidateId === null ? `COMPANY#${companyId}#UNASSIGNED` : `COMPANY#${companyId}#CANDIDATE#${candidateId}`;

/** Quarantined mail (a virus verdict) is kept apart: it is neither filed nor unassigned. */
export const listKey = (message: Pick<MessageRecord, 'companyId' | 'candidateId' | 'status'>) =>
  message.status === 'quarantined' ? `COMPANY#${message.companyId}#QUARANTINE` : conversationKey(message.companyId, message.candidateId);

/** The GSI keys follow the filing: assigning a message is one update of `gsi1pk`. */
function indexKeys(message: Pick<MessageRecord, 'companyId' | 'candidateId' | 'createdAt' | 'id' | 'receivedAt' | 'status'>) {
  return {
    gsi1pk: listKey(message),
    gsi1sk: `${message.receivedAt ?? message.createdAt}#${message.id}`,
  };
}

/**
 * Unsettled outbound messages are listed through one small item each, spread over
 * `UNSETTLED_SHARDS` partitions (`UNSETTLED-OUTBOUND#<shard>` by a hash of the message id,
 * sorted by creation), written before the message and deleted once it is `sent` or `failed`;
 * a leftover (a crash between the two writes) is dropped when listed, once it is older than a
 * create could take. No scan, no transaction, no second GSI.
 *
 * Each partition takes about 1,000 writes a second, and a sort key that grows with time keeps
 * every write at its newest end (DynamoDB cannot split that heat), so the shard count is the
 * platform's ceiling: 32 × 1,000 writes/s, two per message (put, delete), about 16,000 mails a
 * second across all companies. Items of a store with fewer shards stay readable: shards are
 * only ever added, and the sweeper drops index items whose message is settled.
 */
export const UNSETTLED_SHARDS = 32;
/** Shards the sweeper reads at once. */
const SHARDS_READ_AT_ONCE = 8;
/** An index item without its message is dropped only this long after the message's creation time. */
const ORPHAN_GRACE_MS = 15 * 60_000;
const unsettledShard = (messageId: string) => createHash('sha256').update(messageId).digest().readUInt32BE(0) % UNSETTLED_SHARDS;
export const unsettledKey = (message: Pick<MessageRecord, 'id' | 'createdAt'>) => ({
  pk: `UNSETTLED-OUTBOUND#${unsettledShard(message.id)}`,
  sk: `${message.createdAt}#${message.id}`,
});

const isOutboundStatus = (status: MessageStatus) => (OUTBOUND_STATUSES as readonly MessageStatus[]).includes(status);

function fromItem(item: Record<string, unknown>): MessageRecord {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, type: _type, ...message } = item;
  return message as unknown as MessageRecord;
}

export function createDynamoMessagesStore(client = getDocumentClient(), table = tableName()): MessagesStore {
  async function listConversation(pk: string, page: { cursor?: string; limit: number }): Promise<Page<MessageSummary>> {
    const out = await client.send(
      new QueryCommand({
        TableName: table,
        IndexName: TABLE_LAYOUT.gsi1.name,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ScanIndexForward: false,
        Limit: page.limit,
        ExclusiveStartKey: decodeCursor(page.cursor, pk),
      }),
    );
    return {
      // The index holds the projected fields only (TABLE_LAYOUT.gsi1.projected).
      items: (out.Items ?? []).map((item) => fromItem(item) as MessageSummary),
      nextCursor: out.LastEvaluatedKey ? Buffer.from(JSON.stringify(out.LastEvaluatedKey)).toString('base64url') : null,
    };
  }

  return {
    async create(message) {
      if (isUnsettledOutbound(message)) {
        await client.send(new PutCommand({ TableName: table, Item: { ...unsettledKey(message), type: 'unsettled-outbound', messageId: message.id } }));
      }
      return putIfAbsent(client, table, { ...messageKey(message.id), ...indexKeys(message), type: 'message', ...message });
    },
    async get(id) {
      const item = await getItem(client, table, messageKey(id), { consistent: true });
      return item ? fromItem(item) : null;
    },
    async update(id, changes, onlyIfStatus, onlyIfAttempts) {
      // Delivery's state changes (claim, transmitting, sent, failed, retry) touch no index key:
      // one conditional UpdateItem, no read. Only a change of filing (assignment, a status
      // in or out of quarantine) reads the item first, to compute the conversation's keys.
      const movesIndex = changes.candidateId !== undefined || changes.receivedAt !== undefined || (changes.status !== undefined && !isOutboundStatus(changes.status));
      const current = movesIndex ? await this.get(id) : null;
      if (movesIndex && !current) return null;
      const fields = { ...changes, ...(current ? indexKeys({ ...current, ...changes }) : {}) };
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = {};
      const sets: string[] = [];
      Object.entries(fields).forEach(([field, value], index) => {
        names[`#f${index}`] = field;
        values[`:v${index}`] = value;
        sets.push(`#f${index} = :v${index}`);
      });
      let condition = 'attribute_exists(pk)';
      if (!movesIndex && changes.status !== undefined) {
        // An outbound status on an inbound message would need other index keys: refused.
        names['#direction'] = 'direction';
        values[':outbound'] = 'outbound';
        condition += ' AND #direction = :outbound';
      }
      if (onlyIfStatus) {
        names['#status'] = 'status';
        const options = onlyIfStatus.map((status, index) => {
          values[`:s${index}`] = status;
          return `:s${index}`;
        });
        condition += ` AND #status IN (${options.join(', ')})`;
      }
      if (onlyIfAttempts !== undefined) {
        names['#attempts'] = 'attempts';
        values[':seenAttempts'] = onlyIfAttempts;
        condition += ' AND #attempts = :seenAttempts';
      }
      try {
        // The item as it was comes back with the write: the new state is it plus the changes.
        const out = await client.send(
          new UpdateCommand({
            TableName: table,
            Key: messageKey(id),
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: condition,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_OLD',
          }),
        );
        if (!out.Attributes) return null;
        const before = fromItem(out.Attributes);
        const updated = { ...before, ...changes };
        if (isUnsettledOutbound(before) && !isUnsettledOutbound(updated)) {
          await client.send(new DeleteCommand({ TableName: table, Key: unsettledKey(updated) }));
        }
        return updated;
      } catch (error) {
        if (isConditionFailure(error)) return null;
        throw error;
      }
    },
    listByCandidate: (companyId, candidateId, page) => listConversation(conversationKey(companyId, candidateId), page),
    listUnassigned: (companyId, page) => listConversation(conversationKey(companyId, null), page),
    async claimIdempotencyKey(companyId, key, bodyHash, messageId, ttlSeconds) {
      const Key = { pk: `COMPANY#${companyId}`, sk: `IDEMPOTENCY#${key}` };
      const now = Math.floor(Date.now() / 1000);
      // An expired key (TTL deletion is lazy, and dynalite has none) may be claimed anew.
      const item = { ...Key, type: 'idempotency-key', bodyHash, messageId, expiresAt: now + ttlSeconds };
      if (await putIfAbsent(client, table, item, { expression: 'expiresAt < :now', values: { ':now': now } })) {
        return { claimed: true, bodyHash, messageId };
      }
      const held = await getItem(client, table, Key, { consistent: true });
      return { claimed: false, bodyHash: String(held?.bodyHash), messageId: String(held?.messageId) };
    },
    async indexMessageIdHeader(companyId, header, messageId) {
      await client.send(
        new PutCommand({
          TableName: table,
          Item: { pk: `COMPANY#${companyId}`, sk: `MESSAGE-ID#${messageIdKeyPart(header)}`, type: 'message-id', messageId },
        }),
      );
    },
    async claimInboundMessageId(companyId, scope, header, messageId) {
      const Key = { pk: `COMPANY#${companyId}`, sk: `INBOUND-MESSAGE-ID#${scope}#${messageIdKeyPart(header)}` };
      if (await putIfAbsent(client, table, { ...Key, type: 'inbound-message-id', messageId })) return messageId;
      return String((await getItem(client, table, Key, { consistent: true }))?.messageId);
    },
    async listUnsettledOutbound(limit) {
      // The oldest `limit` overall are among the oldest `limit` of each shard: each shard is
      // read up to that, several at once, and the union sorted.
      const readShard = async (shard: number): Promise<MessageRecord[]> => {
        const found: MessageRecord[] = [];
        let start: Record<string, unknown> | undefined;
        do {
          const out = await client.send(
            new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `UNSETTLED-OUTBOUND#${shard}` }, Limit: limit, ExclusiveStartKey: start }),
          );
          const items = out.Items ?? [];
          // Read together: one BatchGetItem for the page.
          const listed = await Promise.all(items.map((item) => this.get(String(item.messageId))));
          const stale = items.filter((item, index) => {
            const message = listed[index];
            if (message) return !isUnsettledOutbound(message);
            // No message: a crash between create's two writes, unless the message write is still on its way.
            return Date.now() - Date.parse(String(item.sk).split('#')[0]!) > ORPHAN_GRACE_MS;
          });
          found.push(...listed.filter((message): message is MessageRecord => message !== null && isUnsettledOutbound(message)));
          await Promise.all(stale.map((item) => client.send(new DeleteCommand({ TableName: table, Key: { pk: item.pk, sk: item.sk } }))));
          start = out.LastEvaluatedKey;
        } while (start && found.length < limit);
        return found;
      };
      const found: MessageRecord[] = [];
      for (let first = 0; first < UNSETTLED_SHARDS; first += SHARDS_READ_AT_ONCE) {
        const shards = Array.from({ length: Math.min(SHARDS_READ_AT_ONCE, UNSETTLED_SHARDS - first) }, (_, index) => first + index);
        for (const messages of await Promise.all(shards.map(readShard))) found.push(...messages);
      }
      return found.sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1)).slice(0, limit);
    },
    async findByMessageIdHeader(companyId, header) {
      const item = await getItem(client, table, { pk: `COMPANY#${companyId}`, sk: `MESSAGE-ID#${messageIdKeyPart(header)}` });
      return item ? String(item.messageId) : null;
    },
  };
}

/**
 * A Message-ID header as part of a sort key (at most 1024 bytes): as is when short, else its
 * SHA-256, so that a hostile mail's endless Message-ID or References cannot fail the filing.
 */
export function messageIdKeyPart(header: string): string {
  const normalized = messageIdKey(header);
  return Buffer.byteLength(normalized, 'utf8') <= 900 ? normalized : `sha256:${createHash('sha256').update(normalized).digest('hex')}`;
}

/**
 * A cursor is the last key of the previous page. Whatever the client sends back is checked
 * against the exact shape of such a key before it reaches DynamoDB: the four key attributes
 * and nothing else, of this conversation, naming one message consistently, within the key
 * size limits. Anything else (forged, edited, another list's) is a 400.
 */
function decodeCursor(cursor: string | undefined, pk: string): Record<string, unknown> | undefined {
  if (!cursor) return undefined;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (isCursorKey(key, pk)) return key;
  } catch {
    // fall through to the error below
  }
  throw new AppError('VALIDATION_FAILED', 'Invalid cursor', [{ path: 'query.cursor', message: 'is not a cursor of this list' }]);
}

const CURSOR_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

function isCursorKey(key: unknown, listKey: string): key is Record<string, string> {
  if (!key || typeof key !== 'object' || Array.isArray(key)) return false;
  const record = key as Record<string, unknown>;
  if (Object.keys(record).sort().join(',') !== 'gsi1pk,gsi1sk,pk,sk') return false;
  const { pk, sk, gsi1pk, gsi1sk } = record;
  if (gsi1pk !== listKey || sk !== 'MESSAGE' || typeof pk !== 'string' || typeof gsi1sk !== 'string') return false;
  const id = pk.startsWith('MESSAGE#') ? pk.slice('MESSAGE#'.length) : '';
  if (!ENTITY_ID_PATTERN.test(id)) return false;
  const separator = gsi1sk.lastIndexOf('#');
  return separator > 0 && gsi1sk.slice(separator + 1) === id && CURSOR_TIMESTAMP.test(gsi1sk.slice(0, separator));
}
