import yauzl from 'yauzl';
import type { TestBackend } from './test-backend';

/** Every entry of a zip, by name. */
export async function unzip(zip: Buffer): Promise<Map<string, Buffer>> {
  const zipfile = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.fromBuffer(zip, { lazyEntries: true }, (error, opened) => (error ? reject(error) : resolve(opened))));
  const entries = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zipfile.on('error', reject);
    zipfile.on('end', () => resolve());
    zipfile.on('entry', (entry: yauzl.Entry) => {
      zipfile.openReadStream(entry, (error, stream) => {
        if (error) return reject(error);
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', reject);
        stream.on('end', () => {
          entries.set(entry.fileName, Buffer.concat(chunks));
          zipfile.readEntry();
        });
      });
    });
    zipfile.readEntry();
  });
  return entries;
}

/** Polls `GET /v1/exports/{id}` until it is done or failed, bounded. */
export async function waitForExport(api: TestBackend, token: string, exportId: string, timeoutMs = 60_000): Promise<any> {
  const endsAt = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < endsAt) {
    const response = await api.request('GET', `/v1/exports/${exportId}`, { token });
    last = response.json;
    if (response.status === 200 && (response.json.status === 'done' || response.json.status === 'failed')) return response.json;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Export ${exportId} not finished within ${timeoutMs} ms: ${JSON.stringify(last)}`);
}
