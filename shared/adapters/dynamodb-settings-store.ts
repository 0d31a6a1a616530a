import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ScopeSettings } from '../email-settings/model';
import { INBOUND_OWNER_MEMORY_SECONDS, type SettingsStore } from '../email-settings/settings-store';
import { AppError } from '../errors';
import { getDocumentClient, getItem, isConditionFailure, putIfAbsent, tableName } from './dynamodb';

const companyKey = (companyId: string) => `COMPANY#${companyId}`;
const settingsKey = (scope: string) => `SETTINGS#${scope}`;
/** The key of a scope's settings item (the OAuth token store writes rotated tokens into it). */
export const settingsItemKey = (companyId: string, scope: string) => ({ pk: companyKey(companyId), sk: settingsKey(scope) });
const inboundKey = (localPart: string) => `INBOUND#${localPart.toLowerCase()}`;
/** The reservation item of an inbound address (offboarding turns it into a tombstone, see data-lifecycle). */
export const inboundItemKey = (localPart: string) => ({ pk: inboundKey(localPart), sk: 'INBOUND' });
/** Inbound addresses are listed in gsi1 by company (the retention job's list of companies that can hold mail). */
export const INBOUND_ADDRESSES_LIST = 'INBOUND-ADDRESSES';


function toItem(settings: ScopeSettings) {
  return { ...settingsItemKey(settings.companyId, settings.scope), type: 'settings', ...settings };
}

function fromItem(item: Record<string, unknown>): ScopeSettings {
  const { pk: _pk, sk: _sk, type: _type, ...settings } = item;
  return settings as unknown as ScopeSettings;
}

/** How many inbound addresses a store remembers (oldest forgotten first): a few hundred bytes each. */
const REMEMBERED_INBOUND_ADDRESSES = 1000;

export function createDynamoSettingsStore(client = getDocumentClient(), table = tableName()): SettingsStore {
  // An inbound address belongs to its scope for good: reserved once (first writer wins), never
  // given to another (offboarding only retires it). So a warm container remembers whose it is for
  // a minute and files the next mail to it without a read. An address not found is not
  // remembered: it may be reserved a moment later.
  const inboundOwners = new Map<string, { companyId: string; scope: string; until: number }>();
  return {
    async get(companyId, scope) {
      const item = await getItem(client, table, settingsItemKey(companyId, scope), { consistent: true });
      return item ? fromItem(item) : null;
    },
    async list(companyId) {
      const items: ScopeSettings[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const out = await client.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': companyKey(companyId), ':prefix': 'SETTINGS#' },
            ExclusiveStartKey: startKey,
            ConsistentRead: true,
          }),
        );
        items.push(...(out.Items ?? []).map(fromItem));
        startKey = out.LastEvaluatedKey;
      } while (startKey);
      return items;
    },
    create: (settings) => putIfAbsent(client, table, toItem(settings)),
    async replace(settings, expectedVersion) {
      try {
        await client.send(
          new PutCommand({
            TableName: table,
            Item: toItem(settings),
            ConditionExpression: 'version = :expected',
            ExpressionAttributeValues: { ':expected': expectedVersion },
          }),
        );
      } catch (error) {
        if (isConditionFailure(error)) throw new AppError('CONFLICT', 'The settings were changed by another request; reload and try again');
        throw error;
      }
    },
    async markFailing(companyId, scope, revision, failure) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: settingsItemKey(companyId, scope),
            UpdateExpression: 'SET #status = :failing, failure = :failure, version = version + :one',
            ConditionExpression: 'smtp.revision = :revision',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':failing': 'failing', ':failure': failure, ':revision': revision, ':one': 1 },
          }),
        );
      } catch (error) {
        // The admin changed the configuration meanwhile: the failure is about one no longer active.
        if (!isConditionFailure(error)) throw error;
      }
    },
    reserveInboundAddress: (localPart, companyId, scope) =>
      putIfAbsent(client, table, {
        ...inboundItemKey(localPart),
        type: 'inbound-address',
        companyId,
        scope,
        gsi1pk: INBOUND_ADDRESSES_LIST,
        gsi1sk: `${companyId}#${localPart.toLowerCase()}`,
      }),
    async findByInboundAddress(localPart) {
      const key = inboundKey(localPart);
      const known = inboundOwners.get(key);
      if (known && known.until > Date.now()) return { companyId: known.companyId, scope: known.scope };
      const item = await getItem(client, table, { pk: key, sk: 'INBOUND' });
      // A retired address (its company offboarded) stays reserved and belongs to no one.
      if (!item || item.type !== 'inbound-address') return null;
      const owner = { companyId: String(item.companyId), scope: String(item.scope) };
      inboundOwners.delete(key);
      if (inboundOwners.size >= REMEMBERED_INBOUND_ADDRESSES) inboundOwners.delete(inboundOwners.keys().next().value!);
      inboundOwners.set(key, { ...owner, until: Date.now() + INBOUND_OWNER_MEMORY_SECONDS * 1000 });
      return { ...owner };
    },
  };
}
