import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { mailBucketConfig } from '../config/concerns';
import type { StoredObjectLister } from '../messages/reconcile-inbound-mail';
import { getS3Client } from './s3-blob-store';

/** Pages through ListObjectsV2 (1,000 keys a request). */
export function createS3ObjectLister(bucket = mailBucketConfig(), client: S3Client = getS3Client()): StoredObjectLister {
  return {
    async *list(prefix) {
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const object of page.Contents ?? []) {
          if (object.Key && object.LastModified) yield { key: object.Key, lastModified: object.LastModified };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
  };
}
