/**
 * A message's `delivery` (DESIGN section 10) and the one rule that merges what SES's events
 * say about it. Events arrive at least once and in any order, so the stored value is the
 * greatest of all the values the events gave, by `deliveryPrecedence`: a total order, so the
 * result is the same whatever the order, and a duplicate (equal precedence) changes nothing.
 *
 * Rank: `delayed` < `delivered` < `bounced` < `complained` < `rejected`. A delivery outranks a
 * delay (the mail arrived after all); a bounce outranks a delivery (a message to several
 * recipients that bounced for one of them has failed for that one, which is what the sender must
 * see); a complaint outranks both (it is the worst news about an address, and it comes after a
 * delivery); a reject means SES never tried. Within a rank the later event wins; events at the
 * same instant are ordered by their content, so even those need no arrival order.
 */
import { createHash } from 'node:crypto';

export const DELIVERY_STATUSES = ['delayed', 'delivered', 'bounced', 'complained', 'rejected'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const BOUNCE_TYPES = ['Permanent', 'Transient', 'Undetermined'] as const;
export type BounceType = (typeof BOUNCE_TYPES)[number];

export interface MessageDelivery {
  status: DeliveryStatus;
  /** When SES saw it happen (the event's own timestamp), ISO 8601. */
  at: string;
  /** For a bounce: SES's `bounceType` (a transient one shows as `delayed`). */
  bounceType?: BounceType;
  /** The receiving server's words (`diagnosticCode`, `smtpResponse`) or SES's reason. */
  diagnostic?: string;
  /** The recipient the status is about. */
  recipient?: string;
}

const RANK: Record<DeliveryStatus, number> = { delayed: 1, delivered: 2, bounced: 3, complained: 4, rejected: 5 };

/** Canonical text of a delivery: the same value always gives the same text, whatever the key order. */
const canonical = (delivery: MessageDelivery): string =>
  JSON.stringify([delivery.status, delivery.at, delivery.bounceType ?? '', delivery.diagnostic ?? '', delivery.recipient ?? '']);

/**
 * The sortable key of a delivery (plain string comparison): rank, then time, then content. It is
 * stored beside `delivery` so that a conditional write (`precedence < :new`) applies the rule in
 * one request, without reading the message first.
 */
export function deliveryPrecedence(delivery: MessageDelivery): string {
  const at = new Date(delivery.at).toISOString();
  const content = createHash('sha256').update(canonical(delivery)).digest('hex').slice(0, 16);
  return `${RANK[delivery.status]}#${at}#${content}`;
}

/** The merge in memory, as the store's conditional write does it: the greater precedence wins. */
export function mergeDelivery(current: MessageDelivery | null | undefined, next: MessageDelivery): MessageDelivery {
  if (!current) return next;
  return deliveryPrecedence(next) > deliveryPrecedence(current) ? next : current;
}
