import type { Candidate } from './model';

export interface CandidatesStore {
  /** The candidate, or null when there is none or it was anonymized (only its tombstone is left). */
  get(companyId: string, candidateId: string): Promise<Candidate | null>;
  /**
   * Writes the candidate if the stored one still has `expectedVersion` (null: none is stored);
   * false when another write came first (read again and retry) or the id belongs to an erased
   * candidate's tombstone.
   */
  put(candidate: Candidate, expectedVersion: number | null): Promise<boolean>;
  delete(companyId: string, candidateId: string): Promise<void>;
  /** Whether the id is an anonymized candidate's (its tombstone). */
  isErased(companyId: string, candidateId: string): Promise<boolean>;
  /** Candidate ids indexed under an address (may include stale ones: callers re-check). */
  idsByAddress(companyId: string, address: string): Promise<string[]>;
  /** One index entry per address–candidate pair: writing or removing one touches no other candidate. */
  indexAddress(companyId: string, address: string, candidateId: string): Promise<void>;
  unindexAddress(companyId: string, address: string, candidateId: string): Promise<void>;
  /** An address an admin taught by assigning a message (`learn`): its next mail files itself. */
  learnAddress(companyId: string, address: string, candidateId: string): Promise<void>;
  learnedCandidateId(companyId: string, address: string): Promise<string | null>;
  /** The addresses taught for a candidate, a page at a time (for erasure). */
  learnedAddressesOf(companyId: string, candidateId: string, page: { cursor?: string; limit: number }): Promise<{ items: string[]; nextCursor: string | null }>;
  forgetLearnedAddress(companyId: string, address: string, candidateId: string): Promise<void>;
  /** Ids of candidates closed before `before` (oldest first), from a sparse index: no scan. */
  closedBefore(companyId: string, before: string, limit: number): Promise<string[]>;
  /**
   * Marks the candidate as being erased by `erasureId` (from then on `get` answers null and
   * `put` refuses the id) unless an erasure already holds it; the erasure in force, with the
   * candidate's addresses as they were, or null when there is no such candidate.
   */
  claimForErasure(companyId: string, candidateId: string, erasureId: string): Promise<{ erasureId: string; emails: string[] } | null>;
  /**
   * Replaces the candidate by its tombstone (no name, no address; the erasure that made it):
   * from then on `get` answers null and `put` refuses the id.
   */
  writeTombstone(companyId: string, candidateId: string, erasureId: string, erasedAt: string): Promise<void>;
}
