import type { UploadStore } from '../../shared/messages/attachment-uploads';
import type { MemoryBlobStore } from './memory-blob-store';

/** The UploadStore contract in memory, over the same objects as a MemoryBlobStore. */
export class MemoryUploadStore implements UploadStore {
  constructor(readonly blobs: MemoryBlobStore) {}

  async presignPut(key: string, headers: { contentType: string; size: number }, expiresInSeconds: number) {
    return {
      url: `memory://uploads/${encodeURIComponent(key)}?expires=${expiresInSeconds}`,
      headers: { 'Content-Type': headers.contentType, 'Content-Length': String(headers.size) },
    };
  }

  async head(key: string) {
    const found = this.blobs.objects.get(key);
    return found ? { size: found.body.length, contentType: found.contentType } : null;
  }

  async putJson(key: string, value: unknown) {
    await this.blobs.put(key, Buffer.from(JSON.stringify(value)), 'application/json');
  }

  async getJson<T>(key: string): Promise<T | null> {
    const found = this.blobs.objects.get(key);
    return found ? (JSON.parse(found.body.toString('utf8')) as T) : null;
  }

  async copy(fromKey: string, toKey: string) {
    const found = this.blobs.objects.get(fromKey);
    if (!found) throw Object.assign(new Error(`NoSuchKey: ${fromKey}`), { name: 'NoSuchKey' });
    this.blobs.objects.set(toKey, { body: Buffer.from(found.body), contentType: found.contentType });
  }
}
