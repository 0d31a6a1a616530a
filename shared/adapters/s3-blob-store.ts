import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import type { BlobStore } from '../blob-store';
import { mailBucketConfig, s3ClientConfig } from '../config/concerns';
import { safeMediaType } from '../inbound/safe-header-value';
import { traced } from './tracing';

let s3: S3Client | undefined;

/**
 * Built once. Locally AWS_ENDPOINT_URL_S3 points at s3rver, which needs path-style URLs and
 * checksums only when required (otherwise streamed uploads keep their chunk framing).
 */
export function getS3Client(): S3Client {
  s3 ??= traced(new S3Client({
    forcePathStyle: s3ClientConfig().forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  }));
  return s3;
}

export function createS3BlobStore(bucket = mailBucketConfig(), client = getS3Client()): BlobStore {
  return {
    async put(key, body, contentType) {
      // The type may come from a mail: only a clean `type/subtype` goes into the object's header.
      const type = safeMediaType(contentType);
      if (Buffer.isBuffer(body)) {
        // Whole in memory already: one PutObject (up to 5 GB), without Upload's part machinery.
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: type }));
        return { size: body.length };
      }
      let size = 0;
      const counted = body.map((chunk: Buffer) => {
        size += chunk.length;
        return chunk;
      });
      // Upload streams in parts, so a 40 MB attachment never sits in memory whole.
      await new Upload({ client, params: { Bucket: bucket, Key: key, Body: counted, ContentType: type } }).done();
      return { size };
    },
    async getBuffer(key) {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await out.Body!.transformToByteArray());
    },
    async getStream(key) {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return out.Body as Readable;
    },
    async exists(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
      } catch (error) {
        if ((error as { name?: string }).name === 'NotFound' || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
        throw error;
      }
    },
    async downloadUrl(key, filename, expiresInSeconds = 900) {
      const disposition = `attachment; filename*=UTF-8''${encodeURIComponent(filename)}`;
      return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key, ResponseContentDisposition: disposition }), {
        expiresIn: expiresInSeconds,
      });
    },
  };
}
