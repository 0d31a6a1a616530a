export interface Candidate {
  companyId: string;
  id: string;
  name: string | null;
  /** Lowercased, first = primary. */
  emails: string[];
  scope: string;
  /** When the ATS closed the application (rejected, withdrawn); null while open. Retention counts from here. */
  closedAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** Grows with every write: a read-modify-write is conditioned on the version it read. */
  version: number;
}

/** Addresses match case-insensitively within a company. */
export const normalizeAddress = (address: string): string => address.trim().toLowerCase();
