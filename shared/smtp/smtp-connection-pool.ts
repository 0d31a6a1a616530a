/**
 * Reuse of authenticated SMTP connections between messages to the same server with the same
 * login, for send throughput: connecting, TLS and AUTH cost several round trips each.
 * Keyed by a hash of the settings (never the password itself); a bounded number of
 * connections per key, each for a bounded number of messages, closed when idle.
 */
import { createHash } from 'node:crypto';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import { MailboxBusyError, type ConnectionLease, type ConnectionLeases } from './connection-leases';
import type { SmtpServerSettings } from './types';

export interface SmtpPoolOptions {
  /** Concurrent connections per server and login (providers limit these; Microsoft 365 allows 3). */
  maxConnectionsPerKey?: number;
  /** Messages per connection before it is replaced (servers cap them; Exchange's default is about 100). */
  maxMessagesPerConnection?: number;
  /** How long an unused connection stays open (servers drop idle sessions after 30-300 s). */
  idleTimeoutMs?: number;
  /**
   * The mailboxes' connection semaphore shared with every other worker: each connection to a
   * limited mailbox holds a lease, so this pool never has more open than it holds leases for.
   */
  leases?: ConnectionLeases;
  /** A connection is reused only while its lease has this long left (a whole send); default 65 s. */
  minLeaseLeftMs?: number;
}

/** The mailbox a connection sends as, and how many connections it may have across all workers. */
export interface MailboxSlot {
  mailbox: string;
  maxConnections: number | null;
}

export interface PooledConnection {
  connection: SMTPConnection;
  messages: number;
  /** False once the server or an error closed it. */
  usable: boolean;
  idleTimer?: NodeJS.Timeout;
  /** The mailbox's connection slot it holds, freed when it closes. */
  lease?: ConnectionLease;
}

interface Bucket {
  idle: PooledConnection[];
  busy: number;
  waiters: Array<() => void>;
}

export class SmtpConnectionPool {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxConnections: number;
  private readonly maxMessages: number;
  private readonly idleTimeoutMs: number;
  private readonly leases: ConnectionLeases | undefined;
  private readonly minLeaseLeftMs: number;
  private readonly pendingReleases = new Set<Promise<void>>();
  private leasesOpen = 0;
  private closed = false;

  constructor(options: SmtpPoolOptions = {}) {
    this.maxConnections = options.maxConnectionsPerKey ?? 3;
    this.maxMessages = options.maxMessagesPerConnection ?? 100;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 5000;
    this.leases = options.leases;
    this.minLeaseLeftMs = options.minLeaseLeftMs ?? 65_000;
  }

  /** The pool key of a server and login; a changed password makes a new key. */
  static keyOf(settings: SmtpServerSettings): string {
    return createHash('sha256')
      .update(JSON.stringify([settings.host.trim().toLowerCase(), settings.port, settings.security, settings.username ?? '', settings.password ?? '']))
      .digest('hex');
  }

  /**
   * An idle connection for the key, or a new one from `open` when fewer than the maximum are
   * in use; otherwise waits for one to be released.
   */
  async acquire(key: string, open: () => Promise<SMTPConnection>, slot?: MailboxSlot): Promise<{ pooled: PooledConnection; reused: boolean }> {
    if (this.closed) throw new Error('The SMTP connection pool is closed');
    const bucket = this.bucket(key);
    const limited = this.leases && slot && slot.maxConnections !== null ? { leases: this.leases, mailbox: slot.mailbox, max: slot.maxConnections } : null;
    const maxHere = Math.min(this.maxConnections, limited?.max ?? Infinity);
    for (;;) {
      const idle = bucket.idle.pop();
      if (idle) {
        clearTimeout(idle.idleTimer);
        if (!idle.usable || idle.connection.destroyed) continue;
        if (idle.lease && idle.lease.expiresAtMs - Date.now() < this.minLeaseLeftMs) {
          // Its lease would run out during the send: close it and take a fresh one.
          this.discard(key, idle);
          continue;
        }
        bucket.busy += 1;
        return { pooled: idle, reused: true };
      }
      if (bucket.busy < maxHere) {
        bucket.busy += 1;
        let lease: ConnectionLease | undefined;
        try {
          if (limited) {
            lease = (await limited.leases.acquire(limited.mailbox, limited.max)) ?? undefined;
            if (!lease) {
              this.settle(key, bucket);
              // Other workers hold every slot: wait for one of ours if we have any, else give way.
              if (bucket.busy === 0) throw new MailboxBusyError(limited.max);
              await new Promise<void>((resolve) => bucket.waiters.push(resolve));
              continue;
            }
            this.leasesOpen += 1;
          }
          const connection = await open();
          const pooled: PooledConnection = { connection, messages: 0, usable: true, lease };
          connection.once('end', () => this.discard(key, pooled));
          return { pooled, reused: false };
        } catch (error) {
          if (error instanceof MailboxBusyError) throw error;
          if (lease) this.freeLease(lease);
          this.settle(key, bucket);
          throw error;
        }
      }
      await new Promise<void>((resolve) => bucket.waiters.push(resolve));
    }
  }

