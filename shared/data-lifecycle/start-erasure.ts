import type { CandidatesStore } from '../candidates/candidates-store';
import { AppError, notFound } from '../errors';
import { newId } from '../ids';
import type { JobQueue } from '../job-queue';
import type { ErasureJob, ErasureKind, ErasurePhase, ErasureRecord } from './erasure-model';
import type { ErasureStore } from './erasure-store';

export interface StartErasureDeps {
  erasures: ErasureStore;
  candidates: CandidatesStore;
  queue: JobQueue<ErasureJob>;
  now: () => Date;
}

function newErasure(kind: ErasureKind, companyId: string, erasureId: string, at: string, fields: Partial<ErasureRecord>, phase: ErasurePhase): ErasureRecord {
  return {
    erasureId,
    companyId,
    kind,
    candidateId: null,
    includeUnassigned: false,
    status: 'pending',
    phase,
    cursor: null,
    addresses: [],
    step: 0,
    counts: { messages: 0, objects: 0 },
    createdAt: at,
    startedAt: null,
    updatedAt: at,
    finishedAt: null,
    ...fields,
  };
}

/**
 * `POST /v1/candidates/{id}/anonymize`: marks the candidate as being erased (from then on it
 * answers 404 and takes no mail or PUT), records the erasure and queues its first step. Asked
 * again, it answers the erasure already under way or done (unique until executed): an erasure
 * whose record a crash kept from being written is written now.
 */
export async function anonymizeCandidate(deps: StartErasureDeps, companyId: string, candidateId: string, input: { includeUnassigned?: boolean }): Promise<ErasureRecord> {
  const at = deps.now().toISOString();
  const claim = await deps.candidates.claimForErasure(companyId, candidateId, newId('era', deps.now().getTime()));
  if (!claim) throw notFound('Candidate');
  const existing = await deps.erasures.get(companyId, claim.erasureId);
  if (existing) return existing;
  const record = newErasure('candidate', companyId, claim.erasureId, at, { candidateId, includeUnassigned: input.includeUnassigned === true, addresses: claim.emails }, 'unlist');
  if (!(await deps.erasures.create(record))) return (await deps.erasures.get(companyId, claim.erasureId))!;
  await deps.queue.enqueue({ companyId, erasureId: record.erasureId });
  return record;
}

/**
 * `DELETE /v1/company`: the confirmation must name the caller's company. Offboarding runs as
 * an erasure of kind `company`; asked again while one runs, it answers that one.
 */
export async function offboardCompany(deps: StartErasureDeps & { offboarding: OffboardingMark }, companyId: string, confirm: string): Promise<ErasureRecord> {
  if (confirm !== companyId) {
    throw new AppError('VALIDATION_FAILED', 'The confirmation does not name this company', [{ path: 'confirm', message: 'must be the company id of the token' }]);
  }
  const erasureId = await deps.offboarding.claim(companyId, newId('era', deps.now().getTime()));
  const existing = await deps.erasures.get(companyId, erasureId);
  if (existing) return existing;
  const record = newErasure('company', companyId, erasureId, deps.now().toISOString(), {}, 'inbound');
  if (!(await deps.erasures.create(record))) return (await deps.erasures.get(companyId, erasureId))!;
  await deps.queue.enqueue({ companyId, erasureId });
  return record;
}

/** The one offboarding of a company: the first claim wins, later ones get its erasure id. */
export interface OffboardingMark {
  claim(companyId: string, erasureId: string): Promise<string>;
}

export async function getErasure(deps: Pick<StartErasureDeps, 'erasures'>, companyId: string, erasureId: string): Promise<ErasureRecord> {
  const record = await deps.erasures.get(companyId, erasureId);
  if (!record) throw notFound('Erasure');
  return record;
}
