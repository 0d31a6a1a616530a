/**
 * The guard on the shared SES account (DESIGN section 10): each company's default-provider
 * sends, permanent bounces and complaints are counted per day (one small item per company and
 * day, expiring after the window); once a company sent at least `minSends` in the window and its
 * bounce or complaint rate is above the deployment's threshold, its default-provider sending
 * pauses. Reading a company's state is one query of at most `windowDays` day items and its state
 * item. It resumes by itself when the rates fall under the thresholds within the window (old
 * days leave it, or good sends dilute it), or when an operator lifts the pause
 * (scripts/lift-default-provider-pause.ts): the window then starts afresh at the lift.
 */
import type { OpsMetrics } from '../ops-metrics';
import type { CountedKind } from './event-facts';

export interface GuardThresholds {
  maxBounceRate: number;
  maxComplaintRate: number;
  minSends: number;
  windowDays: number;
}

export interface DayCounts {
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  sends: number;
  bounces: number;
  complaints: number;
}

export interface GuardState {
  /** Set while paused: when the pause began. */
  pausedSince: string | null;
  /** When it last resumed (by itself or lifted). */
  resumedAt: string | null;
  /** The operator's last lift: what the day had counted then, which no longer counts. */
  lift: (DayCounts & { at: string }) | null;
}

export interface ReputationStore {
  /** First writer of a fact's key wins: a duplicate event counts nothing. */
  claimCountedFact(companyId: string, key: string, expiresAt: number): Promise<boolean>;
  /** Undoes a claim whose counting failed, so that the retry counts it. */
  releaseCountedFact(companyId: string, key: string): Promise<void>;
  addCounts(companyId: string, day: string, counts: Partial<Record<CountedKind, number>>, expiresAt: number): Promise<void>;
  /** The day items from `fromDay` to `toDay` (inclusive) and the state item, in one read. */
  readWindow(companyId: string, fromDay: string, toDay: string): Promise<{ days: DayCounts[]; state: GuardState }>;
  /** True if this call paused it (it was not paused). */
  markPaused(companyId: string, since: string): Promise<boolean>;
  /** True if this call resumed it (it was paused). */
  markResumed(companyId: string, at: string): Promise<boolean>;
  /** The operator's lift: resumed now, and the day's counts so far no longer count. */
  lift(companyId: string, lift: DayCounts & { at: string }): Promise<void>;
}

/** `defaultProvider` of `GET /v1/email-settings`. */
export interface DefaultProviderStatus {
  status: 'active' | 'paused';
  bounceRate: number;
  complaintRate: number;
  /** When the current status began (null: active since ever, as far as the window knows). */
  since: string | null;
  /** Recipients sent to in the window (since a lift). */
  sends: number;
}

export interface GuardDeps {
  reputation: ReputationStore;
  thresholds: GuardThresholds;
  now: () => Date;
}

const DAY_MS = 86_400_000;
export const dayOf = (time: Date): string => time.toISOString().slice(0, 10);
const addDays = (day: string, days: number): string => dayOf(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS));

/** Day items and counted facts expire once no window can reach them (epoch seconds; TTL). */
export const countsExpireAt = (day: string, windowDays: number): number => Math.floor(Date.parse(`${addDays(day, windowDays + 1)}T00:00:00Z`) / 1000);

const rate = (part: number, whole: number): number => (whole === 0 ? 0 : Math.round((part / whole) * 1e6) / 1e6);

/** The status from the day items and the state, at `today`: pure. */
export function evaluateGuard(days: DayCounts[], state: GuardState, thresholds: GuardThresholds, today: string): DefaultProviderStatus {
  const from = addDays(today, -(thresholds.windowDays - 1));
  const total = { sends: 0, bounces: 0, complaints: 0 };
  for (const counts of days) {
    if (counts.day < from || counts.day > today) continue;
    if (state.lift && counts.day < state.lift.day) continue;
    const lifted = state.lift?.day === counts.day ? state.lift : null;
    total.sends += Math.max(0, counts.sends - (lifted?.sends ?? 0));
    total.bounces += Math.max(0, counts.bounces - (lifted?.bounces ?? 0));
    total.complaints += Math.max(0, counts.complaints - (lifted?.complaints ?? 0));
  }
  const bounceRate = rate(total.bounces, total.sends);
  const complaintRate = rate(total.complaints, total.sends);
  const paused =
    total.sends >= thresholds.minSends && (bounceRate > thresholds.maxBounceRate || complaintRate > thresholds.maxComplaintRate);
  return {
    status: paused ? 'paused' : 'active',
    bounceRate,
    complaintRate,
    since: paused ? state.pausedSince : state.pausedSince === null ? state.resumedAt : null,
    sends: total.sends,
  };
}

async function readStatus(deps: GuardDeps, companyId: string): Promise<{ status: DefaultProviderStatus; state: GuardState; today: string }> {
  const today = dayOf(deps.now());
  const { days, state } = await deps.reputation.readWindow(companyId, addDays(today, -(deps.thresholds.windowDays - 1)), today);
  return { status: evaluateGuard(days, state, deps.thresholds, today), state, today };
}

/** The company's status, read only (the settings view). */
export async function defaultProviderStatus(deps: GuardDeps, companyId: string): Promise<DefaultProviderStatus> {
  return (await readStatus(deps, companyId)).status;
}

/** `defaultProvider` as the settings show it. */
export async function defaultProviderView(deps: GuardDeps, companyId: string): Promise<Omit<DefaultProviderStatus, 'sends'>> {
  const { sends: _sends, ...view } = await defaultProviderStatus(deps, companyId);
  return view;
}

/**
 * The company's status, with a change of it stored (and counted as a metric) by the one caller
 * that saw it first: the event function after a count, and the send path before a send.
 */
export async function checkDefaultProvider(deps: GuardDeps & { metrics: OpsMetrics }, companyId: string): Promise<DefaultProviderStatus> {
  const { status, state } = await readStatus(deps, companyId);
  const at = deps.now().toISOString();
  if (status.status === 'paused' && state.pausedSince === null) {
    if (await deps.reputation.markPaused(companyId, at)) {
      deps.metrics.count('DefaultProviderPaused');
      deps.metrics.count('DefaultProviderPaused', 1, { company: companyId });
      deps.metrics.publish();
    }
    return { ...status, since: at };
  }
  if (status.status === 'active' && state.pausedSince !== null) {
    if (await deps.reputation.markResumed(companyId, at)) {
      deps.metrics.count('DefaultProviderResumed', 1, { company: companyId });
      deps.metrics.publish();
    }
    return { ...status, since: at };
  }
  return status;
}

/** The operator's lift (scripts/lift-default-provider-pause.ts): sending resumes now and the window starts afresh. */
export async function liftDefaultProviderPause(deps: GuardDeps, companyId: string): Promise<DefaultProviderStatus> {
  const today = dayOf(deps.now());
  const { days } = await deps.reputation.readWindow(companyId, today, today);
  const counted = days.find((counts) => counts.day === today) ?? { day: today, sends: 0, bounces: 0, complaints: 0 };
  await deps.reputation.lift(companyId, { ...counted, at: deps.now().toISOString() });
  return defaultProviderStatus(deps, companyId);
}
