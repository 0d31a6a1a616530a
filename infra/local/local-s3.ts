import { mkdirSync } from 'node:fs';
import S3rver from 's3rver';

/** The only credentials s3rver accepts. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface LocalS3 {
  endpoint: string;
  stop(): Promise<void>;
}

/** s3rver on 127.0.0.1 with the mail bucket, files under `directory`. */
export async function startLocalS3(options: { directory: string; bucket: string; port?: number }): Promise<LocalS3> {
  mkdirSync(options.directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory: options.directory,
    configureBuckets: [{ name: options.bucket }],
  });
  const { port } = await server.run();
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => server.close() };
}
