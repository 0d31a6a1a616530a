import type { CircuitStore, StoredCircuit } from '../outbound/circuit-breaker';
import type { ScopeSettings } from './model';

/** Persistence of scope settings and of the inbound-address directory. */
export interface SettingsStore extends CircuitStore {
  get(companyId: string, scope: string): Promise<ScopeSettings | null>;
  list(companyId: string): Promise<ScopeSettings[]>;
  /** Stores a new record; returns false if the scope already has one. */
  create(settings: ScopeSettings): Promise<boolean>;
  /** Replaces the record if it still has `expectedVersion`; throws CONFLICT otherwise. */
  replace(settings: ScopeSettings, expectedVersion: number): Promise<void>;
  /**
   * Records a failure of sending through the scope's server and opens its circuit, if its SMTP
   * revision is still `revision`. Leaves the version alone: a save in progress is not refused.
   */
  markFailing(companyId: string, scope: string, revision: number, failure: ScopeSettings['failure'], circuit: StoredCircuit): Promise<void>;
  /**
   * Remembers the largest message the scope's server announced (EHLO `SIZE`), if its SMTP
   * revision is still `revision`. Not a change of the configuration: the version stays.
   */
  rememberSizeLimit(companyId: string, scope: string, revision: number, sizeLimit: number | null): Promise<void>;
  /** Reserves an inbound local part for a scope; false if it is taken. */
  reserveInboundAddress(localPart: string, companyId: string, scope: string): Promise<boolean>;
  /** The owner of an inbound address (none once retired); may answer from up to INBOUND_OWNER_MEMORY_SECONDS old memory. */
  findByInboundAddress(localPart: string): Promise<{ companyId: string; scope: string } | null>;
  /** Whether the company was offboarded (its mark is kept for good): its derived inbound addresses then route nowhere. */
  companyOffboarded(companyId: string): Promise<boolean>;
  /** Counts one more sub-company scope of the company if it has fewer than `max`; false at the limit. */
  claimScopeSlot(companyId: string, max: number): Promise<boolean>;
  /** Gives back a slot claimed for a scope another request created. */
  releaseScopeSlot(companyId: string): Promise<void>;
}

/** How long a store may remember an inbound address's owner without reading it again. */
export const INBOUND_OWNER_MEMORY_SECONDS = 60;
