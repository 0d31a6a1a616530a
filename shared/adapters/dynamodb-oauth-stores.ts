import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { OAuthStateRecord, OAuthStateStore, OAuthTokenStore } from '../oauth/oauth-state-store';
import { getDocumentClient, isConditionFailure, tableName } from './dynamodb';
import { settingsItemKey } from './dynamodb-settings-store';

const stateKey = (state: string) => ({ pk: `OAUTH_STATE#${state}`, sk: 'STATE' });

/** Started OAuth connections, one item each; the table's TTL removes forgotten ones. */
export function createDynamoOAuthStateStore(client = getDocumentClient(), table = tableName()): OAuthStateStore {
  return {
    async put(record) {
      await client.send(
        new PutCommand({
          TableName: table,
          Item: { ...stateKey(record.state), type: 'oauth-state', ...record, expiresAt: Math.ceil(Date.parse(record.expiresAt) / 1000), expiresAtIso: record.expiresAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },
    async consume(state, owner) {
      try {
        const out = await client.send(
          new DeleteCommand({
            TableName: table,
            Key: stateKey(state),
            // Only the owner's request consumes it: a foreign or guessed state changes nothing.
            ConditionExpression: 'attribute_exists(pk) AND companyId = :company AND #scope = :scope AND provider = :provider',
            ExpressionAttributeNames: { '#scope': 'scope' },
            ExpressionAttributeValues: { ':company': owner.companyId, ':scope': owner.scope, ':provider': owner.provider },
            ReturnValues: 'ALL_OLD',
          }),
        );
        if (!out.Attributes) return null;
        const { pk: _pk, sk: _sk, type: _type, expiresAt: _epoch, expiresAtIso, ...rest } = out.Attributes;
        return { ...rest, expiresAt: String(expiresAtIso) } as OAuthStateRecord;
      } catch (error) {
        if (isConditionFailure(error)) return null;
        throw error;
      }
    },
  };
}

/** Rotated refresh tokens, written into the scope's settings item under a token version. */
export function createDynamoOAuthTokenStore(client = getDocumentClient(), table = tableName()): OAuthTokenStore {
  return {
    async storeRefreshToken(companyId, scope, revision, seenTokenVersion, refreshTokenCiphertext) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: settingsItemKey(companyId, scope),
            // The record version grows too, so a save based on an older read cannot put the old token back.
            UpdateExpression: 'SET smtp.oauth.refreshTokenCiphertext = :token, smtp.oauth.tokenVersion = :next, version = version + :one',
            ConditionExpression: 'smtp.revision = :revision AND smtp.oauth.tokenVersion = :seen',
            ExpressionAttributeValues: { ':token': refreshTokenCiphertext, ':next': seenTokenVersion + 1, ':seen': seenTokenVersion, ':revision': revision, ':one': 1 },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
  };
}
