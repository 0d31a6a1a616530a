import type { DispatchReport } from '../../shared/inbound-mailbox/dispatch-mailbox-polls';
import { type LocalSchedule, type LocalScheduledFunction, startLocalScheduledFunction } from './local-scheduled-function';

/** The ports of the local mailbox `npm run imap:local` starts (STARTTLS, implicit TLS). */
export const LOCAL_IMAP_PORTS = [1143, 1993] as const;

/**
 * Plays the mailbox poll schedule (EventBridge every minute on AWS): the dispatcher runs at
 * start and every `intervalSeconds` (INBOUND_IMAP_POLL_SECONDS); without a poll queue it polls
 * each mailbox read over IMAP in this process, as the poll function would.
 */
export async function startLocalInboundMailboxPoller(options: LocalSchedule): Promise<LocalScheduledFunction<object, DispatchReport>> {
  const { handler } = await import('../../functions/inbound-mailbox/dispatch');
  return startLocalScheduledFunction<object, DispatchReport>({
    name: 'mailbox poller',
    handler,
    startEvent: {},
    describe: (report) => (report.failed > 0 ? `${report.failed} mailbox poll(s) failed` : null),
    ...options,
  });
}
