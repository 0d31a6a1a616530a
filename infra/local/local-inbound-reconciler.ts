import { appendFileSync } from 'node:fs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { InProcessQueue } from '../../shared/adapters/in-process-queue';
import { createS3ObjectLister } from '../../shared/adapters/s3-object-lister';
import { inboundReconcileConfig } from '../../shared/config/concerns';
import { INBOUND_RAW_PREFIX } from '../../shared/messages/ses-receipt';
import { objectCreatedNotification, storedMailOf } from '../../shared/messages/stored-mail-events';
import { invokeLocally } from './lambda-context';
import type { LocalS3 } from './local-s3';

const SCAN_BATCH = 50;

/** An SQS record of the reconcile queue for a scanned mail's notification. */
function sqsRecord(messageId: string, body: string): SQSRecord {
  const now = String(Date.now());
  return {
    messageId,
    receiptHandle: messageId,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: now, SenderId: 'local', ApproximateFirstReceiveTimestamp: now },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:inbound-reconcile',
    awsRegion: 'local',
  };
}

export interface LocalInboundReconciler {
  /** The reconcile queue (S3's notifications, held back by the grace period). */
  queue: InProcessQueue;
  /**
   * Hands every stored raw mail of the window to the reconciler now, without delay, and waits
   * for it: what a crash of the local backend left (its in-process queue, unlike SQS, does not
   * survive one). What fails goes onto the queue, to be tried again.
   */
  scan(): Promise<{ examined: number; retrying: number }>;
  stop(): void;
}

/**
 * Plays the AWS path S3 `ObjectCreated` (`inbound/`) → SQS (delivery delay = the grace period,
 * a dead-letter file after 5 receives) → the reconcile function, with s3rver's own event
 * notifications, and scans the stored mail once at start.
 */
export async function startLocalInboundReconciler(options: { s3: Pick<LocalS3, 'onEvent'>; deadLetterFile: string }): Promise<LocalInboundReconciler> {
  const { graceSeconds, windowSeconds } = inboundReconcileConfig();
  const queue = new InProcessQueue('inbound-reconcile', {
    maxReceiveCount: 5,
    visibilityTimeoutMs: 2000,
    onDeadLetter: (body, error) => appendFileSync(options.deadLetterFile, `${JSON.stringify({ at: new Date().toISOString(), body, error })}\n`),
  });
  const { handler } = await import('../../functions/inbound/reconcile');
  const invoke = (event: SQSEvent) => invokeLocally('local-inbound-reconciler', handler, event, 300_000) as Promise<SQSBatchResponse>;
  queue.attach(invoke);
  options.s3.onEvent((notification) => {
    if (storedMailOf(notification).length > 0) queue.send(JSON.stringify(notification), graceSeconds);
  });
  const scan = async () => {
    const oldest = Date.now() - windowSeconds * 1000;
    const bodies: string[] = [];
    for await (const object of createS3ObjectLister().list(INBOUND_RAW_PREFIX)) {
      if (object.lastModified.getTime() >= oldest) bodies.push(JSON.stringify(objectCreatedNotification(object.key, object.lastModified)));
    }
    let retrying = 0;
    // In batches, as the event source mapping hands them over.
    for (let start = 0; start < bodies.length; start += SCAN_BATCH) {
      const records = bodies.slice(start, start + SCAN_BATCH).map((body, index) => sqsRecord(`scan-${start + index}`, body));
      const { batchItemFailures } = await invoke({ Records: records });
      for (const { itemIdentifier } of batchItemFailures) {
        queue.send(records.find((record) => record.messageId === itemIdentifier)!.body);
        retrying++;
      }
    }
    return { examined: bodies.length, retrying };
  };
  await scan();
  return { queue, scan, stop: () => queue.stop() };
}
