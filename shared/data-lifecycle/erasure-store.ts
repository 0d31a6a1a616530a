import type { ErasureRecord } from './erasure-model';

export interface ErasureStore {
  /** Stores a new erasure; false if one with that id exists. */
  create(record: ErasureRecord): Promise<boolean>;
  get(companyId: string, erasureId: string): Promise<ErasureRecord | null>;
  /**
   * Records a step: applies `next` only if the stored record is still at `seen.step` (its step
   * becomes `seen.step + 1`); false if another worker got there first.
   */
  advance(seen: ErasureRecord, next: Partial<ErasureRecord>): Promise<boolean>;
  /** Erasures not yet done, oldest first (a sparse index: no scan), for the restart sweep. */
  listUnfinished(limit: number): Promise<Array<{ companyId: string; erasureId: string }>>;
}
