import { getCandidate } from '../candidates/candidates-service';
import type { CandidatesStore } from '../candidates/candidates-store';
import { normalizeAddress } from '../candidates/model';
import { AppError } from '../errors';
import type { MessagesStore } from './messages-store';
import type { MessageRecord } from './model';
import { getCompanyMessage } from './read-messages';

export interface AssignMessageDeps {
  messages: MessagesStore;
  candidates: CandidatesStore;
  now: () => Date;
}

/**
 * Files an inbound message under a candidate by hand. With `learn`, the message's original
 * sender is remembered for that candidate, so that their next mail files itself (`learned`).
 */
export async function assignMessage(
  deps: AssignMessageDeps,
  companyId: string,
  messageId: string,
  input: { candidateId: string; learn?: boolean },
): Promise<MessageRecord> {
  const message = await getCompanyMessage(deps, companyId, messageId);
  if (message.direction !== 'inbound') {
    throw new AppError('CONFLICT', 'Only inbound messages can be assigned; outbound mail belongs to the candidate it was sent to');
  }
  await getCandidate(deps, companyId, input.candidateId);
  const sender = message.originalSender?.address ?? message.from?.address ?? null;
  const updated = await deps.messages.update(message.id, {
    candidateId: input.candidateId,
    match: { by: 'manual', address: sender },
    updatedAt: deps.now().toISOString(),
  });
  if (input.learn && sender) await deps.candidates.learnAddress(companyId, normalizeAddress(sender), input.candidateId);
  return updated ?? message;
}
