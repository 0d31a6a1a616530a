import type { BlobStore } from '../blob-store';
import type { MessageRecord } from './model';

/**
 * Bodies up to this size stay in the item; larger ones go to the bucket. Every write of a
 * message (an outbound one is written about five times on its way: created, claimed, marked
 * transmitting, settled) costs one write unit per KB of the whole item, so a 50 KB body in the
 * item would cost some 250 units per mail instead of about 10; a short reply still reads in one
 * request.
 */
export const INLINE_BODY_LIMIT = 4 * 1024;

/** Where a message's text and html are kept: in the item when they fit `inlineLimit` bytes, else in the bucket. */
export async function bodyFields(
  blobs: BlobStore,
  key: string,
  text: string | null,
  html: string | null,
  inlineLimit = INLINE_BODY_LIMIT,
): Promise<Pick<MessageRecord, 'text' | 'html' | 'bodyKey'>> {
  const size = Buffer.byteLength(text ?? '') + Buffer.byteLength(html ?? '');
  if (size <= inlineLimit) return { text, html, bodyKey: null };
  await blobs.put(key, Buffer.from(JSON.stringify({ text, html })), 'application/json');
  return { text: null, html: null, bodyKey: key };
}

export async function loadBody(blobs: BlobStore, message: MessageRecord): Promise<{ text: string | null; html: string | null }> {
  if (!message.bodyKey) return { text: message.text, html: message.html };
  return JSON.parse((await blobs.getBuffer(message.bodyKey)).toString('utf8')) as { text: string | null; html: string | null };
}
