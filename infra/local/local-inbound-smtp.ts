import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { BlobStore } from '../../shared/blob-store';
import type { SettingsStore } from '../../shared/email-settings/settings-store';
import { envelopeKey, type StoredEnvelope } from '../../shared/messages/inbound-filing-marks';
import { INBOUND_RAW_PREFIX, sesEventFor } from '../../shared/messages/ses-receipt';
import type { SESEvent } from 'aws-lambda';
import { scopeOfInboundAddress, type InboundAddresses } from '../../shared/email-settings/inbound-address';

/** SES accepts mail up to 40 MB. */
const MAX_MESSAGE_BYTES = 40 * 1024 * 1024;

export interface LocalInboundSmtp {
  port: number;
  stop(): Promise<void>;
}

/**
 * Plays SES receiving on 127.0.0.1: accepts mail for known `*@<inboundDomain>` addresses only
 * (others get 550 5.1.1), stores the raw mail where SES's S3 action would (and its envelope
 * beside it, for the reconciler), answers 250 only then, and then hands an event in SES's
 * shape to `invoke` (asynchronously, as the receipt rule's Event invocation does).
 */
export async function startLocalInboundSmtp(options: {
  port: number;
  inboundDomain: string;
  settings: SettingsStore;
  /** A derived address names its scope before anything is stored for it. */
  inboundAddresses: InboundAddresses;
  blobs: BlobStore;
  invoke: (event: SESEvent) => void;
}): Promise<LocalInboundSmtp> {
  const domain = options.inboundDomain.toLowerCase();
  const server = new SMTPServer({
    name: 'inbound.local',
    banner: 'local stand-in for Amazon SES receiving',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: MAX_MESSAGE_BYTES,
    logger: false,
    async onRcptTo(address, _session, callback) {
      const [local, rcptDomain] = address.address.toLowerCase().split('@');
      const known = rcptDomain === domain && local ? await scopeOfInboundAddress(options, local.split('+')[0]!) : null;
      if (!known) {
        const error = Object.assign(new Error(`5.1.1 <${address.address}>: Recipient address rejected: no such inbound address`), { responseCode: 550 });
        return callback(error);
      }
      callback();
    },
    onData(stream, session, callback) {
      // smtp-server resets the envelope for the next transaction once the callback runs.
      const envelope = { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase()) };
      const messageId = `local-${Date.now().toString(36)}-${randomBytes(8).toString('hex')}`;
      const rawKey = `${INBOUND_RAW_PREFIX}${messageId}`;
      const receivedAt = new Date();
      const envelopeRecord: StoredEnvelope = { recipients: envelope.to, source: envelope.from, receivedAt: receivedAt.toISOString() };
      // Acknowledged only once the mail and its envelope are stored: a crash after the 250 loses
      // the filing in flight, never the mail (the reconciler files it at the next start).
      options.blobs
        .put(envelopeKey(rawKey), Buffer.from(JSON.stringify(envelopeRecord)), 'application/json')
        .then(() => options.blobs.put(rawKey, stream, 'message/rfc822'))
        .then(() => {
          if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
            return callback(Object.assign(new Error('5.3.4 Message too big (SES accepts 40 MB)'), { responseCode: 552 }));
          }
          callback(null, `Ok: stored as ${messageId}`);
          options.invoke(sesEventFor({ messageId, source: envelope.from, recipients: envelope.to, timestamp: receivedAt }));
        })
        .catch((error: Error) => callback(Object.assign(new Error(`4.3.0 Could not store the message: ${error.message}`), { responseCode: 451 })));
    },
  });
  server.on('error', (error) => process.stderr.write(`local inbound smtp: ${error.message}\n`));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
