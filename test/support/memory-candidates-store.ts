import type { CandidatesStore } from '../../shared/candidates/candidates-store';
import type { Candidate } from '../../shared/candidates/model';
import { copy, tick } from './tick';

/** The CandidatesStore contract in memory: records, the address index and learned addresses. */
export class MemoryCandidatesStore implements CandidatesStore {
  readonly candidates = new Map<string, Candidate>();
  readonly index = new Map<string, Set<string>>();
  readonly learned = new Map<string, string>();

  private key = (companyId: string, value: string) => `${companyId}#${value}`;

  async get(companyId: string, candidateId: string) {
    await tick();
    const found = this.candidates.get(this.key(companyId, candidateId));
    return found ? copy(found) : null;
  }

  async put(candidate: Candidate) {
    await tick();
    this.candidates.set(this.key(candidate.companyId, candidate.id), copy(candidate));
  }

  async delete(companyId: string, candidateId: string) {
    await tick();
    this.candidates.delete(this.key(companyId, candidateId));
  }

  async idsByAddress(companyId: string, address: string) {
    await tick();
    return [...(this.index.get(this.key(companyId, address)) ?? [])].sort();
  }

  async indexAddress(companyId: string, address: string, candidateId: string) {
    await tick();
    const key = this.key(companyId, address);
    const ids = this.index.get(key) ?? new Set<string>();
    ids.add(candidateId);
    this.index.set(key, ids);
  }

  async unindexAddress(companyId: string, address: string, candidateId: string) {
    await tick();
    this.index.get(this.key(companyId, address))?.delete(candidateId);
  }

  async learnAddress(companyId: string, address: string, candidateId: string) {
    await tick();
    this.learned.set(this.key(companyId, address), candidateId);
  }

  async learnedCandidateId(companyId: string, address: string) {
    await tick();
    return this.learned.get(this.key(companyId, address)) ?? null;
  }
}
