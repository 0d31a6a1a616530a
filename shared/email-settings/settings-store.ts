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
  /**
   * Remembers the largest message the scope's server announced (EHLO `SIZE`), if its SMTP
   * revision is still `revision`. Not a change of the configuration: the version stays.
   */
  rememberSizeLimit(companyId: string, scope: string, revision: number, sizeLimit: number | null): Promise<void>;
  /** Reserves an inbound local part for a scope; false if it is taken. */
  reserveInboundAddress(localPart: string, companyId: string, scope: string): Promise<boolean>;
  findByInboundAddress(localPart: string): Promise<{ companyId: string; scope: string } | null>;
}
