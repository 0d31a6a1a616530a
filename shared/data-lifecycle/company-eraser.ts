/** The table and bucket side of offboarding a company, a page at a time (no scan). */
export interface CompanyEraser {
  /** Candidate ids of the company after `after` (tombstones included), in id order. */
  candidateIdsAfter(companyId: string, after: string | null, limit: number): Promise<string[]>;
  /** Message ids of the company's quarantined mail, first page. */
  quarantinedMessageIds(companyId: string, limit: number): Promise<string[]>;
  /** The local parts of the company's inbound addresses (from its settings items). */
  inboundLocalParts(companyId: string): Promise<string[]>;
  /** Makes an inbound address a tombstone: reserved for good, owned by no one (mail to it is filed for no one). */
  retireInboundAddress(localPart: string): Promise<void>;
  /** Deletes up to `limit` items of the company's partition, never the record of erasure `keepErasureId` (the one running); how many went. */
  deleteCompanyItems(companyId: string, limit: number, keepErasureId: string): Promise<number>;
  /** Deletes up to `limit` objects under the company's own bucket prefixes; how many went. */
  deleteCompanyObjects(companyId: string, limit: number): Promise<number>;
}
