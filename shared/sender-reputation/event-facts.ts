/**
 * What one SES event means for this product, as plain data: the message's `delivery`, whether
 * the message has failed, which addresses the company must not send to again, and what the
 * reputation guard counts. Pure: recordDeliveryEvent applies it.
 */
import { createHash } from 'node:crypto';
import type { MessageErrorCode } from '../error-catalogue';
import { normalizeAddress } from './suppressions';
import type { MessageDelivery } from './message-delivery';
import type { SesDeliveryEvent } from './ses-delivery-event';

export type CountedKind = 'sends' | 'bounces' | 'complaints';

/** One thing the guard counts, with a key that is the same for every copy of the same event. */
export interface CountedFact {
  kind: CountedKind;
  /** `send#<SES message id>`, `bounce#<id>#<address hash>`, `complaint#<id>#<address hash>` (no address in a key). */
  key: string;
  amount: number;
}

export interface SuppressionFact {
  address: string;
  reason: 'bounce' | 'complaint';
  diagnostic: string | null;
}

export interface DeliveryEventFacts {
  delivery: MessageDelivery | null;
  /** The message failed after SES took it: a permanent bounce, or SES rejected it. */
  failure: { code: MessageErrorCode; message: string; bounce: { recipient: string; status: string | null; diagnostic: string | null } | null } | null;
  suppress: SuppressionFact[];
  counted: CountedFact[];
  /** The day (UTC, `YYYY-MM-DD`) the mail was sent: its counts belong to that day's bucket. */
  sentDay: string;
}

const addressHash = (address: string) => createHash('sha256').update(normalizeAddress(address)).digest('base64url').slice(0, 22);

const byAddress = <T extends { emailAddress: string }>(items: T[]): T[] =>
  [...items].sort((a, b) => (normalizeAddress(a.emailAddress) < normalizeAddress(b.emailAddress) ? -1 : 1));

const optional = <K extends string, V>(key: K, value: V | undefined | null) => (value === undefined || value === null || value === '' ? {} : { [key]: value });

export function deliveryEventFacts(event: SesDeliveryEvent): DeliveryEventFacts {
  const id = event.mail.messageId;
  const facts: DeliveryEventFacts = { delivery: null, failure: null, suppress: [], counted: [], sentDay: new Date(event.mail.timestamp).toISOString().slice(0, 10) };
  switch (event.eventType) {
    case 'Send':
      // SES's bounce and complaint rates are per recipient; so are ours.
      facts.counted.push({ kind: 'sends', key: `send#${id}`, amount: event.mail.destination.length });
      break;
    case 'Delivery': {
      const delivery = event.delivery!;
      facts.delivery = { status: 'delivered', at: delivery.timestamp, ...optional('recipient', delivery.recipients[0]) };
      break;
    }
    case 'DeliveryDelay': {
      const delay = event.deliveryDelay!;
      const first = byAddress(delay.delayedRecipients)[0];
      facts.delivery = {
        status: 'delayed',
        at: delay.timestamp,
        ...optional('diagnostic', first?.diagnosticCode ?? delay.delayType),
        ...optional('recipient', first?.emailAddress),
      };
      break;
    }
    case 'Bounce': {
      const bounce = event.bounce!;
      const recipients = byAddress(bounce.bouncedRecipients);
      const first = recipients[0]!;
      facts.delivery = {
        // A transient bounce is SES still trying (or giving up on a full mailbox later): delayed.
        status: bounce.bounceType === 'Transient' ? 'delayed' : 'bounced',
        at: bounce.timestamp,
        bounceType: bounce.bounceType,
        ...optional('diagnostic', first.diagnosticCode ?? bounce.bounceSubType),
        recipient: first.emailAddress,
      };
      if (bounce.bounceType === 'Permanent') {
        // As an inbound DSN does for mail through the company's server (file-inbound-mail.ts).
        facts.failure = {
          code: 'BOUNCED',
          message: first.diagnosticCode ?? `Delivery to ${first.emailAddress} failed (${bounce.bounceSubType ?? 'permanent bounce'})`,
          bounce: { recipient: first.emailAddress, status: first.status ?? null, diagnostic: first.diagnosticCode ?? null },
        };
        for (const bounced of recipients) {
          facts.suppress.push({ address: bounced.emailAddress, reason: 'bounce', diagnostic: bounced.diagnosticCode ?? bounce.bounceSubType ?? null });
          facts.counted.push({ kind: 'bounces', key: `bounce#${id}#${addressHash(bounced.emailAddress)}`, amount: 1 });
        }
      }
      break;
    }
    case 'Complaint': {
      const complaint = event.complaint!;
      const recipients = byAddress(complaint.complainedRecipients);
      facts.delivery = {
        status: 'complained',
        at: complaint.timestamp,
        ...optional('diagnostic', complaint.complaintFeedbackType),
        recipient: recipients[0]!.emailAddress,
      };
      for (const complained of recipients) {
        facts.suppress.push({ address: complained.emailAddress, reason: 'complaint', diagnostic: complaint.complaintFeedbackType ?? null });
        facts.counted.push({ kind: 'complaints', key: `complaint#${id}#${addressHash(complained.emailAddress)}`, amount: 1 });
      }
      break;
    }
    case 'Reject': {
      const reason = event.reject!.reason;
      // A Reject has no time of its own: SES decided when it took the mail.
      facts.delivery = { status: 'rejected', at: event.mail.timestamp, diagnostic: reason };
      facts.failure = { code: 'DEFAULT_PROVIDER_REJECTED', message: `SES rejected the message after accepting it: ${reason}`, bounce: null };
      break;
    }
  }
  return facts;
}
