/**
 * The sending limits of a company mailbox, held across every worker at once (capability 11):
 * messages a minute in a sliding window and recipients a day, reserved on one shared item per
 * mailbox with conditional writes (connections at once are the leases of
 * smtp/connection-leases.ts). Keyed by the mailbox (server and login), so two scopes that send
 * through the same mailbox share its limits.
 *
 * A message does not wait in a worker: it reserves the mailbox's next free slot in the minute
 * window and, when that slot is in the future, goes back on the queue until then ("paced, not
 * failed"). Over the day's budget it is the caller's to fall back (`SENDER_QUOTA_EXCEEDED`).
 */
import { createHash } from 'node:crypto';
import type { SmtpLimits } from '../smtp/types';

/** The mailbox a configuration sends as: its server and login. */
export function mailboxKey(settings: { host: string; username?: string | null; fromAddress?: string }): string {
  const login = (settings.username?.trim() || settings.fromAddress || '').toLowerCase();
  return createHash('sha256').update(`${settings.host.trim().toLowerCase()}\u0000${login}`).digest('hex').slice(0, 32);
}

/** What is stored per mailbox: reserved send times (ascending, past and future) and the day's count. */
export interface RateState {
  /** Epoch milliseconds of the reservations still inside the window. */
  sends: number[];
  /** The UTC day (`2026-12-06`) `dayCount` belongs to. */
  day: string;
  /** Recipients reserved on `day`. */
  dayCount: number;
}

export interface SlotRequest {
  now: number;
  limits: Pick<SmtpLimits, 'perMinute' | 'perDay'>;
  /** Recipients of the message (the day budget counts recipients, as Microsoft does). */
  recipients: number;
  /** False when this message's recipients were already counted today (a renewed reservation). */
  countDay: boolean;
  window: RateWindow;
}

export interface RateWindow {
  /** The "minute": 60 s (shorter only in tests, same semantics). */
  windowMs: number;
  /**
   * Added to the window when reserving: a message sends a little after its slot (queue delay,
   * connecting), and the server counts when it arrives. A slot later than this is taken anew.
   */
  guardMs: number;
}

export type SlotGrant = { kind: 'slot'; at: number; day: string } | { kind: 'day-used-up'; resetsAt: number };

export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const nextUtcMidnight = (ms: number): number => Date.parse(`${utcDay(ms)}T00:00:00Z`) + 24 * 3600 * 1000;

export function rateWindowOf(windowSeconds: number): RateWindow {
  const windowMs = windowSeconds * 1000;
  return { windowMs, guardMs: Math.max(500, Math.round(windowMs / 20)) };
}

/**
 * The next slot for one message, and the state that records it. The slot is the earliest time
 * not before `now` at which no window of `windowMs + guardMs` holds more than `perMinute`
 * reservations: with reservations kept in order, `perMinute` back from the end plus the window.
 */
export function reserveSlot(state: RateState, request: SlotRequest): { state: RateState; grant: SlotGrant } {
  const { now, limits, window } = request;
  const day = utcDay(now);
  const dayCount = state.day === day ? state.dayCount : 0;
  if (request.countDay && limits.perDay !== null && (dayCount >= limits.perDay || (dayCount > 0 && dayCount + request.recipients > limits.perDay))) {
    return { state: { ...state, day, dayCount }, grant: { kind: 'day-used-up', resetsAt: nextUtcMidnight(now) } };
  }
  const span = window.windowMs + window.guardMs;
  const sends = state.sends.filter((at) => at > now - span);
  let at = now;
  if (limits.perMinute !== null && sends.length >= limits.perMinute) at = Math.max(now, sends[sends.length - limits.perMinute]! + span);
  sends.push(at);
  sends.sort((a, b) => a - b);
  return {
    state: { sends, day, dayCount: request.countDay ? dayCount + request.recipients : dayCount },
    grant: { kind: 'slot', at, day },
  };
}

/** The day's budget is spent (the provider said so): no slot until the UTC day turns. */
export function spendDay(state: RateState, now: number, perDay: number): RateState {
  return { ...state, day: utcDay(now), dayCount: Math.max(perDay, state.day === utcDay(now) ? state.dayCount : 0) };
}

/** The shared store of the mailboxes' rate windows (DynamoDB; in memory in unit tests). */
export interface MailboxRateWindows {
  reserve(mailbox: string, request: SlotRequest): Promise<SlotGrant>;
  spendDay(mailbox: string, now: number, perDay: number): Promise<void>;
}

export interface MailboxLimitsDeps {
  windows: MailboxRateWindows;
  window: RateWindow;
}

/** A reservation the message holds (stored on it while it waits). */
export interface HeldSlot {
  rateSlotAt: string | null;
  quotaDay: string | null;
}

export type SlotDecision =
  /** Send now; `quotaDay` is the day the message's recipients are counted in. */
  | { kind: 'go'; quotaDay: string | null }
  /** Wait on the queue until `until`; store `held` on the message. */
  | { kind: 'wait'; until: Date; held: HeldSlot }
  /** The day's budget is spent until `resetsAt`. */
  | { kind: 'day-used-up'; resetsAt: Date };

/**
 * Whether a message may go through its mailbox now. A message that comes back for the slot it
 * reserved sends (within the guard), one that is early waits for the rest, and one that is
 * late, or holds none, reserves the next.
 */
export async function takeSendingSlot(
  deps: MailboxLimitsDeps,
  message: HeldSlot & { recipients: number },
  mailbox: string,
  limits: SmtpLimits,
  now: Date,
): Promise<SlotDecision> {
  const nowMs = now.getTime();
  if (limits.perMinute === null && limits.perDay === null) return { kind: 'go', quotaDay: message.quotaDay };
  const held = message.rateSlotAt ? Date.parse(message.rateSlotAt) : null;
  if (held !== null && nowMs < held) return { kind: 'wait', until: new Date(held), held: { rateSlotAt: message.rateSlotAt, quotaDay: message.quotaDay } };
  if (held !== null && nowMs <= held + deps.window.guardMs) return { kind: 'go', quotaDay: message.quotaDay };
  const grant = await deps.windows.reserve(mailbox, {
    now: nowMs,
    limits,
    recipients: Math.max(1, message.recipients),
    countDay: message.quotaDay !== utcDay(nowMs),
    window: deps.window,
  });
  if (grant.kind === 'day-used-up') return { kind: 'day-used-up', resetsAt: new Date(grant.resetsAt) };
  // A few milliseconds ahead is not worth a trip through the queue.
  if (grant.at <= nowMs + 20) return { kind: 'go', quotaDay: grant.day };
  return { kind: 'wait', until: new Date(grant.at), held: { rateSlotAt: new Date(grant.at).toISOString(), quotaDay: grant.day } };
}
