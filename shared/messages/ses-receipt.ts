import type { SESEvent, SESEventRecord } from 'aws-lambda';
import { MAIL_PREFIXES } from '../mail-bucket-layout';
import type { InboundDelivery } from './file-inbound-mail';
import type { Verdicts } from './model';

/** Where SES's S3 action stores raw mail; the receipt rule and the local listener use this prefix. */
export const INBOUND_RAW_PREFIX = MAIL_PREFIXES.inbound;

/** The delivery an SES receipt event describes: raw mail at `<prefix><SES message id>`. */
export function deliveryFromSesRecord(record: SESEventRecord, prefix = INBOUND_RAW_PREFIX): InboundDelivery {
  const { mail, receipt } = record.ses;
  const verdict = (value: { status?: string } | undefined) => value?.status ?? null;
  const verdicts: Verdicts = {
    spam: verdict(receipt.spamVerdict),
    virus: verdict(receipt.virusVerdict),
    spf: verdict(receipt.spfVerdict),
    dkim: verdict(receipt.dkimVerdict),
    dmarc: verdict(receipt.dmarcVerdict),
  };
  return { rawKey: `${prefix}${mail.messageId}`, recipients: receipt.recipients, verdicts, receivedAt: mail.timestamp };
}

/** The event SES hands a Lambda action, built for mail received elsewhere (the local listener). */
export function sesEventFor(input: {
  messageId: string;
  source: string;
  recipients: string[];
  timestamp: Date;
  verdicts?: Partial<Record<keyof Verdicts, 'PASS' | 'FAIL' | 'GRAY' | 'PROCESSING_FAILED' | 'DISABLED'>>;
}): SESEvent {
  const status = (key: keyof Verdicts) => ({ status: input.verdicts?.[key] ?? 'PASS' });
  return {
    Records: [
      {
        eventSource: 'aws:ses',
        eventVersion: '1.0',
        ses: {
          mail: {
            timestamp: input.timestamp.toISOString(),
            source: input.source,
            messageId: input.messageId,
            destination: input.recipients,
            headersTruncated: false,
            headers: [],
            commonHeaders: { returnPath: input.source, date: input.timestamp.toUTCString(), messageId: '', to: [], subject: '' },
          },
          receipt: {
            timestamp: input.timestamp.toISOString(),
            processingTimeMillis: 0,
            recipients: input.recipients,
            spamVerdict: status('spam'),
            virusVerdict: status('virus'),
            spfVerdict: status('spf'),
            dkimVerdict: status('dkim'),
            dmarcVerdict: status('dmarc'),
            action: { type: 'Lambda', functionArn: 'arn:aws:lambda:local:000000000000:function:inbound', invocationType: 'Event' },
          },
        },
      } as unknown as SESEventRecord,
    ],
  };
}
