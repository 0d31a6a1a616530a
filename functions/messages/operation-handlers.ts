import { messagesOperations as ops } from '../../shared/api/messages-operations';
import { BatchMessage } from '../../shared/api/messages-schemas';
import { AppError } from '../../shared/errors';
import { issuesFromZod } from '../../shared/http/responses';
import { queueMailBatch } from '../../shared/messages/queue-mail-batch';
import { sizeWarnings } from '../../shared/messages/size-warning';
import { queueMailDeps } from '../../shared/composition/messages-deps';
import { messagesFunctionConfig } from '../../shared/config/function-configs';
import type { OperationHandlers } from '../../shared/http/api-handler';
import { assignMessage } from '../../shared/messages/assign-message';
import { announceAttachmentUpload } from '../../shared/messages/attachment-uploads';
import { messageView } from '../../shared/messages/message-view';
import type { MessageSummary } from '../../shared/messages/messages-store';
import type { Page } from '../../shared/messages/model';
import { queueCandidateMail } from '../../shared/messages/queue-candidate-mail';
import { retryFailedMessage } from '../../shared/messages/retry-failed-message';
import { getCompanyMessage, listCandidateMessages, listUnassignedMessages } from '../../shared/messages/read-messages';

const deps = queueMailDeps(messagesFunctionConfig());

const pageView = async (page: Page<MessageSummary>) => ({
  items: await Promise.all(page.items.map((message) => messageView(message, null))),
  nextCursor: page.nextCursor,
});

export const handlers: OperationHandlers<typeof ops> = {
  send: async ({ caller, params, body, headers }) => {
    const message = await queueCandidateMail(deps, caller.companyId, params.candidateId, body, headers['idempotency-key']);
    const warnings = await sizeWarnings(deps.settings, message);
    return { status: 202, body: { ...(await messageView(message, null)), ...(warnings.length ? { warnings } : {}) }, headers: { location: `/v1/messages/${message.id}` } };
  },
  batch: async ({ caller, body }) => {
    // Each message is checked on its own: one invalid message gets its error, the others go.
    const entries = body.messages.map((raw, index) => {
      const parsed = BatchMessage.safeParse(raw);
      return parsed.success ? { message: parsed.data } : { error: new AppError('VALIDATION_FAILED', 'Invalid message', issuesFromZod(parsed.error, `messages.${index}`)) };
    });
    return { status: 202, body: { items: await queueMailBatch(deps, caller.companyId, entries) } };
  },
  conversation: async ({ caller, params, query }) => ({
    status: 200,
    body: await pageView(await listCandidateMessages(deps, caller.companyId, params.candidateId, query)),
  }),
  unassigned: async ({ caller, query }) => ({
    status: 200,
    body: await pageView(await listUnassignedMessages(deps, caller.companyId, query)),
  }),
  get: async ({ caller, params }) => ({
    status: 200,
    body: await messageView(await getCompanyMessage(deps, caller.companyId, params.messageId), deps.blobs),
  }),
  assign: async ({ caller, params, body }) => ({
    status: 200,
    body: await messageView(await assignMessage(deps, caller.companyId, params.messageId, body), deps.blobs),
  }),
  retry: async ({ caller, params }) => ({
    status: 202,
    body: await messageView(await retryFailedMessage(deps, caller.companyId, params.messageId), null),
  }),
  announceAttachment: async ({ caller, body }) => ({
    status: 201,
    body: await announceAttachmentUpload(deps, caller.companyId, body),
  }),
};
