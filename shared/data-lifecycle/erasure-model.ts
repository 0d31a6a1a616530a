/** What an erasure removes: one candidate's data, or a whole company's (offboarding). */
export type ErasureKind = 'candidate' | 'company';

export const ERASURE_STATUSES = ['pending', 'running', 'done'] as const;
export type ErasureStatus = (typeof ERASURE_STATUSES)[number];

/**
 * The steps of a candidate erasure, in order; each runs in pages and is safe to run again
 * (a crash repeats at most the page it was in):
 * - `unlist`: the address index entries go and the candidate becomes a tombstone, so nothing
 *   new is filed under it or sent to it;
 * - `messages`: every message of its conversation (queued mail cancelled first), with bodies,
 *   attachments, raw mail and index entries;
 * - `unassigned`: with `includeUnassigned`, unassigned mail from or to its addresses;
 * - `learned`: learned sender mappings pointing at it;
 * - `finish`: the candidate's exports (zips and records) go, and the record keeps only the
 *   tombstone facts (no address).
 * A company erasure (offboarding) first retires its inbound addresses (`inbound`: tombstones,
 * reserved for good, so nothing new arrives), then walks `candidates` (each conversation),
 * `unassigned` (all of it), `quarantine`, `objects` (what the company's prefixes still hold)
 * and `items` (every item of the company's partition but this erasure's record).
 */
export type ErasurePhase = 'unlist' | 'messages' | 'unassigned' | 'learned' | 'quarantine' | 'candidates' | 'objects' | 'items' | 'inbound' | 'finish';

export interface ErasureCounts {
  messages: number;
  objects: number;
}

export interface ErasureRecord {
  erasureId: string;
  companyId: string;
  kind: ErasureKind;
  /** The candidate erased (kind `candidate`); its id only, no personal data. */
  candidateId: string | null;
  includeUnassigned: boolean;
  status: ErasureStatus;
  phase: ErasurePhase;
  /** Where the current phase's paging stands. */
  cursor: string | null;
  /**
   * The candidate's addresses while they are needed (to unindex them and to find unassigned
   * mail); removed when the erasure is done.
   */
  addresses: string[];
  /** Grows with every completed step: a step is recorded only by the worker that ran from the state it read. */
  step: number;
  counts: ErasureCounts;
  createdAt: string;
  startedAt: string | null;
  updatedAt: string;
  finishedAt: string | null;
}

/** What the erasure queue carries. */
export interface ErasureJob {
  companyId: string;
  erasureId: string;
}

/** `GET /v1/erasures/{id}`: status, counts and times, never a name, address or subject. */
export const erasureView = (record: ErasureRecord) => ({
  erasureId: record.erasureId,
  kind: record.kind,
  candidateId: record.candidateId,
  includeUnassigned: record.includeUnassigned,
  status: record.status,
  counts: record.counts,
  createdAt: record.createdAt,
  startedAt: record.startedAt,
  finishedAt: record.finishedAt,
});