  /** Returns a connection after a message; `reusable` false closes it (after any failure). */
  release(key: string, pooled: PooledConnection, reusable: boolean): void {
    const bucket = this.bucket(key);
    pooled.messages += 1;
    if (reusable && !this.closed && pooled.usable && !pooled.connection.destroyed && pooled.messages < this.maxMessages) {
      pooled.idleTimer = setTimeout(() => this.discard(key, pooled), this.idleTimeoutMs);
      pooled.idleTimer.unref();
      bucket.idle.push(pooled);
    } else {
      pooled.usable = false;
      closeQuietly(pooled.connection);
      this.takeLease(pooled);
    }
    this.settle(key, bucket);
  }

  /** Closes every idle connection; connections in use close when released. */
  async close(): Promise<void> {
    this.closed = true;
    for (const bucket of this.buckets.values()) {
      for (const pooled of bucket.idle.splice(0)) {
        clearTimeout(pooled.idleTimer);
        pooled.usable = false;
        closeQuietly(pooled.connection);
        this.takeLease(pooled);
      }
      for (const wake of bucket.waiters.splice(0)) wake();
    }
    await Promise.all([...this.pendingReleases]);
  }

  /** Connection leases this pool holds now (one per open connection to a limited mailbox). */
  leasesHeld(): number {
    return this.leasesOpen;
  }

  /** Frees the connection's lease once (the connection is closing). */
  private takeLease(pooled: PooledConnection): void {
    const lease = pooled.lease;
    if (!lease) return;
    pooled.lease = undefined;
    this.freeLease(lease);
  }

  private freeLease(lease: ConnectionLease): void {
    this.leasesOpen -= 1;
    const release = this.leases!.release(lease).catch(() => undefined);
    this.pendingReleases.add(release);
    void release.finally(() => this.pendingReleases.delete(release));
  }

  /** Open connections per key (idle and busy), for tests and benchmarks. */
  stats(): { idle: number; busy: number } {
    let idle = 0;
    let busy = 0;
    for (const bucket of this.buckets.values()) {
      idle += bucket.idle.length;
      busy += bucket.busy;
    }
    return { idle, busy };
  }

  private bucket(key: string): Bucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { idle: [], busy: 0, waiters: [] };
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  /** One connection slot became free: let the next waiter try. */
  private settle(key: string, bucket: Bucket): void {
    bucket.busy = Math.max(0, bucket.busy - 1);
    bucket.waiters.shift()?.();
    if (bucket.busy === 0 && bucket.idle.length === 0 && bucket.waiters.length === 0) this.buckets.delete(key);
  }

  private discard(key: string, pooled: PooledConnection): void {
    pooled.usable = false;
    clearTimeout(pooled.idleTimer);
    const bucket = this.buckets.get(key);
    if (bucket) {
      const index = bucket.idle.indexOf(pooled);
      if (index >= 0) bucket.idle.splice(index, 1);
      if (bucket.busy === 0 && bucket.idle.length === 0 && bucket.waiters.length === 0) this.buckets.delete(key);
    }
    closeQuietly(pooled.connection);
    this.takeLease(pooled);
  }
}

function closeQuietly(connection: SMTPConnection): void {
  if (connection.destroyed) return;
  try {
    connection.quit();
  } catch {
    connection.close();
  }
}
