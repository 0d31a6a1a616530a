import type { MessageRecord } from './model';

/**
 * A `sending` message is held by the worker that claimed it for the lease; once the lease is
 * over, the worker may have died and another (a redelivery, the sweeper) may settle it.
 */
export function leaseExpired(message: Pick<MessageRecord, 'sendingSince'>, now: Date, leaseSeconds: number): boolean {
  return now.getTime() - Date.parse(message.sendingSince ?? '1970-01-01T00:00:00Z') >= leaseSeconds * 1000;
}

/** The error of a message whose holder died while transmitting it: never sent again. */
export const INTERRUPTED_TRANSMISSION = {
  code: 'DELIVERY_UNCERTAIN',
  message: 'An earlier attempt stopped while the message was being transmitted; it may have been delivered, so it is not sent again.',
} as const;
