import type { BlobStore } from '../blob-store';
import { OWN_MAIL_HEADER } from '../mail/own-mail-header';
import type { CandidateMailInput } from '../outbound/build-candidate-mail';
import { loadBody } from './message-body';
import type { MessageRecord } from './model';

/**
 * What a queued candidate mail renders from its stored message: recipients, subject, bodies,
 * thread, attachments, our Message-ID and id header. The sender and the Message-ID host are the
 * route's: the send worker adds them, and a candidate export adds the stored sender.
 */
export async function storedMailInput(blobs: BlobStore, message: MessageRecord): Promise<Omit<CandidateMailInput, 'from' | 'messageIdDomain'> & { messageId: string }> {
  const body = await loadBody(blobs, message);
  const attachments = await Promise.all(
    message.attachments.map(async (attachment) => ({
      filename: attachment.filename,
      contentType: attachment.contentType,
      content: await blobs.getBuffer(attachment.key),
    })),
  );
  return {
    to: message.to.map((recipient) => recipient.address),
    cc: message.cc.map((recipient) => recipient.address),
    subject: message.subject,
    text: body.text ?? undefined,
    html: body.html ?? undefined,
    inReplyTo: message.inReplyTo ?? undefined,
    references: message.references,
    attachments,
    messageId: message.messageIdHeader!,
    headers: { [OWN_MAIL_HEADER]: message.id },
  };
}
