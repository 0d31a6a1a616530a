import type { CandidatesStore } from '../candidates/candidates-store';
import { logger } from '../logger';
import type { MessagesStore } from '../messages/messages-store';
import type { EraseMessageDeps } from './erase-message';
import { erasePage } from './run-erasure';
import { anonymizeCandidate, type StartErasureDeps } from './start-erasure';

/** A company's retention policy (`PUT /v1/data-retention`). */
export interface RetentionPolicy {
  /** Days after `closedAt` a candidate is anonymized; null = never. */
  anonymizeClosedAfterDays: number | null;
  /** Days unassigned mail is kept (from its receipt). */
  unassignedDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { anonymizeClosedAfterDays: null, unassignedDays: 180 };

export interface RetentionStore {
  get(companyId: string): Promise<RetentionPolicy | null>;
  put(companyId: string, policy: RetentionPolicy, updatedAt: string): Promise<void>;
  /** Every company that can hold mail (one with an inbound address), a page at a time. */
  companies(cursor: string | null): Promise<{ items: string[]; nextCursor: string | null }>;
  /** Ids of the company's unassigned messages received before `before`, oldest first (a key range of the list: no scan). */
  unassignedReceivedBefore(companyId: string, before: string, limit: number): Promise<string[]>;
}

export interface RetentionDeps extends StartErasureDeps, EraseMessageDeps {
  retention: RetentionStore;
  candidates: CandidatesStore;
  messages: MessagesStore;
}

export async function getRetention(deps: Pick<RetentionDeps, 'retention'>, companyId: string): Promise<RetentionPolicy> {
  return (await deps.retention.get(companyId)) ?? DEFAULT_RETENTION;
}

export async function putRetention(deps: Pick<RetentionDeps, 'retention' | 'now'>, companyId: string, input: Partial<RetentionPolicy>): Promise<RetentionPolicy> {
  const policy = { ...DEFAULT_RETENTION, ...input };
  await deps.retention.put(companyId, policy, deps.now().toISOString());
  return policy;
}

export interface RetentionReport {
  companies: number;
  anonymized: number;
  unassignedDeleted: number;
}

const DAY_MS = 24 * 3600 * 1000;
/** Per company and run: the rest waits for the next run (daily), so one run stays short. */
const MAX_CANDIDATES_PER_RUN = 500;
const MAX_UNASSIGNED_PER_RUN = 2000;

/**
 * The scheduled retention job: for every company, candidates closed longer ago than its
 * `anonymizeClosedAfterDays` are anonymized (an erasure each, through the job queue), and its
 * unassigned mail older than `unassignedDays` is erased. Finding both reads key ranges
 * (the closed-candidates index, the unassigned list by receipt time), never the whole table.
 */
export async function applyRetention(deps: RetentionDeps, at: Date): Promise<RetentionReport> {
  const report: RetentionReport = { companies: 0, anonymized: 0, unassignedDeleted: 0 };
  let cursor: string | null = null;
  do {
    const page = await deps.retention.companies(cursor);
    for (const companyId of page.items) {
      report.companies++;
      const policy = await getRetention(deps, companyId);
      if (policy.anonymizeClosedAfterDays !== null) {
        const before = new Date(at.getTime() - policy.anonymizeClosedAfterDays * DAY_MS).toISOString();
        for (const candidateId of await deps.candidates.closedBefore(companyId, before, MAX_CANDIDATES_PER_RUN)) {
          await anonymizeCandidate(deps, companyId, candidateId, {}).catch((error: Error & { code?: string }) => {
            if (error.code !== 'NOT_FOUND') throw error;
          });
          report.anonymized++;
        }
      }
      const receivedBefore = new Date(at.getTime() - policy.unassignedDays * DAY_MS).toISOString();
      for (let done = 0; done < MAX_UNASSIGNED_PER_RUN; ) {
        const ids = await deps.retention.unassignedReceivedBefore(companyId, receivedBefore, 25);
        if (ids.length === 0) break;
        const messages = (await Promise.all(ids.map((id) => deps.messages.get(id)))).filter((message) => message !== null);
        const { erased } = await erasePage(deps, messages);
        report.unassignedDeleted += erased.messages;
        done += ids.length;
      }
    }
    cursor = page.nextCursor;
  } while (cursor);
  logger.info('retention applied', { ...report });
  return report;
}
