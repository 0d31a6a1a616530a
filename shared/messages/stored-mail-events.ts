import { INBOUND_RAW_PREFIX } from './ses-receipt';
import type { StoredObject } from './reconcile-inbound-mail';

/** The part of an S3 event notification record the reconciler reads. */
interface S3NotificationRecord {
  eventName?: string;
  eventTime?: string;
  s3?: { object?: { key?: string } };
}

/**
 * The raw mails an S3 event notification (the body of each message S3 sends to the reconcile
 * queue) says were stored under `inbound/`. S3 writes keys URL-encoded with `+` for a space;
 * its `s3:TestEvent` (sent when the notification is set up) and other events name nothing.
 */
export function storedMailOf(notification: unknown): StoredObject[] {
  const records = (notification as { Records?: S3NotificationRecord[] } | null)?.Records;
  if (!Array.isArray(records)) return [];
  return records.flatMap((record) => {
    const key = record.s3?.object?.key;
    if (!record.eventName?.startsWith('ObjectCreated:') || typeof key !== 'string') return [];
    const decoded = decodeURIComponent(key.replace(/\+/g, ' '));
    if (!decoded.startsWith(INBOUND_RAW_PREFIX)) return [];
    const at = record.eventTime ? new Date(record.eventTime) : new Date(0);
    return [{ key: decoded, lastModified: Number.isNaN(at.getTime()) ? new Date(0) : at }];
  });
}

/** The notification S3 sends for one stored raw mail (the local backend plays S3 with it). */
export function objectCreatedNotification(key: string, at: Date): { Records: S3NotificationRecord[] } {
  return { Records: [{ eventName: 'ObjectCreated:Put', eventTime: at.toISOString(), s3: { object: { key: encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+') } } }] };
}
