import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import S3rver from 's3rver';
import { type BucketCorsRule, uploadCorsRules } from '../../shared/http/cors-policy';

/** The only credentials s3rver accepts. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface LocalS3 {
  endpoint: string;
  /** Calls `listener` with each S3 event notification (as S3 sends to a queue), for every object created or removed. */
  onEvent(listener: (notification: { Records: unknown[] }) => void): void;
  stop(): Promise<void>;
}

/**
 * s3rver on 127.0.0.1 with the mail bucket, files under `directory`, and the bucket's CORS rules
 * for presigned uploads from `corsAllowedOrigins` (as the deployed bucket's).
 */
export async function startLocalS3(options: { directory: string; bucket: string; corsAllowedOrigins?: readonly string[]; port?: number }): Promise<LocalS3> {
  mkdirSync(options.directory, { recursive: true });
  removeIncompleteObjects(options.directory);
  // The rules of this start only: those of an earlier start (other origins) are not kept.
  rmSync(join(options.directory, options.bucket, STORED_CORS_FILE), { force: true });
  const corsRules = uploadCorsRules(options.corsAllowedOrigins ?? []);
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory: options.directory,
    configureBuckets: [{ name: options.bucket, configs: corsRules.length > 0 ? [corsConfigurationXml(corsRules)] : [] }],
  });
  const { port } = await server.run();
  return { endpoint: `http://127.0.0.1:${port}`, onEvent: (listener) => void server.on('event', listener), stop: () => server.close() };
}

const OBJECT_SUFFIX = '._S3rver_object';
/** Where s3rver keeps a bucket's CORS configuration (what PutBucketCors writes). */
const STORED_CORS_FILE = '._S3rver_cors.xml';

/** S3's CORSConfiguration document (what PutBucketCors takes), which s3rver reads too. */
export function corsConfigurationXml(rules: readonly BucketCorsRule[]): string {
  const element = (name: string, value: string | number) => `<${name}>${String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;')}</${name}>`;
  const rule = (r: BucketCorsRule) =>
    [
      '<CORSRule>',
      ...r.allowedOrigins.map((origin) => element('AllowedOrigin', origin)),
      ...r.allowedMethods.map((method) => element('AllowedMethod', method)),
      ...r.allowedHeaders.map((header) => element('AllowedHeader', header)),
      element('MaxAgeSeconds', r.maxAgeSeconds),
      '</CORSRule>',
    ].join('');
  return `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${rules.map(rule).join('')}</CORSConfiguration>`;
}

/**
 * S3 stores an object whole or not at all; s3rver writes the content, then the metadata, and
 * answers the PUT only then. A process killed in between leaves content without (complete) metadata,
 * which s3rver later fails on (500 on listing): such leftovers were never acknowledged as
 * stored, so they are removed before the start.
 */
function removeIncompleteObjects(directory: string): void {
  for (const entry of readdirSync(directory, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(OBJECT_SUFFIX)) continue;
    const path = join(entry.parentPath, entry.name);
    const base = path.slice(0, -OBJECT_SUFFIX.length);
    const metadata = `${base}._S3rver_metadata.json`;
    if (existsSync(metadata) && statSync(metadata).size > 0) continue;
    rmSync(metadata, { force: true });
    rmSync(path, { force: true });
    rmSync(`${path}.md5`, { force: true });
  }
}
