import type { ExportStore } from './export-store';
import type { BlobEraser } from './lifecycle-stores';

/** Deletes a candidate's exports, zips first, then their records; how many zips. */
export async function eraseCandidateExports(deps: { exports: ExportStore; blobs: BlobEraser }, companyId: string, candidateId: string): Promise<number> {
  const records = await deps.exports.listByCandidate(companyId, candidateId);
  await deps.blobs.deleteObjects(records.map((record) => record.objectKey));
  for (const record of records) await deps.exports.delete(companyId, record.exportId);
  return records.length;
}
