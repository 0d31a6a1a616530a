import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { mailBucketConfig } from '../config/concerns';
import { UPLOAD_SIGNED_HEADERS, type UploadStore } from '../messages/attachment-uploads';
import { getS3Client, isMissing } from './s3-blob-store';

/** Uploads of large attachments in the mail bucket (`uploads/`), with presigned PUTs. */
export function createS3UploadStore(bucket = mailBucketConfig(), client: S3Client = getS3Client()): UploadStore {
  return {
    async presignPut(key, { contentType, size }, expiresInSeconds) {
      const command = new PutObjectCommand({ Bucket: bucket, Key: key, ContentType: contentType, ContentLength: size });
      // Both headers are signed: S3 refuses the PUT when the file's type or length differs.
      const url = await getSignedUrl(client, command, { expiresIn: expiresInSeconds, signableHeaders: new Set(UPLOAD_SIGNED_HEADERS) });
      return { url, headers: { 'Content-Type': contentType, 'Content-Length': String(size) } };
    },
    async head(key) {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return { size: head.ContentLength ?? 0, contentType: head.ContentType ?? null };
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },
    async putJson(key, value) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }));
    },
    async getJson(key) {
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return JSON.parse(await object.Body!.transformToString('utf8'));
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },
    async copy(fromKey, toKey) {
      await client.send(new CopyObjectCommand({ Bucket: bucket, Key: toKey, CopySource: `${bucket}/${encodeURIComponent(fromKey).replace(/%2F/g, '/')}` }));
    },
  };
}
