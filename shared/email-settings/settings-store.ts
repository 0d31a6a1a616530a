import type { ScopeSettings } from './model';

/** Persistence of scope settings and of the inbound-address directory. */
export interface SettingsStore {
  get(companyId: string, scope: string): Promise<ScopeSettings | null>;
  list(companyId: string): Promise<ScopeSettings[]>;
  /** Stores a new record; returns false if the scope already has one. */
  create(settings: ScopeSettings): Promise<boolean>;
  /** Replaces the record if it still has `expectedVersion`; throws CONFLICT otherwise. */
  replace(settings: ScopeSettings, expectedVersion: number): Promise<void>;
  /** Records a failure of sending through the scope's server, if its SMTP revision is still `revision`. */
  markFailing(companyId: string, scope: string, revision: number, failure: ScopeSettings['failure']): Promise<void>;
  /** Reserves an inbound local part for a scope; false if it is taken. */
  reserveInboundAddress(localPart: string, companyId: string, scope: string): Promise<boolean>;
  findByInboundAddress(localPart: string): Promise<{ companyId: string; scope: string } | null>;
  /** Counts one more sub-company scope of the company if it has fewer than `max`; false at the limit. */
  claimScopeSlot(companyId: string, max: number): Promise<boolean>;
  /** Gives back a slot claimed for a scope another request created. */
  releaseScopeSlot(companyId: string): Promise<void>;
}
