import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, notFound } from '../errors';
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
  /** When the application was closed (rejected, withdrawn); null reopens; absent keeps it. */
  closedAt?: string | null;
}

/** Writes that lost a race with another PUT are read again and retried this often. */
const PUT_ATTEMPTS = 10;

/**
 * Creates or replaces a candidate. The record is written only if it is still the one read
 * (its version), so of two concurrent PUTs one retries on what the other wrote and the address
 * index ends right. Without transactions the index is written in an order that never loses a
 * match: new addresses first, the record, then stale ones removed; lookups re-check the record,
 * so a leftover index entry is harmless.
 */
export async function putCandidate(deps: CandidatesDeps, companyId: string, id: string, input: PutCandidateInput): Promise<Candidate> {
  const emails = [...new Set(input.emails.map(normalizeAddress))];
  for (let attempt = 1; ; attempt++) {
    const previous = await deps.candidates.get(companyId, id);
    const now = deps.now().toISOString();
    const candidate: Candidate = {
      companyId,
      id,
      name: input.name ?? null,
      emails,
      scope: input.scope ?? 'main',
      closedAt: input.closedAt === undefined ? (previous?.closedAt ?? null) : input.closedAt && new Date(input.closedAt).toISOString(),
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
      version: (previous?.version ?? 0) + 1,
    };
    for (const address of emails) await deps.candidates.indexAddress(companyId, address, id);
    if (await deps.candidates.put(candidate, previous ? previous.version : null)) {
      for (const address of previous?.emails ?? []) {
        if (!emails.includes(address)) await deps.candidates.unindexAddress(companyId, address, id);
      }
      return candidate;
    }
    if (await deps.candidates.isErased(companyId, id)) {
      // Its index entries just written must not outlive the refusal.
      for (const address of emails) await deps.candidates.unindexAddress(companyId, address, id);
      throw new AppError('CONFLICT', 'This candidate was anonymized; its id cannot be used again');
    }
    if (attempt >= PUT_ATTEMPTS) throw new AppError('CONFLICT', 'The candidate was changed by other requests meanwhile; try again');
    // Jittered, so that writers that collided do not collide again.
    await sleep(Math.random() * 5 * 2 ** Math.min(attempt, 6));
  }
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
  closedAt: candidate.closedAt,
  createdAt: candidate.createdAt,
  updatedAt: candidate.updatedAt,
});
