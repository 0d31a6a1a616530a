import type { CandidatesStore } from '../../shared/candidates/candidates-store';
import type { Candidate } from '../../shared/candidates/model';
import { copy, tick } from './tick';

/** The CandidatesStore contract in memory: records, tombstones, the address index and learned addresses. */
export class MemoryCandidatesStore implements CandidatesStore {
  readonly candidates = new Map<string, Candidate>();
  readonly tombstones = new Map<string, { erasureId: string; erasedAt: string }>();
  /** Candidates an erasure holds (they read as none), with their addresses. */
  readonly erasing = new Map<string, { erasureId: string; emails: string[] }>();
  /** One entry per address–candidate pair. */
  readonly index = new Set<string>();
  readonly learned = new Map<string, string>();

  private key = (companyId: string, value: string) => `${companyId}#${value}`;

  async get(companyId: string, candidateId: string) {
    await tick();
    const found = this.candidates.get(this.key(companyId, candidateId));
    return found ? copy(found) : null;
  }

  async put(candidate: Candidate, expectedVersion: number | null) {
    await tick();
    const key = this.key(candidate.companyId, candidate.id);
    if (this.tombstones.has(key) || this.erasing.has(key)) return false;
    const stored = this.candidates.get(key);
    if ((stored?.version ?? null) !== expectedVersion) return false;
    this.candidates.set(key, copy(candidate));
    return true;
  }

  async delete(companyId: string, candidateId: string) {
    await tick();
    this.candidates.delete(this.key(companyId, candidateId));
  }

  async isErased(companyId: string, candidateId: string) {
    await tick();
    return this.tombstones.has(this.key(companyId, candidateId)) || this.erasing.has(this.key(companyId, candidateId));
  }

  async idsByAddress(companyId: string, address: string) {
    await tick();
    const prefix = `${this.key(companyId, address)}\u0000`;
    return [...this.index].filter((entry) => entry.startsWith(prefix)).map((entry) => entry.slice(prefix.length)).sort();
  }

  async indexAddress(companyId: string, address: string, candidateId: string) {
    await tick();
    this.index.add(`${this.key(companyId, address)}\u0000${candidateId}`);
  }

  async unindexAddress(companyId: string, address: string, candidateId: string) {
    await tick();
    this.index.delete(`${this.key(companyId, address)}\u0000${candidateId}`);
  }

  async learnAddress(companyId: string, address: string, candidateId: string) {
    await tick();
    this.learned.set(this.key(companyId, address), candidateId);
  }

  async learnedCandidateId(companyId: string, address: string) {
    await tick();
    return this.learned.get(this.key(companyId, address)) ?? null;
  }

  async learnedAddressesOf(companyId: string, candidateId: string) {
    await tick();
    const prefix = this.key(companyId, '');
    const items = [...this.learned].filter(([key, id]) => key.startsWith(prefix) && id === candidateId).map(([key]) => key.slice(prefix.length));
    return { items, nextCursor: null };
  }

  async forgetLearnedAddress(companyId: string, address: string, candidateId: string) {
    await tick();
    if (this.learned.get(this.key(companyId, address)) === candidateId) this.learned.delete(this.key(companyId, address));
  }

  async closedBefore(companyId: string, before: string, limit: number) {
    await tick();
    return [...this.candidates.values()]
      .filter((candidate) => candidate.companyId === companyId && candidate.closedAt !== null && candidate.closedAt < before)
      .sort((a, b) => (a.closedAt! < b.closedAt! ? -1 : 1))
      .slice(0, limit)
      .map((candidate) => candidate.id);
  }

  async claimForErasure(companyId: string, candidateId: string, erasureId: string) {
    await tick();
    const key = this.key(companyId, candidateId);
    const tombstone = this.tombstones.get(key);
    if (tombstone) return { erasureId: tombstone.erasureId, emails: [] };
    const erasing = this.erasing.get(key);
    if (erasing) return erasing;
    const candidate = this.candidates.get(key);
    if (!candidate) return null;
    this.candidates.delete(key);
    this.erasing.set(key, { erasureId, emails: candidate.emails });
    return { erasureId, emails: candidate.emails };
  }

  async writeTombstone(companyId: string, candidateId: string, erasureId: string, erasedAt: string) {
    await tick();
    this.candidates.delete(this.key(companyId, candidateId));
    this.erasing.delete(this.key(companyId, candidateId));
    this.tombstones.set(this.key(companyId, candidateId), { erasureId, erasedAt });
  }
}
