import type { CountedKind } from '../../shared/sender-reputation/event-facts';
import type { DayCounts, GuardState, ReputationStore } from '../../shared/sender-reputation/reputation-guard';
import { normalizeAddress, type Suppression, type SuppressionStore } from '../../shared/sender-reputation/suppressions';
import { copy, tick } from './tick';

/** The suppression and guard stores' contract in memory (each call atomic, as a conditional write). */
export class MemorySenderReputationStore implements ReputationStore, SuppressionStore {
  readonly suppressions = new Map<string, Suppression>();
  readonly facts = new Set<string>();
  readonly days = new Map<string, DayCounts>();
  readonly states = new Map<string, GuardState>();

  private state(companyId: string): GuardState {
    return this.states.get(companyId) ?? { pausedSince: null, resumedAt: null, lift: null };
  }

  async suppress(companyId: string, suppression: Suppression) {
    await tick();
    const key = `${companyId}#${normalizeAddress(suppression.address)}`;
    if (!this.suppressions.has(key)) this.suppressions.set(key, copy(suppression));
  }
  async suppressedAmong(companyId: string, addresses: string[]) {
    await tick();
    const unique = [...new Set(addresses.map(normalizeAddress))];
    return unique.flatMap((address) => {
      const found = this.suppressions.get(`${companyId}#${address}`);
      return found ? [copy(found)] : [];
    });
  }
  async list(companyId: string, page: { cursor?: string; limit: number }) {
    await tick();
    const all = [...this.suppressions.entries()]
      .filter(([key]) => key.startsWith(`${companyId}#`))
      .map(([key, value]) => ({ address: key.slice(companyId.length + 1), value }))
      .sort((a, b) => (a.address < b.address ? -1 : 1))
      .filter((entry) => page.cursor === undefined || entry.address > page.cursor);
    const items = all.slice(0, page.limit);
    return { items: items.map((entry) => copy(entry.value)), nextCursor: all.length > page.limit ? items[items.length - 1]!.address : null };
  }
  async remove(companyId: string, address: string) {
    await tick();
    return this.suppressions.delete(`${companyId}#${normalizeAddress(address)}`);
  }

  async claimCountedFact(companyId: string, key: string) {
    await tick();
    const id = `${companyId}#${key}`;
    if (this.facts.has(id)) return false;
    this.facts.add(id);
    return true;
  }
  async releaseCountedFact(companyId: string, key: string) {
    await tick();
    this.facts.delete(`${companyId}#${key}`);
  }
  async addCounts(companyId: string, day: string, counts: Partial<Record<CountedKind, number>>) {
    await tick();
    const current = this.days.get(`${companyId}#${day}`) ?? { day, sends: 0, bounces: 0, complaints: 0 };
    this.days.set(`${companyId}#${day}`, {
      day,
      sends: current.sends + (counts.sends ?? 0),
      bounces: current.bounces + (counts.bounces ?? 0),
      complaints: current.complaints + (counts.complaints ?? 0),
    });
  }
  async readWindow(companyId: string, fromDay: string, toDay: string) {
    await tick();
    const days = [...this.days.entries()]
      .filter(([key, counts]) => key.startsWith(`${companyId}#`) && counts.day >= fromDay && counts.day <= toDay)
      .map(([, counts]) => copy(counts));
    return { days, state: copy(this.state(companyId)) };
  }
  async markPaused(companyId: string, since: string) {
    await tick();
    const state = this.state(companyId);
    if (state.pausedSince !== null) return false;
    this.states.set(companyId, { ...state, pausedSince: since });
    return true;
  }
  async markResumed(companyId: string, at: string) {
    await tick();
    const state = this.state(companyId);
    if (state.pausedSince === null) return false;
    this.states.set(companyId, { ...state, pausedSince: null, resumedAt: at });
    return true;
  }
  async lift(companyId: string, lift: DayCounts & { at: string }) {
    await tick();
    this.states.set(companyId, { pausedSince: null, resumedAt: lift.at, lift: copy(lift) });
  }
}
