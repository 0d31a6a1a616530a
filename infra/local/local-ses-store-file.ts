/**
 * Keeps what the local default provider "sent" across restarts, like the rest of the local
 * state: aws-ses-v2-local holds its store in memory only, so it is written to a file under the
 * data folder when the backend stops and read back when it starts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import sesStore from 'aws-ses-v2-local/dist/store.js';

type Store = { emails: unknown[] };
// The package's own store module (CommonJS): the same instance its server writes to.
const storeOf = (): Store => (sesStore as unknown as { getStoreReadonly(): Store }).getStoreReadonly();

export function restoreLocalSesStore(file: string): number {
  if (!existsSync(file)) return 0;
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { emails?: unknown[] };
  const emails = Array.isArray(saved.emails) ? saved.emails : [];
  storeOf().emails.push(...emails);
  return emails.length;
}

export function saveLocalSesStore(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ emails: storeOf().emails }));
}
