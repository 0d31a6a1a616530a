/**
 * A company mail server that enforces a mailbox's limits the way Microsoft 365 and Gmail do
 * (smtp-server, STARTTLS with the test CA, AUTH): at most `maxConnections` sessions at once
 * (the next is answered `432 4.3.2` as Exchange Online does), at most `perWindow.count`
 * messages in any sliding window of `perWindow.ms` (`421 4.7.0` beyond), and at most `perDay`
 * messages in all (Microsoft's `554 5.2.0 ...SubmissionQuotaExceededException` after DATA, or
 * Gmail's `550 5.4.5` at MAIL FROM). It counts every refusal, so a test can assert that a
 * sender kept within the limits, and keeps each accepted message's Message-ID.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { smtpReply, type TlsFixture } from './smtp-helpers';

export interface LimitedMailServerOptions {
  tls: TlsFixture;
  users: Record<string, string>;
  maxConnections?: number;
  perWindow?: { count: number; ms: number };
  perDay?: number;
  answerLike?: 'microsoft' | 'gmail';
  /** EHLO SIZE. */
  size?: number;
}

export interface LimitedMailServer {
  port: number;
  /** Message-IDs of the accepted messages, in order. */
  accepted: string[];
  refusedForConcurrency(): number;
  refusedForRate(): number;
  refusedForQuota(): number;
  /** The most sessions that were open at once. */
  peakSessions(): number;
  close(): Promise<void>;
}

export async function startLimitedMailServer(options: LimitedMailServerOptions): Promise<LimitedMailServer> {
  const open = new Set<string>();
  let peak = 0;
  const refused = { concurrency: 0, rate: 0, quota: 0 };
  const mailFroms: number[] = [];
  const accepted: string[] = [];
  const quotaUsed = () => options.perDay !== undefined && accepted.length >= options.perDay;

  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    secure: false,
    key: options.tls.key,
    cert: options.tls.cert,
    authMethods: ['PLAIN', 'LOGIN'],
    size: options.size ?? 25 * 1024 * 1024,
    closeTimeout: 500,
    onConnect(session, callback) {
      if (options.maxConnections !== undefined && open.size >= options.maxConnections) {
        refused.concurrency += 1;
        return callback(smtpReply('432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded [Hostname=AM0PR01MB1234.eurprd01.prod.outlook.com]'));
      }
      open.add(session.id);
      peak = Math.max(peak, open.size);
      callback();
    },
    onClose(session) {
      open.delete(session.id);
    },
    onAuth(auth, _session, callback) {
      if (options.users[auth.username ?? ''] === auth.password) return callback(null, { user: auth.username });
      callback(smtpReply('535 5.7.3 Authentication unsuccessful'));
    },
    onMailFrom(_address, _session, callback) {
      if (options.answerLike === 'gmail' && quotaUsed()) {
        refused.quota += 1;
        return callback(smtpReply('550 5.4.5 Daily user sending limit exceeded. For more information, go to https://support.google.com/a/answer/166852 gsmtp'));
      }
      const now = Date.now();
      if (options.perWindow && mailFroms.filter((at) => at > now - options.perWindow!.ms).length >= options.perWindow.count) {
        refused.rate += 1;
        return callback(smtpReply('421 4.7.0 Too many messages sent in a short time, slow down'));
      }
      mailFroms.push(now);
      callback();
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (quotaUsed()) {
          refused.quota += 1;
          return callback(smtpReply('554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception'));
        }
        const head = Buffer.concat(chunks).toString('utf8').split('\r\n\r\n')[0] ?? '';
        accepted.push(/^message-id:\s*(\S+)/im.exec(head)?.[1] ?? '');
        callback(null, `2.6.0 <${accepted.length}@limited> Queued mail for delivery`);
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    accepted,
    refusedForConcurrency: () => refused.concurrency,
    refusedForRate: () => refused.rate,
    refusedForQuota: () => refused.quota,
    peakSessions: () => peak,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
