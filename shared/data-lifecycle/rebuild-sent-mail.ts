import type { BlobStore } from '../blob-store';
import { OWN_MAIL_HEADER } from '../mail/own-mail-header';
import { loadBody } from '../messages/message-body';
import type { MessageRecord } from '../messages/model';
import { buildCandidateMail } from '../outbound/build-candidate-mail';

/**
 * The MIME of an outbound message, rebuilt: the sent bytes are not stored, so the send worker's
 * builder renders the stored message again with its Message-ID, sender, recipients, bodies,
 * attachments and the time it was sent (the MIME boundaries differ from the sent ones).
 */
export async function rebuildSentMail(blobs: BlobStore, message: MessageRecord): Promise<Buffer> {
  const body = await loadBody(blobs, message);
  const attachments = [];
  for (const attachment of message.attachments) {
    attachments.push({ filename: attachment.filename, contentType: attachment.contentType, content: await blobs.getBuffer(attachment.key) });
  }
  const messageId = message.messageIdHeader!;
  const built = await buildCandidateMail(
    {
      from: { address: message.from!.address, ...(message.from!.name ? { name: message.from!.name } : {}) },
      ...(message.replyTo.length > 0 ? { replyTo: message.replyTo.map((entry) => ({ address: entry.address, ...(entry.name ? { name: entry.name } : {}) })) } : {}),
      to: message.to.map((recipient) => recipient.address),
      cc: message.cc.map((recipient) => recipient.address),
      subject: message.subject,
      text: body.text ?? undefined,
      html: body.html ?? undefined,
      inReplyTo: message.inReplyTo ?? undefined,
      references: message.references,
      attachments,
      // Only names the host of Message-IDs it would make; the stored one is passed.
      messageIdDomain: messageId.slice(messageId.lastIndexOf('@') + 1).replace(/>$/, ''),
      messageId,
      headers: { [OWN_MAIL_HEADER]: message.id },
    },
    { date: new Date(message.sentAt ?? message.createdAt) },
  );
  return built.raw;
}
