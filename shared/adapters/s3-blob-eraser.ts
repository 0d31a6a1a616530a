import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { mailBucketConfig } from '../config/concerns';
import type { BlobEraser } from '../data-lifecycle/lifecycle-stores';
import { getS3Client } from './s3-blob-store';

/** DeleteObjects takes at most 1,000 keys. */
const MAX_KEYS = 1000;

/** Deletes objects of the mail bucket in batches (S3 answers a missing key as deleted). */
export function createS3BlobEraser(bucket = mailBucketConfig(), client: S3Client = getS3Client()): BlobEraser & { deleteUnder(prefixes: string[], limit: number): Promise<number> } {
  async function deleteObjects(keys: string[]) {
    for (let start = 0; start < keys.length; start += MAX_KEYS) {
      const out = await client.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(start, start + MAX_KEYS).map((Key) => ({ Key })), Quiet: true } }),
      );
      const failed = (out.Errors ?? []).filter((error) => error.Code !== 'NoSuchKey');
      // Keys only in the message: they name no person (ids and hashes).
      if (failed.length > 0) throw new Error(`S3 could not delete ${failed.length} objects: ${failed.map((error) => `${error.Key} ${error.Code}`).join(', ')}`);
    }
  }
  return {
    deleteObjects,
    /** Up to `limit` objects under the prefixes deleted; how many there were. */
    async deleteUnder(prefixes, limit) {
      const keys: string[] = [];
      for (const prefix of prefixes) {
        if (keys.length >= limit) break;
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: limit - keys.length }));
        keys.push(...(page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])));
      }
      await deleteObjects(keys);
      return keys.length;
    },
  };
}
