import type { JobQueue } from '../job-queue';
import type { ErasureJob } from './erasure-model';
import type { ErasureStore } from './erasure-store';

export interface ResumeErasuresDeps {
  erasures: ErasureStore;
  queue: JobQueue<ErasureJob>;
  now: () => Date;
}

export interface ResumeReport {
  resumed: string[];
}

/**
 * The restart sweep: every erasure not done whose record has not moved for `staleSeconds` is
 * queued again (its job was lost: a crash of the local process, a Lambda timeout whose message
 * went to the dead-letter queue). With `staleSeconds` 0 (local start) all of them. A job queued
 * twice is harmless: only one run records each step.
 */
export async function resumeErasures(deps: ResumeErasuresDeps, staleSeconds: number, limit = 1000): Promise<ResumeReport> {
  const resumed: string[] = [];
  const before = deps.now().getTime() - staleSeconds * 1000;
  for (const { companyId, erasureId } of await deps.erasures.listUnfinished(limit)) {
    const record = await deps.erasures.get(companyId, erasureId);
    if (!record || record.status === 'done' || Date.parse(record.updatedAt) > before) continue;
    await deps.queue.enqueue({ companyId, erasureId });
    resumed.push(erasureId);
  }
  return { resumed };
}
