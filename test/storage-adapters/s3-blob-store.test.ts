/**
 * The S3 blob store against s3rver on loopback, configured through the environment exactly as
 * local mode configures it (endpoint, path-style URLs, s3rver's fixed credentials).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { BlobStore } from '../../shared/blob-store';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from '../../infra/local/local-s3';

const BUCKET = 'mail-bucket-test';

let s3: LocalS3;
let dataDir: string;
let blobs: BlobStore;
let destroyClient: () => void = () => undefined;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 's3-blob-store-'));
  s3 = await startLocalS3({ directory: dataDir, bucket: BUCKET });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_REGION: 'eu-central-1',
    AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    MAIL_BUCKET: BUCKET,
  });
  delete process.env.AWS_PROFILE;
  const { createS3BlobStore, getS3Client } = await import('../../shared/adapters/s3-blob-store');
  blobs = createS3BlobStore();
  destroyClient = () => getS3Client().destroy();
});

after(async () => {
  destroyClient();
  await s3?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** A stream that hands out `bytes` in uneven chunks, as a parser writing an attachment does. */
function chunked(bytes: Buffer, chunkSizes = [1, 7, 4096, 65_536, 333]): Readable {
  const chunks: Buffer[] = [];
  let offset = 0;
  for (let i = 0; offset < bytes.length; i++) {
    const size = chunkSizes[i % chunkSizes.length];
    chunks.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return Readable.from(chunks);
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

describe('S3 blob store', () => {
  it('stores a Buffer and returns its size and bytes', async () => {
    const bytes = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(10_000), Buffer.from([0, 255, 13, 10])]);
    assert.deepEqual(await blobs.put('outbound/acme/msg_1/0', bytes, 'application/pdf'), { size: bytes.length });
    assert.deepEqual(await blobs.getBuffer('outbound/acme/msg_1/0'), bytes);
    assert.deepEqual(await readAll(await blobs.getStream('outbound/acme/msg_1/0')), bytes);
  });

  it('stores a stream with its exact bytes (no chunk framing) and counts its size', async () => {
    const bytes = randomBytes(200_000);
    assert.deepEqual(await blobs.put('inbound/acme/raw-1/att-1', chunked(bytes), 'application/octet-stream'), { size: bytes.length });
    const stored = await blobs.getBuffer('inbound/acme/raw-1/att-1');
    assert.equal(stored.length, bytes.length);
    assert.equal(sha256(stored), sha256(bytes));
    assert.ok(!stored.subarray(0, 40).toString('latin1').includes(';chunk-signature'), 'the stored object starts with aws-chunked framing');
  });

  it('stores a stream larger than one upload part', async () => {
    const bytes = randomBytes(6 * 1024 * 1024 + 123);
    assert.deepEqual(await blobs.put('inbound/acme/raw-2/big', chunked(bytes, [1024 * 1024]), 'application/zip'), { size: bytes.length });
    const stored = await blobs.getBuffer('inbound/acme/raw-2/big');
    assert.equal(stored.length, bytes.length);
    assert.equal(sha256(stored), sha256(bytes));
  });

  it('stores an empty stream', async () => {
    assert.deepEqual(await blobs.put('inbound/acme/raw-3/empty', Readable.from([]), 'text/plain'), { size: 0 });
    assert.equal((await blobs.getBuffer('inbound/acme/raw-3/empty')).length, 0);
  });

  it('skips the SDK logger middleware (it filters every call for a no-op logger)', async () => {
    const { getS3Client } = await import('../../shared/adapters/s3-blob-store');
    assert.deepEqual(getS3Client().middlewareStack.identify().filter((name) => name.startsWith('loggerMiddleware')), []);
  });

  it('tells whether a key exists', async () => {
    await blobs.put('exists/yes', Buffer.from('x'), 'text/plain');
    assert.equal(await blobs.exists('exists/yes'), true);
    assert.equal(await blobs.exists('exists/no'), false);
  });

  it('gives a download link that serves the bytes and names the file', async () => {
    const bytes = Buffer.concat([Buffer.from('PK\u0003\u0004'), randomBytes(5000)]);
    await blobs.put('inbound/acme/raw-4/att-0', bytes, 'application/pdf');
    const filename = 'Lebenslauf Jürgen (final).pdf';
    const url = await blobs.downloadUrl('inbound/acme/raw-4/att-0', filename, 300);
    assert.ok(url.startsWith(s3.endpoint), url);

    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), bytes);
    const disposition = response.headers.get('content-disposition') ?? '';
    assert.match(disposition, /^attachment;/);
    assert.ok(disposition.includes(`filename*=UTF-8''${encodeURIComponent(filename)}`), disposition);
    // In a SigV4 link every query parameter, the disposition too, is signed (S3 checks it; s3rver does not).
    assert.match(new URL(url).searchParams.get('X-Amz-SignedHeaders') ?? '', /host/);
    assert.ok(new URL(url).searchParams.get('response-content-disposition'));
    assert.equal(new URL(url).searchParams.get('X-Amz-Expires'), '300');
  });
});
