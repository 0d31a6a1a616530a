import type { Candidate } from './model';

export interface CandidatesStore {
  get(companyId: string, candidateId: string): Promise<Candidate | null>;
  put(candidate: Candidate): Promise<void>;
  delete(companyId: string, candidateId: string): Promise<void>;
  /** Candidate ids indexed under an address (may include stale ones: callers re-check). */
  idsByAddress(companyId: string, address: string): Promise<string[]>;
  indexAddress(companyId: string, address: string, candidateId: string): Promise<void>;
  unindexAddress(companyId: string, address: string, candidateId: string): Promise<void>;
  /** An address an admin taught by assigning a message (`learn`): its next mail files itself. */
  learnAddress(companyId: string, address: string, candidateId: string): Promise<void>;
  learnedCandidateId(companyId: string, address: string): Promise<string | null>;
}
