import { MATCH_KINDS, INBOUND_STATUSES, OUTBOUND_STATUSES } from '../messages/model';
import { MAX_ATTACHMENTS, MAX_ATTACHMENTS_TOTAL_BYTES, MAX_FILENAME_LENGTH, MAX_RECIPIENTS, MAX_SUBJECT_LENGTH } from '../outbound/limits';
import { emailAddress, entityId, scopeId, singleLine } from './common-schemas';
import { MessageDeliveryBody } from './sender-reputation-schemas';
import './zod';
import * as z from 'zod';

export const MessageParams = z.object({ messageId: entityId });

export const SendMessageHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 visible ASCII characters')
    .optional()
    .openapi({ description: 'The same key with the same body within 24 h returns the first message and sends nothing new.' }),
});

const contentType = z.string().regex(/^[\w.+-]+\/[\w.+-]+$/, 'must be a MIME type like application/pdf');

const InlineAttachment = z
  .object({ filename: singleLine(MAX_FILENAME_LENGTH), contentType, contentBase64: z.string() })
  .strict()
  .openapi('InlineAttachment');

const UploadedAttachment = z
  .object({ attachmentId: z.string().max(64).openapi({ description: 'From `POST /v1/attachments`, after the file was uploaded to its `uploadUrl`.' }) })
  .strict()
  .openapi('UploadedAttachment');

export const AnnounceAttachmentBody = z
  .object({
    filename: singleLine(MAX_FILENAME_LENGTH).min(1),
    contentType,
    size: z.number().int().min(1).max(MAX_ATTACHMENTS_TOTAL_BYTES).openapi({ description: 'Bytes; the upload must have exactly this size.' }),
  })
  .strict()
  .openapi('AnnounceAttachment');

export const AttachmentUploadBody = z
  .object({
    attachmentId: z.string(),
    uploadUrl: z.string().openapi({ description: 'A presigned S3 PUT URL: send the file\'s bytes as the body, with exactly `headers`.' }),
    headers: z.record(z.string(), z.string()).openapi({ description: 'Headers the PUT must carry (`Content-Type`, `Content-Length`): they are part of the signature.' }),
    expiresAt: z.string().openapi({ description: 'The upload URL works until then; a file not used in a message is deleted after a day.' }),
  })
  .openapi('AttachmentUpload');

export const SendMessageBody = z
  .object({
    subject: z.string().max(MAX_SUBJECT_LENGTH),
    text: z.string().max(1_000_000).optional(),
    html: z.string().max(2_000_000).optional(),
    to: z.array(emailAddress).min(1).max(MAX_RECIPIENTS).optional().openapi({ description: "Default: the candidate's primary address." }),
    cc: z.array(emailAddress).max(MAX_RECIPIENTS).optional(),
    scope: scopeId.optional().openapi({ description: "Which (sub-)company sends; default the candidate's." }),
    inReplyTo: singleLine(998)
      .optional()
      .openapi({ description: 'The id of one of our messages, or a Message-ID header (`<…>`), to thread the reply.' }),
    attachments: z
      .array(z.union([InlineAttachment, UploadedAttachment]))
      .max(MAX_ATTACHMENTS)
      .openapi({ description: `Up to ${MAX_ATTACHMENTS_TOTAL_BYTES / 1024 / 1024} MB in all: small files inline (base64), larger ones uploaded first (\`POST /v1/attachments\`) and named by \`attachmentId\`.` })
      .optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.text === undefined && body.html === undefined) ctx.addIssue({ code: 'custom', path: ['text'], message: 'text and/or html is required' });
  })
  .openapi('SendMessage');

export const AssignMessageBody = z
  .object({
    candidateId: entityId,
    learn: z.boolean().optional().openapi({ description: "Remember the sender's address so their next mail files itself." }),
  })
  .strict()
  .openapi('AssignMessage');

const Address = z.object({ address: z.string(), name: z.string().nullable() }).openapi('MailAddress');

const AttachmentView = z
  .object({
    id: z.string(),
    filename: z.string(),
    contentType: z.string(),
    size: z.number().int(),
    inline: z.boolean(),
    contentId: z.string().nullable(),
    downloadUrl: z.string().nullable(),
  })
  .openapi('Attachment');

export const MessageBody = z
  .object({
    id: z.string(),
    direction: z.enum(['inbound', 'outbound']),
    candidateId: z.string().nullable(),
    scope: z.string(),
    from: Address.nullable(),
    to: z.array(Address),
    cc: z.array(Address),
    subject: z.string(),
    messageIdHeader: z.string().nullable(),
    providerMessageIdHeader: z.string().nullable(),
    inReplyTo: z.string().nullable(),
    status: z.enum([...OUTBOUND_STATUSES, ...INBOUND_STATUSES]),
    provider: z.enum(['smtp', 'default']).nullable(),
    fallbackReason: z.string().nullable(),
    attempts: z.number().int(),
    smtpResponse: z.string().nullable(),
    error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }).nullable(),
    createdAt: z.string(),
    sentAt: z.string().nullable(),
    receivedAt: z.string().nullable(),
    text: z.string().nullable().optional(),
    html: z.string().nullable().optional().openapi({ description: 'Sanitised; remote images carry `data-remote-src` instead of `src`.' }),
    attachments: z.array(AttachmentView),
    match: z.object({ by: z.enum(MATCH_KINDS), address: z.string().nullable() }).nullable(),
    originalSender: Address.nullable(),
    verdicts: z
      .object({
        spam: z.string().nullable(),
        virus: z.string().nullable(),
        spf: z.string().nullable(),
        dkim: z.string().nullable(),
        dmarc: z.string().nullable(),
        parseError: z.string().nullable().openapi({ description: 'Why the mail could not be parsed or filed: it is unassigned, its raw mail at `rawDownloadUrl`; delivering it again files it.' }),
      })
      .nullable(),
    flags: z.object({ spam: z.boolean(), autoReply: z.boolean(), bounce: z.boolean(), remoteImages: z.number().int() }).nullable(),
    bounce: z.object({ recipient: z.string().nullable(), status: z.string().nullable(), diagnostic: z.string().nullable(), at: z.string() }).nullable(),
    omissions: z.array(z.string()).openapi({ description: 'What of an inbound mail is only in its raw mail (parts past the cap, long lists cut), one line each.' }),
    rawDownloadUrl: z.string().nullable().optional().openapi({ description: 'Inbound, single message only: a time-limited link to the mail as received.' }),
    delivery: MessageDeliveryBody.nullable(),
  })
  .openapi('Message');

export const MessagePage = z.object({ items: z.array(MessageBody), nextCursor: z.string().nullable() }).openapi('MessagePage');
