import { CandidateParams } from './candidates-schemas';
import { pageQuery } from './common-schemas';
import {
  AnnounceAttachmentBody,
  AssignMessageBody,
  AttachmentUploadBody,
  MessageBody,
  MessagePage,
  MessageParams,
  SendBatchBody,
  SendBatchResult,
  SendMessageBody,
  SendMessageHeaders,
} from './messages-schemas';
import { defineOperations, withJsonBody } from './operation';

/**
 * API Gateway's payload limit. Inline attachments travel in base64 (4/3 larger), so a request
 * carries at most about 7.4 MB of them (Lambda's 6 MB request limit lowers that to about 4.4 MB
 * on AWS); larger files are uploaded first (`POST /v1/attachments`), up to
 * MAX_ATTACHMENTS_TOTAL_BYTES (15 MB) per message in all.
 */
export const SEND_BODY_LIMIT = 10 * 1024 * 1024;

/** What the two lists of messages share: a page of them, newest first, read with a cursor. */
const pageOfMessages = { method: 'GET', query: pageQuery, responses: { 200: withJsonBody('A page', MessagePage) } } as const;

export const messagesOperations = defineOperations('messages', {
  send: {
    id: 'sendCandidateMessage', method: 'POST', path: '/v1/candidates/{candidateId}/messages', access: 'member',
    summary: "Send mail to a candidate through the company's server (or the default provider); delivery is asynchronous",
    params: CandidateParams, body: SendMessageBody, headers: SendMessageHeaders, maxBodyBytes: SEND_BODY_LIMIT,
    responses: {
      202: withJsonBody('Queued (or, for a repeated Idempotency-Key, the first message as it is now)', MessageBody),
      409: { description: 'The Idempotency-Key was used with a different body' },
    },
  },
  batch: {
    id: 'sendMessageBatch', method: 'POST', path: '/v1/messages/batch', access: 'member',
    summary: 'Up to 500 messages at once, each as a single send with its `candidateId` and `idempotencyKey`; more than 500 is a 400',
    body: SendBatchBody, maxBodyBytes: SEND_BODY_LIMIT,
    responses: { 202: withJsonBody('Each message queued, or its own error, in order', SendBatchResult) },
  },
  conversation: {
    ...pageOfMessages, id: 'listCandidateMessages', path: '/v1/candidates/{candidateId}/messages', access: 'member',
    summary: 'The conversation with a candidate, newest first',
    params: CandidateParams,
  },
  unassigned: {
    ...pageOfMessages, id: 'listUnassignedMessages', path: '/v1/messages/unassigned', access: 'member',
    summary: 'Inbound mail not filed under a candidate, newest first',
  },
  get: {
    id: 'getMessage', method: 'GET', path: '/v1/messages/{messageId}', access: 'member',
    summary: 'One message with text, safe html and attachment links',
    params: MessageParams,
    responses: { 200: withJsonBody('The message', MessageBody) },
  },
  assign: {
    id: 'assignMessage', method: 'POST', path: '/v1/messages/{messageId}/assign', access: 'member',
    summary: 'File an inbound message under a candidate; `learn` makes the sender’s next mail file itself',
    params: MessageParams, body: AssignMessageBody, maxBodyBytes: 4096,
    responses: {
      200: withJsonBody('The message, filed', MessageBody),
      409: { description: '`CONFLICT`: only inbound messages can be assigned (outbound mail belongs to the candidate it was sent to)' },
    },
  },
  retry: {
    id: 'retryMessage', method: 'POST', path: '/v1/messages/{messageId}/retry', access: 'member',
    summary: 'Send a failed outbound message again: the same message (id, Message-ID, idempotency key) goes back to `queued`, its attempts counted from zero',
    params: MessageParams,
    responses: {
      202: withJsonBody('Queued again (or, while it is queued or sending, the message as it is)', MessageBody),
      409: { description: '`CONFLICT`: an inbound message, or one that was sent or may have been delivered (`DELIVERY_UNCERTAIN`): it is never sent twice' },
    },
  },
  announceAttachment: {
    id: 'createAttachmentUpload', method: 'POST', path: '/v1/attachments', access: 'member',
    summary: 'A presigned upload for a large attachment: PUT the file to `uploadUrl` with `headers`, then name `attachmentId` in a message',
    body: AnnounceAttachmentBody, maxBodyBytes: 4096,
    responses: { 201: withJsonBody('Upload here, within 15 minutes', AttachmentUploadBody) },
  },
});
