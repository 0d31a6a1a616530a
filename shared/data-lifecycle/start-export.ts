import type { BlobStore } from '../blob-store';
import type { CandidatesStore } from '../candidates/candidates-store';
import { notFound } from '../errors';
import { newId } from '../ids';
import type { JobQueue } from '../job-queue';
import { exportKey } from '../mail-bucket-layout';
import { EXPORT_LINK_SECONDS } from './export-limits';
import { exportView, type ExportJob, type ExportRecord } from './export-model';
import type { ExportStore } from './export-store';

export interface StartExportDeps {
  exports: ExportStore;
  candidates: CandidatesStore;
  queue: JobQueue<ExportJob>;
  now: () => Date;
}

/** `POST /v1/candidates/{id}/export`: records the export and queues it (an erased or unknown candidate: 404). */
export async function exportCandidate(deps: StartExportDeps, companyId: string, candidateId: string): Promise<ExportRecord> {
  if (!(await deps.candidates.get(companyId, candidateId))) throw notFound('Candidate');
  const now = deps.now();
  const exportId = newId('exp', now.getTime());
  const record: ExportRecord = {
    exportId,
    companyId,
    candidateId,
    status: 'pending',
    objectKey: exportKey(companyId, candidateId, exportId),
    messages: 0,
    createdAt: now.toISOString(),
    finishedAt: null,
  };
  await deps.exports.create(record);
  await deps.queue.enqueue({ kind: 'export', companyId, exportId });
  return record;
}

/** `GET /v1/exports/{id}`: once done, a download link valid EXPORT_LINK_SECONDS. */
export async function getExport(deps: { exports: ExportStore; bucket: BlobStore; now: () => Date }, companyId: string, exportId: string) {
  const record = await deps.exports.get(companyId, exportId);
  if (!record) throw notFound('Export');
  if (record.status !== 'done') return exportView(record, null);
  const expiresAt = new Date(deps.now().getTime() + EXPORT_LINK_SECONDS * 1000).toISOString();
  const downloadUrl = await deps.bucket.downloadUrl(record.objectKey, `candidate-${record.candidateId}-export.zip`, EXPORT_LINK_SECONDS);
  return exportView(record, { downloadUrl, expiresAt });
}
