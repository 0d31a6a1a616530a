import type { CandidatesStore } from '../candidates/candidates-store';
import type { JobQueue } from '../job-queue';
import { logger } from '../logger';
import type { MessagesStore } from '../messages/messages-store';
import type { MessageRecord } from '../messages/model';
import type { SuppressionStore } from '../sender-reputation/suppressions';
import { eraseMessage, type EraseMessageDeps } from './erase-message';
import type { ErasureCounts, ErasureJob, ErasurePhase, ErasureRecord } from './erasure-model';
import type { ErasureStore } from './erasure-store';
import type { CompanyEraser } from './company-eraser';
import { companyErasureStep } from './company-erasure-steps';
import { eraseCandidateExports } from './erase-exports';
import type { ExportStore } from './export-store';

export interface RunErasureDeps extends EraseMessageDeps {
  erasures: ErasureStore;
  candidates: CandidatesStore;
  messages: MessagesStore;
  company: CompanyEraser;
  /** The company's default-provider suppressions: an erased candidate's addresses leave them too. */
  suppressions: Pick<SuppressionStore, 'remove'>;
  queue: JobQueue<ErasureJob>;
  exports: ExportStore;
  /** Wait after retiring an offboarded company's inbound addresses (OFFBOARDING_SETTLE_SECONDS by default). */
  offboardingSettleSeconds: number;
}

/** Messages erased per step: a step stays far inside any invocation's time. */
export const ERASURE_PAGE = 25;
/** A message a worker is sending holds its page back this long (its lease ends it sooner). */
const SENDING_RETRY_SECONDS = 30;

/** What one step did, and what comes next. */
export interface StepResult {
  next: Partial<ErasureRecord>;
  erased: ErasureCounts;
  /** Seconds before the next step (a message still being sent); 0 = at once. */
  delaySeconds: number;
}

export type ErasureStepOutcome = 'stepped' | 'done' | 'lost-race' | 'missing';

/**
 * Runs one step of an erasure and queues the next: one page of work per invocation, so a
 * candidate with tens of thousands of messages is erased by many short runs, and a run killed
 * mid-page (a crash, a Lambda timeout) is redone from the last recorded step by the queue's
 * redelivery or the restart sweep. Two runs of the same step (a duplicate delivery) are
 * harmless: every deletion can be repeated, and only one of them records the step.
 */
export async function runErasureStep(deps: RunErasureDeps, job: ErasureJob): Promise<ErasureStepOutcome> {
  const record = await deps.erasures.get(job.companyId, job.erasureId);
  if (!record) return 'missing';
  if (record.status === 'done') return 'done';
  const result = record.kind === 'candidate' ? await candidateErasureStep(deps, record) : await companyErasureStep(deps, record);
  const now = deps.now().toISOString();
  const finished = result.next.phase === 'finish' && record.phase === 'finish';
  const counts = { messages: record.counts.messages + result.erased.messages, objects: record.counts.objects + result.erased.objects };
  const advanced = await deps.erasures.advance(record, {
    ...result.next,
    counts,
    status: finished ? 'done' : 'running',
    startedAt: record.startedAt ?? now,
    updatedAt: now,
    ...(finished ? { finishedAt: now, addresses: [], cursor: null } : {}),
  });
  if (!advanced) return 'lost-race';
  // Ids and counts only: nothing erased is ever logged.
  logger.info('erasure step', { erasureId: record.erasureId, kind: record.kind, phase: record.phase, erased: result.erased, finished });
  if (finished) return 'done';
  await deps.queue.enqueue({ companyId: record.companyId, erasureId: record.erasureId }, result.delaySeconds);
  return 'stepped';
}

const nothing = (): ErasureCounts => ({ messages: 0, objects: 0 });

async function candidateErasureStep(deps: RunErasureDeps, record: ErasureRecord): Promise<StepResult> {
  const { companyId, candidateId } = record;
  switch (record.phase) {
    case 'unlist': {
      for (const address of record.addresses) {
        await deps.candidates.unindexAddress(companyId, address, candidateId!);
        await deps.suppressions.remove(companyId, address);
      }
      await deps.candidates.writeTombstone(companyId, candidateId!, record.erasureId, deps.now().toISOString());
      return { next: { phase: 'messages', cursor: null }, erased: nothing(), delaySeconds: 0 };
    }
    case 'messages': {
      // Erased messages leave the conversation: the first page is always the next one.
      const page = await deps.messages.listByCandidate(companyId, candidateId!, { limit: ERASURE_PAGE });
      const { erased, held } = await erasePage(deps, page.items);
      if (page.items.length > 0) return { next: { phase: 'messages' }, erased, delaySeconds: held ? SENDING_RETRY_SECONDS : 0 };
      return { next: { phase: record.includeUnassigned ? 'unassigned' : 'learned', cursor: null }, erased, delaySeconds: 0 };
    }
    case 'unassigned': {
      const page = await deps.messages.listUnassigned(companyId, { cursor: record.cursor ?? undefined, limit: ERASURE_PAGE });
      const addresses = new Set(record.addresses);
      // Read whole: a list may carry only some of a message's fields.
      const full = await Promise.all(page.items.map((message) => deps.messages.get(message.id)));
      const { erased } = await erasePage(deps, full.filter((message): message is MessageRecord => message !== null && involves(message, addresses)));
      return { next: page.nextCursor ? { phase: 'unassigned', cursor: page.nextCursor } : { phase: 'learned', cursor: null }, erased, delaySeconds: 0 };
    }
    case 'learned': {
      const page = await deps.candidates.learnedAddressesOf(companyId, candidateId!, { cursor: record.cursor ?? undefined, limit: 100 });
      for (const address of page.items) await deps.candidates.forgetLearnedAddress(companyId, address, candidateId!);
      return { next: page.nextCursor ? { phase: 'learned', cursor: page.nextCursor } : { phase: 'finish', cursor: null }, erased: nothing(), delaySeconds: 0 };
    }
    default: {
      // Last, so an export that ran while the conversation was erased goes too.
      const exports = await eraseCandidateExports(deps, companyId, candidateId!);
      return { next: { phase: 'finish' as ErasurePhase }, erased: { messages: 0, objects: exports }, delaySeconds: 0 };
    }
  }
}

/** Erases a page of messages; `held` when one was being sent and must be taken again later. */
export async function erasePage(deps: EraseMessageDeps, messages: Pick<MessageRecord, 'id'>[]): Promise<{ erased: ErasureCounts; held: boolean }> {
  const erased = nothing();
  let held = false;
  for (const message of messages) {
    const outcome = await eraseMessage(deps, message);
    if (!outcome.erased) {
      held = true;
      continue;
    }
    erased.messages++;
    erased.objects += outcome.objects;
  }
  return { erased, held };
}

/** Whether a message is from or to one of the addresses (any header we store an address of). */
function involves(message: MessageRecord, addresses: Set<string>): boolean {
  const found = [message.from, message.originalSender, ...message.to, ...message.cc, ...message.replyTo].map((entry) => entry?.address.toLowerCase());
  if (message.match?.address) found.push(message.match.address.toLowerCase());
  return found.some((address) => address !== undefined && addresses.has(address));
}
