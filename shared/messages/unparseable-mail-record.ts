/**
 * The message an inbound mail becomes when it cannot be parsed or filed: unassigned (a virus
 * verdict keeps it quarantined), its reason as the `parseError` verdict, its raw mail kept
 * (`rawKey`, downloadable from the message), so that an admin sees it and an operator can file
 * it again after a fix. Built from the delivery alone, and from the parsed mail only what is
 * read safely: the record must not fail the way the mail did.
 */
import type { ParsedInboundMail } from '../inbound/parse-inbound-mail';
import { storedAddress } from '../mail/mail-address';
import type { InboundDelivery } from './file-inbound-mail';
import { capInboundFields } from './inbound-record-limits';
import { newMessageRecord, type MessageRecord } from './model';

export function unparseableMailRecord(input: {
  companyId: string;
  scope: string;
  messageId: string;
  delivery: InboundDelivery;
  reason: string;
  mail: ParsedInboundMail | null;
  now: Date;
}): MessageRecord {
  const { delivery } = input;
  const omissions = ['the mail could not be parsed or filed: its content is only in the raw mail'];
  const virus = delivery.verdicts.virus === 'FAIL';
  return newMessageRecord({
    id: input.messageId,
    companyId: input.companyId,
    scope: input.scope,
    direction: 'inbound',
    status: virus ? 'quarantined' : 'received',
    createdAt: input.now.toISOString(),
    receivedAt: delivery.receivedAt,
    ...capInboundFields({ ...whatIsKnown(input.mail), evidence: [`not filed: ${input.reason}`] }, omissions),
    verdicts: { ...delivery.verdicts, parseError: input.reason },
    flags: { spam: delivery.verdicts.spam === 'FAIL', autoReply: false, bounce: false, remoteImages: 0 },
    rawKey: delivery.rawKey,
    omissions,
  });
}

/** Subject, sender and Message-ID of a mail that parsed but could not be filed, when they read as expected. */
function whatIsKnown(mail: ParsedInboundMail | null): Partial<MessageRecord> {
  try {
    if (!mail) return {};
    return {
      subject: typeof mail.subject === 'string' ? mail.subject : '',
      from: mail.from && typeof mail.from.address === 'string' ? storedAddress(mail.from) : null,
      messageIdHeader: typeof mail.messageId === 'string' ? mail.messageId : null,
    };
  } catch {
    return {};
  }
}
