/**
 * The poll schedule's fan-out (DESIGN capability 12): every mailbox read over IMAP gets one
 * poll job (SQS on AWS, consumed by the poll function in parallel; in-process locally). Listing
 * reads the index of IMAP scopes, never the whole table; jobs go out a bounded number at a time.
 */
import type { InboundMailboxStore, MailboxRef } from './mailbox-store';

export interface DispatchDeps {
  mailboxes: Pick<InboundMailboxStore, 'listMailboxes'>;
  enqueue: (mailbox: MailboxRef) => Promise<void>;
  /** Jobs in flight at once (default 50). */
  concurrency?: number;
}

export interface DispatchReport {
  dispatched: number;
  failed: number;
}

export async function dispatchMailboxPolls(deps: DispatchDeps): Promise<DispatchReport> {
  const report: DispatchReport = { dispatched: 0, failed: 0 };
  const inFlight = new Set<Promise<void>>();
  const limit = deps.concurrency ?? 50;
  for await (const mailbox of deps.mailboxes.listMailboxes()) {
    const job: Promise<void> = deps
      .enqueue(mailbox)
      .then(() => void report.dispatched++)
      // One mailbox not enqueued this minute is polled the next; the others go on.
      .catch(() => void report.failed++)
      .finally(() => inFlight.delete(job));
    inFlight.add(job);
    if (inFlight.size >= limit) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return report;
}
