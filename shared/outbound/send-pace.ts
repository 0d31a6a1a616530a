/**
 * The account-wide pace of the default provider: SES accepts at most `MaxSendRate` recipients a
 * second for the whole account, and every worker sends through the same account. Each send takes
 * a slot of a one-second window that all workers share (a counter per second in the table, see
 * dynamodb-send-pace-window.ts): the current second if it has room, else the first later second
 * with room within `lookaheadSeconds` (the worker waits for it); with none, the message goes back
 * to the queue (a throttle, not a failed attempt).
 *
 * Why a shared window and not a share of the rate per container (rate ÷ the worker's maximum
 * concurrency): a container alone would be held to a fraction of the rate, and a burst would be
 * paced by how many containers happen to run; the window costs one conditional write per send.
 */

/** A one-second window of slots shared by every worker. */
export interface PaceWindowStore {
  /** Takes `count` of the `limit` slots of the window of `second` (epoch seconds); false when they do not fit. */
  takeSlots(second: number, count: number, limit: number): Promise<boolean>;
}

export type PaceSlot = { granted: true } | { granted: false; retryAfterSeconds: number };

export interface SendPace {
  /** A slot for one message to `recipients` recipients: granted (after waiting for it), or come back later. */
  take(recipients: number): Promise<PaceSlot>;
}

export interface SendPaceDeps {
  window: PaceWindowStore;
  /** The provider's send rate (recipients a second), cached by the caller (cachedRate). */
  maxSendRate: () => Promise<number>;
  /** How far ahead a send may reserve a slot and wait for it. */
  lookaheadSeconds: number;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
}

export function createSendPace(deps: SendPaceDeps): SendPace {
  return {
    async take(recipients) {
      const rate = Math.max(1, Math.floor(await deps.maxSendRate()));
      // A message to more recipients than a second holds takes a whole second of its own.
      const count = Math.min(Math.max(1, recipients), rate);
      const current = Math.floor(deps.now().getTime() / 1000);
      for (let second = current; second <= current + deps.lookaheadSeconds; second++) {
        if (!(await deps.window.takeSlots(second, count, rate))) continue;
        const waitMs = second * 1000 - deps.now().getTime();
        if (waitMs > 0) await deps.sleep(waitMs);
        return { granted: true };
      }
      return { granted: false, retryAfterSeconds: deps.lookaheadSeconds + 1 };
    },
  };
}

/** No pace: every send is granted (a provider without a rate, or tests that do not pace). */
export const UNPACED: SendPace = { take: async () => ({ granted: true }) };

/**
 * A rate read at most once per `ttlMs` (SES's quota changes rarely; reading it per send would
 * cost a request each); when a read fails, the last value read, else `fallback`.
 */
export function cachedRate(read: () => Promise<number>, options: { ttlMs: number; fallback: number; now: () => Date; onError: (error: unknown) => void }): () => Promise<number> {
  let cached: { rate: number; at: number } | null = null;
  return async () => {
    const now = options.now().getTime();
    if (cached && now - cached.at < options.ttlMs) return cached.rate;
    try {
      cached = { rate: await read(), at: now };
    } catch (error) {
      options.onError(error);
      cached = { rate: cached?.rate ?? options.fallback, at: now };
    }
    return cached.rate;
  };
}
