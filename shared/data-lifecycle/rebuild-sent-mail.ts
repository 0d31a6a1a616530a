import type { BlobStore } from '../blob-store';
import type { MessageRecord } from '../messages/model';
import { storedMailInput } from '../messages/stored-mail-input';
import { buildCandidateMail } from '../outbound/build-candidate-mail';

/**
 * The MIME of an outbound message, rebuilt: the sent bytes are not stored, so the send worker's
 * builder renders the stored message again (storedMailInput, as the send worker does) with the
 * sender it was sent from and the time it was sent. The MIME boundaries differ from the sent
 * ones; a mail the default provider sent lacks the Reply-To that route adds.
 */
export async function rebuildSentMail(blobs: BlobStore, message: MessageRecord): Promise<Buffer> {
  const input = await storedMailInput(blobs, message);
  const from = message.from!;
  const built = await buildCandidateMail(
    {
      ...input,
      from: { address: from.address, ...(from.name ? { name: from.name } : {}) },
      // Only names the host of Message-IDs it would make; the stored one is passed.
      messageIdDomain: input.messageId.slice(input.messageId.lastIndexOf('@') + 1).replace(/>$/, ''),
    },
    { date: new Date(message.sentAt ?? message.createdAt) },
  );
  return built.raw;
}
