import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { InboundMailboxStore, MailboxRef } from '../inbound-mailbox/mailbox-store';
import type { MailboxCursor } from '../inbound-mailbox/model';
import { getDocumentClient, isConditionFailure, tableName } from './dynamodb';
import { settingsItemKey } from './dynamodb-settings-store';

/**
 * Key layout: the index `IMAP-MAILBOXES` / `["<companyId>","<scope>"]` (one partition, written
 * only when a scope changes its inbound mode, read by the dispatcher once a minute), and a
 * mailbox's read position and lease at `COMPANY#<companyId>` / `IMAP-MAILBOX#<scope>`
 * (written by its poller). The poller's finding goes onto the settings item (`inboundPoll`).
 */
const INDEX_PK = 'IMAP-MAILBOXES';
const indexKey = ({ companyId, scope }: MailboxRef) => ({ pk: INDEX_PK, sk: JSON.stringify([companyId, scope]) });
const cursorKey = ({ companyId, scope }: MailboxRef) => ({ pk: `COMPANY#${companyId}`, sk: `IMAP-MAILBOX#${scope}` });

export function createDynamoInboundMailboxStore(client = getDocumentClient(), table = tableName()): InboundMailboxStore {
  return {
    async *listMailboxes() {
      let startKey: Record<string, unknown> | undefined;
      do {
        const out = await client.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': INDEX_PK },
            ProjectionExpression: 'companyId, #scope',
            ExpressionAttributeNames: { '#scope': 'scope' },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of out.Items ?? []) yield { companyId: String(item.companyId), scope: String(item.scope) };
        startKey = out.LastEvaluatedKey;
      } while (startKey);
    },
    async register(mailbox) {
      await client.send(new PutCommand({ TableName: table, Item: { ...indexKey(mailbox), type: 'imap-mailbox-index', companyId: mailbox.companyId, scope: mailbox.scope } }));
    },
    async unregister(mailbox) {
      await client.send(new DeleteCommand({ TableName: table, Key: indexKey(mailbox) }));
    },
    async acquireLease(mailbox, owner, now, seconds) {
      try {
        const out = await client.send(
          new UpdateCommand({
            TableName: table,
            Key: cursorKey(mailbox),
            UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until, #type = :type',
            ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now',
            ExpressionAttributeNames: { '#type': 'type' },
            ExpressionAttributeValues: { ':owner': owner, ':until': now.getTime() + seconds * 1000, ':now': now.getTime(), ':type': 'imap-mailbox' },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { cursor: (out.Attributes?.cursor as MailboxCursor | undefined) ?? null };
      } catch (error) {
        if (isConditionFailure(error)) return 'busy';
        throw error;
      }
    },
    async saveCursor(mailbox, owner, cursor) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: cursorKey(mailbox),
            UpdateExpression: 'SET #cursor = :cursor',
            ConditionExpression: 'leaseOwner = :owner',
            ExpressionAttributeNames: { '#cursor': 'cursor' },
            ExpressionAttributeValues: { ':cursor': cursor, ':owner': owner },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async releaseLease(mailbox, owner) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: cursorKey(mailbox),
            UpdateExpression: 'REMOVE leaseOwner, leaseUntil',
            ConditionExpression: 'leaseOwner = :owner',
            ExpressionAttributeValues: { ':owner': owner },
          }),
        );
      } catch (error) {
        // Another poller took over an expired lease meanwhile: it is theirs now.
        if (!isConditionFailure(error)) throw error;
      }
    },
    async recordPoll(mailbox, state) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: settingsItemKey(mailbox.companyId, mailbox.scope),
            // Not a settings change: the version stays, so an admin's save in flight is not refused.
            UpdateExpression: 'SET inboundPoll = :state',
            ConditionExpression: 'inbound.imap.revision = :revision',
            ExpressionAttributeValues: { ':state': state, ':revision': state.revision },
          }),
        );
      } catch (error) {
        // The admin changed the mailbox meanwhile: the finding is about one no longer read.
        if (!isConditionFailure(error)) throw error;
      }
    },
  };
}
