/**
 * What the send worker and the inbound function count, from what they already know: the
 * outcome of a delivery with the message as it ended, and the outcomes of a filing.
 */
import type { OpsMetrics } from '../ops-metrics';
import type { DeliveryOutcome } from './deliver-candidate-mail';
import type { FilingOutcome } from './file-inbound-mail';
import type { MessageRecord } from './model';

/**
 * `Sends` by provider and outcome; `Fallbacks` by the code that caused one; their totals; and
 * `OAuthTokenFailures` by code when a delivery ended on an OAuth2 sign-in that no longer works
 * (`OAUTH_REAUTHORIZE_REQUIRED`: revoked or expired refresh token, missing consent...).
 */
export function countDelivery(metrics: OpsMetrics, outcome: DeliveryOutcome, message: MessageRecord | null): void {
  if (outcome === 'skipped' || outcome === 'paced' || !message) return;
  const provider = message.provider ?? 'none';
  const ended = outcome === 'failed' && message.error?.code === 'DELIVERY_UNCERTAIN' ? 'uncertain' : outcome;
  metrics.count('Sends', 1, { provider, outcome: ended });
  const fellBack = outcome !== 'retrying' && message.provider === 'default' && Boolean(message.fallbackReason);
  if (fellBack) metrics.count('Fallbacks', 1, { code: message.fallbackReason! });
  // Totals without further dimensions, for the fallback-rate alarm (alarms cannot SEARCH).
  if (outcome === 'sent') metrics.count('MessagesSent', 1);
  if (fellBack) metrics.count('MessagesFallenBack', 1);
  const oauthCode = [message.fallbackReason, message.error?.code].find((code) => code?.startsWith('OAUTH_'));
  if (outcome !== 'retrying' && oauthCode) metrics.count('OAuthTokenFailures', 1, { code: oauthCode });
}

/** `InboundFilings` by result (filed, unassigned, quarantined, parse_error, duplicate, ignored_loop) and `InboundMatches` by `match.by`. */
export function countFilings(metrics: OpsMetrics, outcomes: FilingOutcome[]): void {
  for (const outcome of outcomes) {
    metrics.count('InboundFilings', 1, { result: outcome.result });
    if (outcome.result === 'filed' || outcome.result === 'unassigned' || outcome.result === 'quarantined') {
      metrics.count('InboundMatches', 1, { by: outcome.match?.by ?? 'none' });
    }
  }
}
