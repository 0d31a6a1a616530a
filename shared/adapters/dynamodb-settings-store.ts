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

/** How many sub-company scopes a company has created (scopes are never deleted). */
const scopeCountKey = (companyId: string) => ({ pk: companyKey(companyId), sk: 'SCOPE-COUNT' });

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
  /**
   * An update of the send health (status, failure, circuit) that applies only while the SMTP
   * revision is still `revision`: a failure or a success is about the configuration it used.
   */
  const updateIfRevision = async (
    companyId: string,
    scope: string,
    revision: number,
    update: { UpdateExpression: string; ConditionExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues: Record<string, unknown> },
  ): Promise<boolean> => {
    try {
      await client.send(
        new UpdateCommand({
          TableName: table,
          Key: settingsItemKey(companyId, scope),
          ...update,
          ConditionExpression: ['smtp.revision = :revision', update.ConditionExpression].filter(Boolean).join(' AND '),
          ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':revision': revision },
        }),
      );
      return true;
    } catch (error) {
      // The admin changed the configuration meanwhile: the news is about one no longer active.
      if (isConditionFailure(error)) return false;
      throw error;
    }
  };
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
    async markFailing(companyId, scope, revision, failure, circuit) {
      // Not `version`: the save's condition must not see the mark (a save during a burst of
      // failures would answer CONFLICT every time).
      await updateIfRevision(companyId, scope, revision, {
        UpdateExpression: 'SET #status = :failing, failure = :failure, circuit = :circuit',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':failing': 'failing', ':failure': failure, ':circuit': circuit },
      });
    },
    async claimCircuitProbe(companyId, scope, next, seenNextProbeAt) {
      return updateIfRevision(companyId, scope, next.revision, {
        UpdateExpression: 'SET circuit = :circuit',
        ConditionExpression: 'circuit.revision = :revision AND circuit.nextProbeAt = :seen',
        ExpressionAttributeValues: { ':circuit': next, ':seen': seenNextProbeAt },
      });
    },
    async markRecovered(companyId, scope, revision) {
      await updateIfRevision(companyId, scope, revision, {
        UpdateExpression: 'SET #status = :verified, failure = :none REMOVE circuit',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':verified': 'verified', ':none': null },
      });
    },
    async rememberSizeLimit(companyId, scope, revision, sizeLimit) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: settingsItemKey(companyId, scope),
            UpdateExpression: 'SET smtp.sizeLimit = :size',
            ConditionExpression: 'smtp.revision = :revision',
            ExpressionAttributeValues: { ':size': sizeLimit, ':revision': revision },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },
    async claimScopeSlot(companyId, max) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: scopeCountKey(companyId),
            UpdateExpression: 'SET #type = :type ADD scopes :one',
            ConditionExpression: 'attribute_not_exists(scopes) OR scopes < :max',
            ExpressionAttributeNames: { '#type': 'type' },
            ExpressionAttributeValues: { ':type': 'scope-count', ':one': 1, ':max': max },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async releaseScopeSlot(companyId) {
      await client.send(
        new UpdateCommand({ TableName: table, Key: scopeCountKey(companyId), UpdateExpression: 'ADD scopes :minusOne', ExpressionAttributeValues: { ':minusOne': -1 } }),
      );
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
    async companyOffboarded(companyId) {
      // The offboarding's own mark (dynamodb-erasure-store.ts); a company does not come back.
      return (await getItem(client, table, { pk: `OFFBOARDED#${companyId}`, sk: 'OFFBOARDED' })) !== undefined;
    },
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
