import { bodyKey } from '../mail-bucket-layout';
import { envelopeKey, filedMarkKey } from '../messages/inbound-filing-marks';
import type { MessagesStore } from '../messages/messages-store';
import type { MessageRecord } from '../messages/model';
import type { BlobEraser, MessageItemsEraser } from './lifecycle-stores';

export interface EraseMessageDeps {
  messages: MessagesStore;
  messageItems: MessageItemsEraser;
  blobs: BlobEraser;
  now: () => Date;
}

export type MessageErasure = { erased: true; objects: number } | { erased: false; reason: 'sending' };

/**
 * Every object a message owns in the mail bucket: bodies, attachments (inbound ones extracted
 * from the raw mail, outbound ones as the API stored them), the raw inbound mail and what the
 * receiving side keeps beside it (the filed mark, the local envelope).
 */
export function objectsOf(message: MessageRecord): string[] {
  const keys = [bodyKey(message.companyId, message.id), ...message.attachments.map((attachment) => attachment.key)];
  if (message.bodyKey) keys.push(message.bodyKey);
  if (message.rawKey) keys.push(message.rawKey, filedMarkKey(message.rawKey), envelopeKey(message.rawKey));
  return [...new Set(keys)];
}

/**
 * Erases one message: a queued outbound one is cancelled first (`cancelled`: the send worker
 * skips it), one a worker is sending right now is left for a later page (it ends `sent` or
 * `failed` within its lease); then the objects, then the items. Safe to run again.
 */
export async function eraseMessage(deps: EraseMessageDeps, listed: Pick<MessageRecord, 'id'>): Promise<MessageErasure> {
  // Read whole: a list carries only the fields lists show, not the keys of the objects to erase.
  let message = await deps.messages.get(listed.id);
  if (!message) return { erased: true, objects: 0 };
  if (message.direction === 'outbound' && message.status === 'queued') {
    const cancelled = await deps.messages.update(message.id, { status: 'cancelled', updatedAt: deps.now().toISOString() }, ['queued']);
    message = cancelled ?? (await deps.messages.get(message.id));
    if (!message) return { erased: true, objects: 0 };
  }
  if (message.direction === 'outbound' && message.status === 'sending') return { erased: false, reason: 'sending' };
  const objects = objectsOf(message);
  await deps.blobs.deleteObjects(objects);
  await deps.messageItems.eraseMessageItems(message);
  return { erased: true, objects: objects.length };
}
