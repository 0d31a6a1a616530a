import type { Readable } from 'node:stream';
import type { AttachmentSink } from '../../shared/inbound/parse-inbound-mail';

/** Keeps attachments in memory (small test mails only); records what the parser handed over. */
export class MemoryAttachmentSink implements AttachmentSink {
  readonly stored = new Map<string, { name: string; contentType: string; content: Buffer }>();
  private counter = 0;

  async put(name: string, contentType: string, content: Readable): Promise<{ key: string; size: number }> {
    const chunks: Buffer[] = [];
    for await (const chunk of content) chunks.push(chunk as Buffer);
    const key = `att-${++this.counter}`;
    const buffer = Buffer.concat(chunks);
    this.stored.set(key, { name, contentType, content: buffer });
    return { key, size: buffer.length };
  }
}
