import { messagesOperations as ops } from '../../shared/api/messages-operations';
import { queueMailDeps } from '../../shared/composition/messages-deps';
import { messagesFunctionConfig } from '../../shared/config/function-configs';
import type { OperationHandlers } from '../../shared/http/api-handler';
import { assignMessage } from '../../shared/messages/assign-message';
import { announceAttachmentUpload } from '../../shared/messages/attachment-uploads';
import { messageView } from '../../shared/messages/message-view';
import type { MessageSummary } from '../../shared/messages/messages-store';
import type { Page } from '../../shared/messages/model';
import { queueCandidateMail } from '../../shared/messages/queue-candidate-mail';
import { getCompanyMessage, listCandidateMessages, listUnassignedMessages } from '../../shared/messages/read-messages';

const deps = queueMailDeps(messagesFunctionConfig());

const pageView = async (page: Page<MessageSummary>) => ({
  items: await Promise.all(page.items.map((message) => messageView(message, null))),
  nextCursor: page.nextCursor,
});

export const handlers: OperationHandlers<typeof ops> = {
  send: async ({ caller, params, body, headers }) => {
    const message = await queueCandidateMail(deps, caller.companyId, params.candidateId, body, headers['idempotency-key']);
    return { status: 202, body: await messageView(message, null), headers: { location: `/v1/messages/${message.id}` } };
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
  announceAttachment: async ({ caller, body }) => ({
    status: 201,
    body: await announceAttachmentUpload(deps, caller.companyId, body),
  }),
};
