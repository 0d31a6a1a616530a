import type { ExportRecord } from './export-model';

export interface ExportStore {
  create(record: ExportRecord): Promise<void>;
  get(companyId: string, exportId: string): Promise<ExportRecord | null>;
  update(companyId: string, exportId: string, changes: Partial<ExportRecord>): Promise<void>;
  /** The candidate's exports (few: each record expires with its zip). */
  listByCandidate(companyId: string, candidateId: string): Promise<ExportRecord[]>;
  delete(companyId: string, exportId: string): Promise<void>;
}
