import { notFound } from '../errors';
import type { CandidatesStore } from './candidates-store';
import { type Candidate, normalizeAddress } from './model';

export interface CandidatesDeps {
  candidates: CandidatesStore;
  now: () => Date;
}

export interface PutCandidateInput {
  emails: string[];
  name?: string;
  scope?: string;
}

/**
 * Creates or replaces a candidate. Without transactions the address index is written in an
 * order that never loses a match: new addresses first, the record, then stale ones removed;
 * lookups re-check the record, so a leftover index entry is harmless.
 */
export async function putCandidate(deps: CandidatesDeps, companyId: string, id: string, input: PutCandidateInput): Promise<Candidate> {
  const previous = await deps.candidates.get(companyId, id);
  const emails = [...new Set(input.emails.map(normalizeAddress))];
  const now = deps.now().toISOString();
  const candidate: Candidate = {
    companyId,
    id,
    name: input.name ?? null,
    emails,
    scope: input.scope ?? 'main',
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
  };
  for (const address of emails) await deps.candidates.indexAddress(companyId, address, id);
  await deps.candidates.put(candidate);
  for (const address of previous?.emails ?? []) {
    if (!emails.includes(address)) await deps.candidates.unindexAddress(companyId, address, id);
  }
  return candidate;
}

export async function getCandidate(deps: CandidatesDeps, companyId: string, id: string): Promise<Candidate> {
  const candidate = await deps.candidates.get(companyId, id);
  if (!candidate) throw notFound('Candidate');
  return candidate;
}

export async function deleteCandidate(deps: CandidatesDeps, companyId: string, id: string): Promise<void> {
  const candidate = await getCandidate(deps, companyId, id);
  await deps.candidates.delete(companyId, id);
  for (const address of candidate.emails) await deps.candidates.unindexAddress(companyId, address, id);
}

/** The candidates of a company that currently own an address (normally zero or one). */
export async function findCandidatesByAddress(deps: CandidatesDeps, companyId: string, address: string): Promise<Candidate[]> {
  const normalized = normalizeAddress(address);
  const ids = await deps.candidates.idsByAddress(companyId, normalized);
  const found = await Promise.all(ids.map((id) => deps.candidates.get(companyId, id)));
  return found.filter((candidate): candidate is Candidate => candidate !== null && candidate.emails.includes(normalized));
}

export const candidateView = (candidate: Candidate) => ({
  id: candidate.id,
  name: candidate.name,
  emails: candidate.emails,
  scope: candidate.scope,
  createdAt: candidate.createdAt,
  updatedAt: candidate.updatedAt,
});
