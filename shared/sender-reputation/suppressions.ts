/**
 * Per-company suppression of addresses for the default provider (DESIGN section 10): after a
 * permanent bounce or a complaint, that company does not send to that address through SES
 * again; other companies, and mail through the company's own server, are unaffected.
 */
import { AppError } from '../errors';

export { normalizeAddress } from '../candidates/model';

export interface Suppression {
  /** As SES reported it; compared case-insensitively. */
  address: string;
  reason: 'bounce' | 'complaint';
  /** The receiving server's words or the complaint's feedback type. */
  diagnostic: string | null;
  /** Our message whose event suppressed it (null for a redirect test). */
  messageId: string | null;
  at: string;
}

export interface SuppressionPage {
  items: Suppression[];
  nextCursor: string | null;
}

export interface SuppressionStore {
  /** Keeps the first suppression of an address (a later bounce of the same address changes nothing). */
  suppress(companyId: string, suppression: Suppression): Promise<void>;
  /** Which of these addresses the company has suppressed (one item read per address, batched). */
  suppressedAmong(companyId: string, addresses: string[]): Promise<Suppression[]>;
  /** In address order. */
  list(companyId: string, page: { cursor?: string; limit: number }): Promise<SuppressionPage>;
  /** False when the address was not suppressed. */
  remove(companyId: string, address: string): Promise<boolean>;
}

export interface SuppressionsDeps {
  suppressions: SuppressionStore;
}

export const listSuppressions = (deps: SuppressionsDeps, companyId: string, page: { cursor?: string; limit?: number }) =>
  deps.suppressions.list(companyId, { cursor: page.cursor, limit: page.limit ?? 50 });

/** An admin lifts a suppression: the next mail to the address goes through the default provider again. */
export async function liftSuppression(deps: SuppressionsDeps, companyId: string, address: string): Promise<void> {
  if (!(await deps.suppressions.remove(companyId, address))) throw new AppError('NOT_FOUND', 'This address is not suppressed');
}
