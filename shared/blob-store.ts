import type { Readable } from 'node:stream';

/** Raw mail, bodies and attachments: S3 on AWS, s3rver locally. */
export interface BlobStore {
  put(key: string, body: Buffer | Readable, contentType: string): Promise<{ size: number }>;
  getBuffer(key: string): Promise<Buffer>;
  getStream(key: string): Promise<Readable>;
  exists(key: string): Promise<boolean>;
  /** A time-limited download link that names the file. */
  downloadUrl(key: string, filename: string, expiresInSeconds?: number): Promise<string>;
}
