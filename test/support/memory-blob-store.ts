import { Readable } from 'node:stream';
import type { BlobStore } from '../../shared/blob-store';
import { tick } from './tick';

/** The BlobStore contract in memory. */
export class MemoryBlobStore implements BlobStore {
  readonly objects = new Map<string, { body: Buffer; contentType: string }>();

  async put(key: string, body: Buffer | Readable, contentType: string) {
    await tick();
    let bytes: Buffer;
    if (Buffer.isBuffer(body)) bytes = Buffer.from(body);
    else {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
      bytes = Buffer.concat(chunks);
    }
    this.objects.set(key, { body: bytes, contentType });
    return { size: bytes.length };
  }

  async getBuffer(key: string) {
    await tick();
    const found = this.objects.get(key);
    if (!found) throw Object.assign(new Error(`NoSuchKey: ${key}`), { name: 'NoSuchKey' });
    return Buffer.from(found.body);
  }

  async getStream(key: string) {
    return Readable.from([await this.getBuffer(key)]);
  }

  async exists(key: string) {
    await tick();
    return this.objects.has(key);
  }

  async downloadUrl(key: string, filename: string, expiresInSeconds = 900) {
    return `memory://blobs/${encodeURIComponent(key)}?filename=${encodeURIComponent(filename)}&expires=${expiresInSeconds}`;
  }
}
