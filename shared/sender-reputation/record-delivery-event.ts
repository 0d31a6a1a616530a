/**
 * What the delivery-event function does with one SES event: count it for the company's guard
 * (once, whatever the duplicates), suppress the addresses that bounced permanently or
 * complained, and merge it into the message's `delivery` (failing the message on a permanent
 * bounce or a reject). Every step is idempotent and order-independent, so an event that is
 * redelivered, or that arrives before one SES published earlier, leaves the same state.
 */
import { isForwardingBlockedBounce, markForwardingBlocked } from '../email-settings/forwarding-block';
import type { SettingsStore } from '../email-settings/settings-store';
import type { OpsMetrics } from '../ops-metrics';
import { deliveryEventFacts, type DeliveryEventFacts } from './event-facts';
import { deliveryPrecedence, type MessageDelivery } from './message-delivery';
import { readSentMailTags, type SentMailTags } from './message-tags';
import { checkDefaultProvider, countsExpireAt, type GuardDeps } from './reputation-guard';
import type { SesDeliveryEvent } from './ses-delivery-event';
import type { SuppressionStore } from './suppressions';

/** Targeted conditional updates of one message (no read before the write). */
export interface MessageDeliveryUpdates {
  /** Stores `delivery` if its precedence is above the stored one's; false when not (or the message is not the company's). */
  recordDelivery(companyId: string, messageId: string, delivery: MessageDelivery, precedence: string): Promise<boolean>;
  /**
   * Marks a `sent` message failed. `unsettled`: the message is not `sent` yet (the worker that
   * sent it has not stored that): try again later. `unchanged`: already failed, or not ours.
   */
  failSent(companyId: string, messageId: string, failure: NonNullable<DeliveryEventFacts['failure']>, at: string): Promise<'failed' | 'unsettled' | 'unchanged'>;
}

export interface DeliveryEventDeps extends GuardDeps {
  suppressions: SuppressionStore;
  deliveries: MessageDeliveryUpdates;
  /** The redirect check: a bounce of its test mail may say the company's forwarding is blocked. */
  settings: Pick<SettingsStore, 'get' | 'replace'>;
  metrics: OpsMetrics;
}

/** The message's sender has not stored `sent` yet: the event is retried (SQS), then applies. */
export class MessageNotSettledYet extends Error {
  constructor(messageId: string) {
    super(`Message ${messageId} is not settled yet; the event is retried`);
    this.name = 'MessageNotSettledYet';
  }
}

export type DeliveryEventOutcome = { result: 'recorded'; tags: SentMailTags; eventType: SesDeliveryEvent['eventType'] } | { result: 'not-ours' };

export async function recordDeliveryEvent(deps: DeliveryEventDeps, event: SesDeliveryEvent): Promise<DeliveryEventOutcome> {
  // Mail of this configuration set without our tags (sent by another tool of the operator).
  const tags = readSentMailTags(event.mail.tags);
  if (!tags) return { result: 'not-ours' };
  const facts = deliveryEventFacts(event);

  await countFacts(deps, tags.companyId, facts);
  if (facts.counted.length > 0) await checkDefaultProvider(deps, tags.companyId);

  // A redirect test has no message, and its recipient is the company's own mailbox, which the
  // company's forwarding decides about: its events count for the guard, and a bounce that says
  // the forwarding is blocked fails the redirect check.
  if (tags.kind === 'candidate-mail') await applyToCandidateMail(deps, tags, facts);
  if (tags.kind === 'redirect-test' && event.bounce) await applyToRedirectTest(deps, tags, event.bounce);
  return { result: 'recorded', tags, eventType: event.eventType };
}

/**
 * Exchange Online refuses to forward the redirect test outside the organisation and bounces it
 * back to the sender, us (`550 5.7.520 … AS(7555)`). The tags name the scope, not the test's
 * token: only a check still `pending` is failed (a later test that came back `verified` stays).
 */
async function applyToRedirectTest(deps: DeliveryEventDeps, tags: SentMailTags, bounce: NonNullable<SesDeliveryEvent['bounce']>): Promise<void> {
  if (tags.scope === undefined) return;
  const diagnostics = bounce.bouncedRecipients.flatMap((recipient) => [recipient.diagnosticCode, recipient.status]);
  if (!isForwardingBlockedBounce(...diagnostics)) return;
  const settings = await deps.settings.get(tags.companyId, tags.scope);
  if (!settings || settings.redirect.status !== 'pending' || !settings.redirect.token) return;
  await markForwardingBlocked(deps.settings, settings, settings.redirect.token, deps.now());
}

async function countFacts(deps: DeliveryEventDeps, companyId: string, facts: DeliveryEventFacts): Promise<void> {
  const expiresAt = countsExpireAt(facts.sentDay, deps.thresholds.windowDays);
  for (const fact of facts.counted) {
    if (!(await deps.reputation.claimCountedFact(companyId, fact.key, expiresAt))) continue;
    try {
      await deps.reputation.addCounts(companyId, facts.sentDay, { [fact.kind]: fact.amount }, expiresAt);
    } catch (error) {
      await deps.reputation.releaseCountedFact(companyId, fact.key);
      throw error;
    }
    if (fact.kind === 'bounces') deps.metrics.count('DefaultProviderBounces', fact.amount, { company: companyId });
    if (fact.kind === 'complaints') deps.metrics.count('DefaultProviderComplaints', fact.amount, { company: companyId });
  }
}

async function applyToCandidateMail(deps: DeliveryEventDeps, tags: SentMailTags, facts: DeliveryEventFacts): Promise<void> {
  const messageId = tags.messageId!;
  for (const suppression of facts.suppress) {
    await deps.suppressions.suppress(tags.companyId, { ...suppression, messageId, at: facts.delivery!.at });
  }
  if (facts.delivery) await deps.deliveries.recordDelivery(tags.companyId, messageId, facts.delivery, deliveryPrecedence(facts.delivery));
  if (facts.failure) {
    const outcome = await deps.deliveries.failSent(tags.companyId, messageId, facts.failure, new Date(facts.delivery!.at).toISOString());
    if (outcome === 'unsettled') throw new MessageNotSettledYet(messageId);
  }
}
