import type { CandidatesStore } from '../candidates/candidates-store';
import { notFound } from '../errors';
import type { MessagesStore, MessageSummary } from './messages-store';
import type { MessageRecord, Page } from './model';

export interface ReadMessagesDeps {
  messages: MessagesStore;
  candidates: CandidatesStore;
  now: () => Date;
}

/** A message of the caller's company; another company's id answers 404 like a missing one. */
export async function getCompanyMessage(deps: Pick<ReadMessagesDeps, 'messages'>, companyId: string, messageId: string): Promise<MessageRecord> {
  const message = await deps.messages.get(messageId);
  if (!message || message.companyId !== companyId) throw notFound('Message');
  return message;
}

export async function listCandidateMessages(
  deps: ReadMessagesDeps,
  companyId: string,
  candidateId: string,
  page: { cursor?: string; limit?: number },
): Promise<Page<MessageSummary>> {
  // A removed (unlisted) candidate's conversation stays readable; an anonymized one's is gone.
  // The index key carries the company, so nothing of another company can be listed.
  if (await deps.candidates.isErased(companyId, candidateId)) throw notFound('Candidate');
  return deps.messages.listByCandidate(companyId, candidateId, { cursor: page.cursor, limit: page.limit ?? 25 });
}

export function listUnassignedMessages(deps: ReadMessagesDeps, companyId: string, page: { cursor?: string; limit?: number }) {
  return deps.messages.listUnassigned(companyId, { cursor: page.cursor, limit: page.limit ?? 25 });
}
