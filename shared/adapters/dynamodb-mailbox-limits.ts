/**
 * The mailboxes' shared limits in the table (capability 11), one partition per mailbox:
 * - `RATE`: its minute window (reserved send times) and day count, rewritten with a version
 *   check (read, compute the slot, put if nobody wrote meanwhile; retried on contention);
 * - `LEASE#<n>`: connection slot n, taken with a conditional put that succeeds only when the
 *   slot is free or its lease expired, released with a delete conditional on the holder.
 * Every item carries the TTL attribute, so a quiet mailbox leaves nothing behind.
 */
import { randomUUID } from 'node:crypto';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { reserveSlot, spendDay, type MailboxRateWindows, type RateState } from '../outbound/mailbox-limits';
import type { ConnectionLease, ConnectionLeases } from '../smtp/connection-leases';
import { getDocumentClient, getItem, isConditionFailure, tableName } from './dynamodb';

const mailboxPk = (mailbox: string) => `MAILBOX#${mailbox}`;
const RATE_SK = 'RATE';
const leaseSk = (slot: number) => `LEASE#${slot}`;
/** Writers that lost the version race try again, with jitter; this many times at most. */
const MAX_CONTENTION_ROUNDS = 25;

/** Counts the table requests made, for the benchmark's "requests per mail". */
export interface RequestCounter {
  requests: number;
}

/** The requests every adapter of this process made (what `npm run bench` reports). */
export const MAILBOX_LIMIT_REQUESTS: RequestCounter = { requests: 0 };

export function createDynamoMailboxRateWindows(client = getDocumentClient(), table = tableName(), counter: RequestCounter = MAILBOX_LIMIT_REQUESTS): MailboxRateWindows {
  const key = (mailbox: string) => ({ pk: mailboxPk(mailbox), sk: RATE_SK });

  /** Read, change, and write back if the version is still the one read. */
  async function rewrite(mailbox: string, change: (state: RateState) => RateState, keepUntilMs: (state: RateState) => number): Promise<RateState> {
    for (let round = 0; round < MAX_CONTENTION_ROUNDS; round++) {
      if (round > 0) await sleep(Math.random() * 10 * Math.min(round, 5));
      counter.requests += 2;
      const item = await getItem(client, table, key(mailbox), { consistent: true });
      const version = typeof item?.version === 'number' ? item.version : 0;
      const current: RateState = {
        sends: Array.isArray(item?.sends) ? (item.sends as number[]) : [],
        day: typeof item?.day === 'string' ? item.day : '',
        dayCount: typeof item?.dayCount === 'number' ? item.dayCount : 0,
      };
      const next = change(current);
      try {
        await client.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...key(mailbox),
              type: 'mailbox-rate',
              ...next,
              version: version + 1,
              expiresAt: Math.ceil(keepUntilMs(next) / 1000),
            },
            ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : 'version = :seen',
            ExpressionAttributeValues: version === 0 ? undefined : { ':seen': version },
          }),
        );
        return next;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    throw new Error('The sending mailbox is too contended to reserve a slot; the queue will retry');
  }

  // Kept for the day's count (two days, for a clock near midnight) or the last reservation.
  const keepUntil = (state: RateState) => Math.max(Date.parse(`${state.day || '1970-01-01'}T00:00:00Z`) + 2 * 86_400_000, (state.sends.at(-1) ?? 0) + 3_600_000);

  return {
    async reserve(mailbox, request) {
      let grant: ReturnType<typeof reserveSlot>['grant'] | undefined;
      await rewrite(
        mailbox,
        (state) => {
          const reserved = reserveSlot(state, request);
          grant = reserved.grant;
          return reserved.state;
        },
        keepUntil,
      );
      return grant!;
    },
    async spendDay(mailbox, now, perDay) {
      await rewrite(mailbox, (state) => spendDay(state, now, perDay), keepUntil);
    },
  };
}

export function createDynamoConnectionLeases(
  options: { leaseSeconds: number; now?: () => number },
  client = getDocumentClient(),
  table = tableName(),
  counter: RequestCounter = MAILBOX_LIMIT_REQUESTS,
): ConnectionLeases {
  const now = options.now ?? Date.now;
  // One holder id per worker process (a Lambda container, a local instance's pool).
  const holder = randomUUID();
  return {
    async acquire(mailbox, max) {
      // Slots in a random order, so that workers do not all fight over slot 0.
      const start = Math.floor(Math.random() * max);
      for (let offset = 0; offset < max; offset++) {
        const slot = (start + offset) % max;
        const at = now();
        const expiresAtMs = at + options.leaseSeconds * 1000;
        counter.requests += 1;
        try {
          await client.send(
            new PutCommand({
              TableName: table,
              Item: { pk: mailboxPk(mailbox), sk: leaseSk(slot), type: 'mailbox-lease', holder, leaseId: `${holder}#${expiresAtMs}`, expiresAtMs, expiresAt: Math.ceil(expiresAtMs / 1000) + 60 },
              ConditionExpression: 'attribute_not_exists(pk) OR expiresAtMs < :now',
              ExpressionAttributeValues: { ':now': at },
            }),
          );
          return { mailbox, slot, expiresAtMs } satisfies ConnectionLease;
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
      }
      return null;
    },
    async release(lease) {
      counter.requests += 1;
      try {
        await client.send(
          new DeleteCommand({
            TableName: table,
            Key: { pk: mailboxPk(lease.mailbox), sk: leaseSk(lease.slot) },
            ConditionExpression: 'leaseId = :mine',
            ExpressionAttributeValues: { ':mine': `${holder}#${lease.expiresAtMs}` },
          }),
        );
      } catch (error) {
        // Expired and taken by another worker meanwhile: nothing of ours to free.
        if (!isConditionFailure(error)) throw error;
      }
    },
  };
}
