import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import type { BlobStore } from '../blob-store';
import { mailBucketConfig, s3ClientConfig } from '../config/concerns';
import { safeMediaType } from '../inbound/safe-header-value';
import { adapterClient } from './tracing';

let s3: S3Client | undefined;

/** Upload's part size (its default, and S3's smallest part but the last). */
const UPLOAD_PART_BYTES = 5 * 1024 * 1024;

/**
 * Built once. Locally AWS_ENDPOINT_URL_S3 points at s3rver, which needs path-style URLs and
 * checksums only when required (otherwise streamed uploads keep their chunk framing).
 */
export function getS3Client(): S3Client {
  s3 ??= adapterClient(
    new S3Client({
      forcePathStyle: s3ClientConfig().forcePathStyle,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  );
  return s3;
}

/** S3's "no such object" (HeadObject answers NotFound, GetObject NoSuchKey, both a 404). */
export const isMissing = (error: unknown): boolean => {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === 'NotFound' || name === 'NoSuchKey' || $metadata?.httpStatusCode === 404;
};

export function createS3BlobStore(bucket = mailBucketConfig(), client = getS3Client()): BlobStore {
  return {
    async put(key, body, contentType) {
      // The type may come from a mail: only a clean `type/subtype` goes into the object's header.
      const type = safeMediaType(contentType);
      const putWhole = async (bytes: Buffer) => {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentType: type }));
        return { size: bytes.length };
      };
      // Whole in memory already: one PutObject (up to 5 GB), without Upload's part machinery.
      if (Buffer.isBuffer(body)) return putWhole(body);
      // A stream is read up to one part first (Upload holds as much before it sends anything):
      // one that ends within it, as most attachments do, goes up in one PutObject as well.
      const chunks: Buffer[] = [];
      let size = 0;
      const source = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      for (let next = await source.next(); ; next = await source.next()) {
        if (next.done) return putWhole(Buffer.concat(chunks, size));
        chunks.push(next.value);
        size += next.value.length;
        if (size > UPLOAD_PART_BYTES) break;
      }
      // Larger: Upload streams it in parts, so a 40 MB attachment never sits in memory whole.
      const rest = Readable.from(
        (async function* () {
          yield* chunks;
          chunks.length = 0;
          for (let next = await source.next(); !next.done; next = await source.next()) {
            size += next.value.length;
            yield next.value;
          }
        })(),
      );
      await new Upload({ client, params: { Bucket: bucket, Key: key, Body: rest, ContentType: type }, partSize: UPLOAD_PART_BYTES }).done();
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
        if (isMissing(error)) return false;
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
