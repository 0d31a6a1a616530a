export interface Candidate {
  companyId: string;
  id: string;
  name: string | null;
  /** Lowercased, first = primary. */
  emails: string[];
  scope: string;
  createdAt: string;
  updatedAt: string;
}

/** Addresses match case-insensitively within a company. */
export const normalizeAddress = (address: string): string => address.trim().toLowerCase();
