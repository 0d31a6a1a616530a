/**
 * SES event publishing records, as the configuration set's EventBridge destination delivers
 * them: an EventBridge event (`source` `aws.ses`, `detail-type` e.g. `Email Bounced`) whose
 * `detail` is SES's own event JSON (`eventType`, `mail`, and one of `bounce`, `complaint`,
 * `delivery`, `deliveryDelay`, `reject`, `send`). Only the fields this product reads are
 * checked; anything else in the record is left alone. zod/mini: the event function's cold start.
 */
import * as z from 'zod/mini';
import { BOUNCE_TYPES } from './message-delivery';

/** The event types the configuration set publishes (DESIGN section 10, plus Send for the counts). */
export const PUBLISHED_EVENT_TYPES = ['Send', 'Delivery', 'Bounce', 'Complaint', 'Reject', 'DeliveryDelay'] as const;
export type PublishedEventType = (typeof PUBLISHED_EVENT_TYPES)[number];

/** EventBridge's `detail-type` for each SES event type (what the rule matches on). */
export const EVENTBRIDGE_DETAIL_TYPES: Record<PublishedEventType, string> = {
  Send: 'Email Sent',
  Delivery: 'Email Delivered',
  Bounce: 'Email Bounced',
  Complaint: 'Email Complaint Received',
  Reject: 'Email Rejected',
  DeliveryDelay: 'Email Delivery Delayed',
};

const timestamp = () => z.string().check(z.refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO 8601 timestamp'));
const recipient = () => z.string().check(z.minLength(3), z.maxLength(320), z.refine((value) => value.includes('@'), 'must be an address'));

const sesEventSchema = z.object({
  eventType: z.enum(PUBLISHED_EVENT_TYPES),
  mail: z.object({
    messageId: z.string().check(z.minLength(1), z.maxLength(200)),
    timestamp: timestamp(),
    destination: z.array(recipient()).check(z.minLength(1)),
    tags: z.optional(z.record(z.string(), z.array(z.string()))),
  }),
  bounce: z.optional(
    z.object({
      bounceType: z.enum(BOUNCE_TYPES),
      bounceSubType: z.optional(z.string()),
      timestamp: timestamp(),
      bouncedRecipients: z.array(z.object({ emailAddress: recipient(), diagnosticCode: z.optional(z.string()), status: z.optional(z.string()) })).check(z.minLength(1)),
    }),
  ),
  complaint: z.optional(
    z.object({
      timestamp: timestamp(),
      complainedRecipients: z.array(z.object({ emailAddress: recipient() })).check(z.minLength(1)),
      complaintFeedbackType: z.optional(z.string()),
    }),
  ),
  delivery: z.optional(z.object({ timestamp: timestamp(), recipients: z.array(recipient()), smtpResponse: z.optional(z.string()) })),
  deliveryDelay: z.optional(
    z.object({
      timestamp: timestamp(),
      delayType: z.optional(z.string()),
      delayedRecipients: z.array(z.object({ emailAddress: recipient(), diagnosticCode: z.optional(z.string()), status: z.optional(z.string()) })),
    }),
  ),
  reject: z.optional(z.object({ reason: z.string() })),
});

const eventBridgeSchema = z.object({ source: z.literal('aws.ses'), 'detail-type': z.string(), detail: z.unknown() });

export type SesDeliveryEvent = z.output<typeof sesEventSchema>;

/** The part of each event type that must be there (`eventType: Bounce` without `bounce` is malformed). */
const BODY_OF: Record<PublishedEventType, keyof SesDeliveryEvent | null> = {
  Send: null,
  Delivery: 'delivery',
  Bounce: 'bounce',
  Complaint: 'complaint',
  Reject: 'reject',
  DeliveryDelay: 'deliveryDelay',
};

/** An event that is not what SES publishes: it is logged and dead-lettered, never retried into success. */
export class MalformedDeliveryEvent extends Error {
  constructor(reason: string) {
    super(`Malformed SES event: ${reason}`);
    this.name = 'MalformedDeliveryEvent';
  }
}

const issueText = (issues: readonly { path: PropertyKey[]; message: string }[]) =>
  issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
    .join('; ');

/** Reads one EventBridge event (the text of an SQS record's body) into SES's event; throws MalformedDeliveryEvent. */
export function parseSesDeliveryEvent(text: string): SesDeliveryEvent {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new MalformedDeliveryEvent('not JSON');
  }
  const envelope = z.safeParse(eventBridgeSchema, json);
  if (!envelope.success) throw new MalformedDeliveryEvent(`not an EventBridge event from SES (${issueText(envelope.error.issues)})`);
  const event = z.safeParse(sesEventSchema, envelope.data.detail);
  if (!event.success) throw new MalformedDeliveryEvent(issueText(event.error.issues));
  const body = BODY_OF[event.data.eventType];
  if (body !== null && event.data[body] === undefined) throw new MalformedDeliveryEvent(`a ${event.data.eventType} event without "${body}"`);
  return event.data;
}

/** The EventBridge event SES's destination puts on the bus for one SES event (the local stand-in builds these). */
export function eventBridgeEnvelope(detail: { eventType: PublishedEventType } & Record<string, unknown>, options: { id: string; region: string; account: string; time: string }) {
  return {
    version: '0',
    id: options.id,
    'detail-type': EVENTBRIDGE_DETAIL_TYPES[detail.eventType],
    source: 'aws.ses',
    account: options.account,
    time: options.time,
    region: options.region,
    resources: [],
    detail,
  };
}
