/**
 * The check in the send path where the default provider is chosen: a company's suppressed
 * recipients and a paused company fail at once, without an SES call (DESIGN section 10). Mail
 * through the company's own server never comes here.
 */
import { DEFAULT_PROVIDER_GUARD_ERRORS, type DefaultProviderGuardErrorCode } from '../error-catalogue';
import type { OpsMetrics } from '../ops-metrics';
import { checkDefaultProvider, type GuardDeps } from './reputation-guard';
import type { SuppressionStore } from './suppressions';

export interface DefaultProviderRefusal {
  code: DefaultProviderGuardErrorCode;
  message: string;
  hint: string;
}

export interface DefaultProviderGate {
  /** Why this company may not send to these recipients through the default provider now; null when it may. */
  refusal(companyId: string, recipients: string[]): Promise<DefaultProviderRefusal | null>;
}

const percent = (rate: number) => `${(rate * 100).toFixed(2)}%`;

export function defaultProviderGate(deps: GuardDeps & { suppressions: SuppressionStore; metrics: OpsMetrics }): DefaultProviderGate {
  return {
    async refusal(companyId, recipients) {
      const [suppressed, status] = await Promise.all([deps.suppressions.suppressedAmong(companyId, recipients), checkDefaultProvider(deps, companyId)]);
      if (suppressed.length > 0) {
        const { message, hint } = DEFAULT_PROVIDER_GUARD_ERRORS.RECIPIENT_SUPPRESSED;
        const which = suppressed.map((entry) => `${entry.address} (${entry.reason === 'bounce' ? 'bounced' : 'complaint'} ${entry.at})`).join(', ');
        return { code: 'RECIPIENT_SUPPRESSED', message: `${message} Suppressed: ${which}.`, hint };
      }
      if (status.status === 'paused') {
        const { message, hint } = DEFAULT_PROVIDER_GUARD_ERRORS.DEFAULT_PROVIDER_PAUSED;
        const rates = `bounce rate ${percent(status.bounceRate)} (limit ${percent(deps.thresholds.maxBounceRate)}), complaint rate ${percent(status.complaintRate)} (limit ${percent(deps.thresholds.maxComplaintRate)})`;
        return { code: 'DEFAULT_PROVIDER_PAUSED', message: `${message} Over the last ${deps.thresholds.windowDays} days: ${rates}.`, hint };
      }
      return null;
    },
  };
}
