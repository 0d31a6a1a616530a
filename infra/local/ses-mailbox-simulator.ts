/**
 * SES's mailbox simulator, played by the local SES stand-in: after a send through a
 * configuration set, the events SES would publish for it, in SES's event publishing JSON.
 *
 * - `success@simulator.amazonses.com`: Send, Delivery.
 * - `bounce@…`: Send, Bounce (Permanent, General, `smtp; 550 5.1.1 user unknown`).
 * - `complaint@…`: Send, Delivery, Complaint (`abuse`).
 * - `suppressionlist@…`: Send, Bounce (Permanent, OnAccountSuppressionList), as SES does for an
 *   address on the account's suppression list.
 * - `ooto@…`: Send, Delivery (the out-of-office answer goes to the sender; no event).
 * Each also with a `+label` (`bounce+c1@simulator.amazonses.com`). Any other address is
 * delivered (Send, Delivery): the stand-in keeps every mail it takes.
 */
import { randomUUID } from 'node:crypto';
import type { PublishedEventType } from '../../shared/sender-reputation/ses-delivery-event';

export const SIMULATOR_DOMAIN = 'simulator.amazonses.com';

type Outcome = 'delivered' | 'bounce' | 'complaint' | 'suppressionlist';

/** What the simulator does with one recipient. */
export function simulatorOutcome(address: string): Outcome {
  const at = address.lastIndexOf('@');
  if (address.slice(at + 1).toLowerCase() !== SIMULATOR_DOMAIN) return 'delivered';
  const mailbox = address.slice(0, at).split('+')[0]!.toLowerCase();
  if (mailbox === 'bounce' || mailbox === 'complaint' || mailbox === 'suppressionlist') return mailbox;
  return 'delivered';
}

export interface SimulatedSend {
  /** SES's MessageId of the send. */
  messageId: string;
  source: string;
  destinations: string[];
  configurationSet: string;
  tags: { name: string; value: string }[];
  subject: string | null;
  sentAt: Date;
  region: string;
  account: string;
}

export type SesEventDetail = { eventType: PublishedEventType } & Record<string, unknown>;

const later = (time: Date, ms: number) => new Date(time.getTime() + ms).toISOString();

/** The events, in the order SES would publish them (which the consumer must not rely on). */
export function simulatedEvents(send: SimulatedSend): SesEventDetail[] {
  const fromDomain = send.source.slice(send.source.lastIndexOf('@') + 1).replace(/>$/, '');
  const tags: Record<string, string[]> = {
    'ses:operation': ['SendRawEmail'],
    'ses:configuration-set': [send.configurationSet],
    'ses:source-ip': ['127.0.0.1'],
    'ses:from-domain': [fromDomain],
    'ses:caller-identity': ['local'],
  };
  for (const tag of send.tags) tags[tag.name] = [tag.value];
  const mail = {
    timestamp: send.sentAt.toISOString(),
    source: send.source,
    sendingAccountId: send.account,
    messageId: send.messageId,
    destination: send.destinations,
    headersTruncated: false,
    headers: [],
    commonHeaders: { from: [send.source], to: send.destinations, messageId: send.messageId, subject: send.subject ?? '' },
    tags,
  };
  const byOutcome = (outcome: Outcome) => send.destinations.filter((address) => simulatorOutcome(address) === outcome);
  const events: SesEventDetail[] = [{ eventType: 'Send', mail, send: {} }];

  const delivered = [...byOutcome('delivered'), ...byOutcome('complaint')];
  if (delivered.length > 0) {
    events.push({
      eventType: 'Delivery',
      mail,
      delivery: {
        timestamp: later(send.sentAt, 900),
        processingTimeMillis: 900,
        recipients: delivered,
        smtpResponse: '250 2.6.0 Message received',
        reportingMTA: 'a1-23.smtp-out.amazonses.com',
      },
    });
  }
  const permanentBounce = (recipients: string[], bounceSubType: string, diagnosticCode: string, afterMs: number): SesEventDetail => ({
    eventType: 'Bounce',
    mail,
    bounce: {
      feedbackId: randomUUID(),
      bounceType: 'Permanent',
      bounceSubType,
      bouncedRecipients: recipients.map((emailAddress) => ({ emailAddress, action: 'failed', status: '5.1.1', diagnosticCode })),
      timestamp: later(send.sentAt, afterMs),
      reportingMTA: 'dns; a1-23.smtp-out.amazonses.com',
    },
  });
  const bounced = byOutcome('bounce');
  if (bounced.length > 0) events.push(permanentBounce(bounced, 'General', 'smtp; 550 5.1.1 user unknown', 1200));
  const suppressed = byOutcome('suppressionlist');
  if (suppressed.length > 0) {
    const onList = 'Amazon SES did not send the message to this address because it is on the suppression list for your account.';
    events.push(permanentBounce(suppressed, 'OnAccountSuppressionList', onList, 300));
  }
  const complained = byOutcome('complaint');
  if (complained.length > 0) {
    events.push({
      eventType: 'Complaint',
      mail,
      complaint: {
        feedbackId: randomUUID(),
        complaintSubType: null,
        complainedRecipients: complained.map((emailAddress) => ({ emailAddress })),
        timestamp: later(send.sentAt, 2500),
        userAgent: 'Amazon SES Mailbox Simulator',
        complaintFeedbackType: 'abuse',
        arrivalDate: later(send.sentAt, 2400),
      },
    });
  }
  return events;
}
