import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import type { BlobStore } from '../blob-store';
import type { CandidatesStore } from '../candidates/candidates-store';
import { logger } from '../logger';
import type { MessagesStore } from '../messages/messages-store';
import type { MessageRecord } from '../messages/model';
import type { ExportJob } from './export-model';
import type { ExportStore } from './export-store';
import type { BlobEraser } from './lifecycle-stores';
import { rebuildSentMail } from './rebuild-sent-mail';

export interface RunExportDeps {
  exports: ExportStore;
  candidates: CandidatesStore;
  messages: MessagesStore;
  /** Reads the mail and writes the zip. */
  bucket: BlobStore;
  blobs: BlobEraser;
  now: () => Date;
}

/** Messages listed per page of the conversation. */
const EXPORT_PAGE = 50;

/** One line of `index.json` per message: no bodies, the `.eml` holds them. */
export interface ExportIndexEntry {
  /** The `.eml` in the zip; null when there is none (raw mail past rawMailRetentionDays, mail never built). */
  file: string | null;
  id: string;
  direction: MessageRecord['direction'];
  /** Outbound: rebuilt from the stored message (the sent bytes are not kept). */
  rebuilt: boolean;
  createdAt: string;
  sentAt: string | null;
  receivedAt: string | null;
  subject: string;
  provider: MessageRecord['provider'];
  status: MessageRecord['status'];
}

export type ExportOutcome = 'done' | 'failed' | 'skipped';

/**
 * Builds a candidate's export: a zip streamed into the bucket as it is written (never whole in
 * memory), one `.eml` per message of the conversation, oldest first — inbound the raw mail as
 * received, streamed from the bucket; outbound rebuilt (rebuildSentMail) — and `index.json`.
 * A failure marks the export `failed` (the admin asks for a new one). A candidate anonymized
 * meanwhile gets no export: the zip is deleted again.
 */
export async function runExport(deps: RunExportDeps, job: ExportJob): Promise<ExportOutcome> {
  const record = await deps.exports.get(job.companyId, job.exportId);
  if (!record || record.status === 'done' || record.status === 'failed') return 'skipped';
  const { companyId, candidateId, exportId, objectKey } = record;
  const fail = async (error: unknown) => {
    // Ids only: nothing of the mail is logged.
    logger.error('export failed', { exportId, error: error as Error });
    await deps.blobs.deleteObjects([objectKey]);
    await deps.exports.update(companyId, exportId, { status: 'failed', finishedAt: deps.now().toISOString() }).catch(() => undefined);
    return 'failed' as const;
  };
  if (!(await deps.candidates.get(companyId, candidateId))) return fail(new Error('candidate erased before its export ran'));
  await deps.exports.update(companyId, exportId, { status: 'running' });

  const zip = new ZipFile();
  const upload = deps.bucket.put(objectKey, zip.outputStream as Readable, 'application/zip');
  try {
    const count = await writeConversation(deps, record, zip);
    zip.end();
    await upload;
    if (!(await deps.candidates.get(companyId, candidateId))) return fail(new Error('candidate erased while its export ran'));
    await deps.exports.update(companyId, exportId, { status: 'done', messages: count, finishedAt: deps.now().toISOString() });
    logger.info('export done', { exportId, messages: count });
    return 'done';
  } catch (error) {
    // Ends the upload too: the zip's stream fails, and the upload with it.
    (zip.outputStream as Readable).destroy(error as Error);
    await upload.catch(() => undefined);
    return fail(error);
  }
}

/** Adds every message's `.eml`, then `index.json`; how many messages. */
async function writeConversation(deps: RunExportDeps, record: { companyId: string; candidateId: string }, zip: ZipFile): Promise<number> {
  const index: ExportIndexEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.messages.listByCandidate(record.companyId, record.candidateId, { cursor, limit: EXPORT_PAGE });
    for (const listed of page.items) {
      // Read whole: a list may carry only some of a message's fields.
      const message = await deps.messages.get(listed.id);
      if (!message) continue;
      const file = await addMessage(deps, zip, message, `${String(index.length + 1).padStart(5, '0')}-${message.direction}-${message.id}.eml`);
      index.push({
        file,
        id: message.id,
        direction: message.direction,
        rebuilt: message.direction === 'outbound' && file !== null,
        createdAt: message.createdAt,
        sentAt: message.sentAt,
        receivedAt: message.receivedAt,
        subject: message.subject,
        provider: message.provider,
        status: message.status,
      });
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  zip.addBuffer(Buffer.from(`${JSON.stringify({ messages: index }, null, 2)}\n`), 'index.json');
  return index.length;
}

/** Adds one message's `.eml`; its name, or null when there is nothing to add. */
async function addMessage(deps: RunExportDeps, zip: ZipFile, message: MessageRecord, name: string): Promise<string | null> {
  if (message.direction === 'outbound') {
    // Built by the send worker only once a route was chosen (it stores the From then).
    if (!message.from || !message.messageIdHeader) return null;
    zip.addBuffer(await rebuildSentMail(deps.bucket, message), name);
    return name;
  }
  if (!message.rawKey || !(await deps.bucket.exists(message.rawKey))) return null;
  const raw = await deps.bucket.getStream(message.rawKey);
  zip.addReadStream(raw, name);
  // One object open at a time: the next is fetched once this one is read into the zip.
  await finished(raw);
  return name;
}
