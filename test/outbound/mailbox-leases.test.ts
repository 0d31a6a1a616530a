/**
 * The mailboxes' shared limits on a real table (dynalite): connection leases that free
 * themselves when their holder dies, reservations from several workers at once that never
 * overfill the minute window, and a pool that never holds more connections than leases.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalDynamo } from '../../infra/local/local-dynamodb';
import { startLocalTable } from '../support/local-table';

const TABLE = 'mailbox-limits-test';
let dynamo: LocalDynamo;
let adapters: typeof import('../../shared/adapters/dynamodb-mailbox-limits');
let limits: typeof import('../../shared/outbound/mailbox-limits');

before(async () => {
  dynamo = await startLocalTable(TABLE);
  adapters = await import('../../shared/adapters/dynamodb-mailbox-limits');
  limits = await import('../../shared/outbound/mailbox-limits');
});

after(async () => {
  await dynamo?.stop();
});

describe('connection leases', () => {
  it('hands out at most max slots across holders; a dead holder\'s slots free themselves when the lease expires', async () => {
    const crashed = adapters.createDynamoConnectionLeases({ leaseSeconds: 1 }, undefined, TABLE);
    const other = adapters.createDynamoConnectionLeases({ leaseSeconds: 1 }, undefined, TABLE);
    const held = await Promise.all([1, 2, 3].map(() => crashed.acquire('mbx-crash', 3)));
    assert.ok(held.every((lease) => lease !== null));
    assert.deepEqual(new Set(held.map((lease) => lease!.slot)), new Set([0, 1, 2]));
    assert.equal(await crashed.acquire('mbx-crash', 3), null, 'a fourth is refused, to its own holder too');
    assert.equal(await other.acquire('mbx-crash', 3), null, 'and to another worker');
    // The holder dies without releasing: after the lease time the slots are free again.
    await sleep(1200);
    const taken = await other.acquire('mbx-crash', 3);
    assert.ok(taken, 'an expired lease is taken over');
    // The dead holder's late release does not free the slot the other worker now holds.
    await crashed.release(held.find((lease) => lease!.slot === taken!.slot)!);
    const third = adapters.createDynamoConnectionLeases({ leaseSeconds: 60 }, undefined, TABLE);
    const rest = await Promise.all([1, 2, 3].map(() => third.acquire('mbx-crash', 3)));
    assert.equal(rest.filter((lease) => lease !== null).length, 2, 'the taken-over slot stays taken');
    await other.release(taken!);
    assert.ok(await third.acquire('mbx-crash', 3), 'a release frees the slot at once');
  });
});

describe('rate windows', () => {
  it('reservations from many workers at once never put more than perMinute in a window', async () => {
    const window = limits.rateWindowOf(60);
    const workers = Array.from({ length: 6 }, () => adapters.createDynamoMailboxRateWindows(undefined, TABLE));
    const now = Date.now();
    const grants = await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        workers[index % workers.length]!.reserve('mbx-rate', { now, limits: { perMinute: 10, perDay: 25 }, recipients: 1, countDay: true, window }),
      ),
    );
    const slots = grants.filter((grant) => grant.kind === 'slot').map((grant) => (grant.kind === 'slot' ? grant.at : 0));
    assert.equal(slots.length, 25, 'the day budget of 25 is handed out exactly');
    assert.equal(grants.filter((grant) => grant.kind === 'day-used-up').length, 5);
    const span = window.windowMs + window.guardMs;
    for (const start of slots) assert.ok(slots.filter((at) => at >= start && at < start + span).length <= 10);
    assert.equal(slots.filter((at) => at === now).length, 10, 'the first ten go at once');
  });
});

describe('the connection pool holds a lease per connection', () => {
  it('two workers\' pools together never open more connections than the mailbox allows; the last frees its leases on close', async () => {
    const { SmtpConnectionPool } = await import('../../shared/smtp/smtp-connection-pool');
    const { MailboxBusyError } = await import('../../shared/smtp/connection-leases');
    const { EventEmitter } = await import('node:events');
    let open = 0;
    let peak = 0;
    const fakeConnection = () => {
      open += 1;
      peak = Math.max(peak, open);
      const connection = Object.assign(new EventEmitter(), {
        destroyed: false,
        quit() {
          if (connection.destroyed) return;
          connection.destroyed = true;
          open -= 1;
        },
        close() {
          connection.quit();
        },
      });
      return connection as never;
    };
    const pools = [0, 1].map(() => new SmtpConnectionPool({ leases: adapters.createDynamoConnectionLeases({ leaseSeconds: 60 }, undefined, TABLE) }));
    const slot = { mailbox: 'mbx-pool', maxConnections: 2 };
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, async (_, index) => {
        const pool = pools[index % 2]!;
        try {
          const { pooled } = await pool.acquire(`key-${index % 2}`, async () => fakeConnection(), slot);
          await sleep(30);
          pool.release(`key-${index % 2}`, pooled, false);
          return 'sent';
        } catch (error) {
          if (error instanceof MailboxBusyError) return 'busy';
          throw error;
        }
      }),
    );
    assert.ok(peak <= 2, `at most 2 connections at once (saw ${peak})`);
    assert.ok(outcomes.includes('sent'));
    await Promise.all(pools.map((pool) => pool.close()));
    assert.equal(pools.reduce((sum, pool) => sum + pool.leasesHeld(), 0), 0);
    const after = adapters.createDynamoConnectionLeases({ leaseSeconds: 60 }, undefined, TABLE);
    assert.ok(await after.acquire('mbx-pool', 2), 'every lease was given back');
    assert.ok(await after.acquire('mbx-pool', 2));
  });
});
