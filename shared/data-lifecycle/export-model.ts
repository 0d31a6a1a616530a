/** A candidate export (Art. 15/20): a zip of the conversation, built by the data-lifecycle worker. */
export const EXPORT_STATUSES = ['pending', 'running', 'done', 'failed'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

/** The export's record: ids, status and where the zip is, never personal data. */
export interface ExportRecord {
  exportId: string;
  companyId: string;
  candidateId: string;
  status: ExportStatus;
  /** The zip's key in the mail bucket (see exportKey). */
  objectKey: string;
  /** Messages written into the zip once done. */
  messages: number;
  createdAt: string;
  finishedAt: string | null;
}

/** What the data-lifecycle queue carries for an export (an erasure's job has no `kind`). */
export interface ExportJob {
  kind: 'export';
  companyId: string;
  exportId: string;
}

/** `GET /v1/exports/{id}`: the link and its end only once the zip is there. */
export const exportView = (record: ExportRecord, link: { downloadUrl: string; expiresAt: string } | null) => ({
  exportId: record.exportId,
  candidateId: record.candidateId,
  status: record.status,
  ...(link ?? {}),
  createdAt: record.createdAt,
  finishedAt: record.finishedAt,
});

export const isExportJob = (job: object): job is ExportJob => 'kind' in job && job.kind === 'export';
