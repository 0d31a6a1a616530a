import type { BlobStore } from '../blob-store';
import { loadBody } from './message-body';
import type { MessageSummary } from './messages-store';
import type { MessageRecord } from './model';

/**
 * The API's view of a message. Lists leave bodies out (they read the index, which holds a
 * message's summary only); one message carries its text, its sanitised html and time-limited
 * attachment links.
 */
export async function messageView(message: MessageSummary | MessageRecord, blobs: BlobStore | null) {
  const body = blobs && 'bodyKey' in message ? await loadBody(blobs, message) : null;
  const attachments = await Promise.all(
    message.attachments.map(async (attachment) => ({
      id: attachment.id,
      filename: attachment.filename,
      contentType: attachment.contentType,
      size: attachment.size,
      inline: attachment.inline,
      contentId: attachment.contentId,
      downloadUrl: blobs ? await blobs.downloadUrl(attachment.key, attachment.filename) : null,
    })),
  );
  return {
    id: message.id,
    direction: message.direction,
    candidateId: message.candidateId,
    scope: message.scope,
    from: message.from,
    to: message.to,
    cc: message.cc,
    subject: message.subject,
    messageIdHeader: message.messageIdHeader,
    providerMessageIdHeader: message.providerMessageIdHeader,
    inReplyTo: message.inReplyTo,
    status: message.status,
    provider: message.provider,
    fallbackReason: message.fallbackReason,
    attempts: message.attempts,
    nextAttemptAt: message.status === 'queued' ? (message.nextAttemptAt ?? null) : null,
    smtpResponse: message.smtpResponse,
    error: message.error,
    createdAt: message.createdAt,
    sentAt: message.sentAt,
    receivedAt: message.receivedAt,
    ...(body ? { text: body.text, html: body.html } : {}),
    attachments,
    match: message.match,
    originalSender: message.originalSender,
    verdicts: message.verdicts ? { ...message.verdicts, parseError: message.verdicts.parseError ?? null } : null,
    flags: message.flags,
    bounce: message.bounce,
    omissions: message.omissions ?? [],
    // Inbound: the mail as received (the only copy of what `omissions` or a parse error left out).
    rawDownloadUrl: blobs && 'rawKey' in message && message.rawKey ? await blobs.downloadUrl(message.rawKey, `${message.id}.eml`) : null,
    delivery: message.delivery ?? null,
  };
}
