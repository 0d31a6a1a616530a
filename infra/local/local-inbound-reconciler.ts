import { appendFileSync } from 'node:fs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { InProcessQueue } from '../../shared/adapters/in-process-queue';
import { createS3ObjectLister } from '../../shared/adapters/s3-object-lister';
import { inboundReconcileConfig } from '../../shared/config/concerns';
import { INBOUND_RAW_PREFIX } from '../../shared/messages/ses-receipt';
import { objectCreatedNotification, storedMailOf } from '../../shared/messages/stored-mail-events';
import { localLambdaContext } from './lambda-context';
import type { LocalS3 } from './local-s3';

export interface LocalInboundReconciler {
  /** The reconcile queue (S3's notifications, held back by the grace period). */
  queue: InProcessQueue;
  /**
   * Hands every stored raw mail of the window to the reconciler now, without delay: what a
   * crash of the local backend left (its in-process queue, unlike SQS, does not survive one).
   */
  scan(): Promise<{ queued: number }>;
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
  queue.attach((event: SQSEvent) => handler(event, localLambdaContext('local-inbound-reconciler', 300_000)) as Promise<SQSBatchResponse>);
  options.s3.onEvent((notification) => {
    if (storedMailOf(notification).length > 0) queue.send(JSON.stringify(notification), graceSeconds);
  });
  const scan = async () => {
    const oldest = Date.now() - windowSeconds * 1000;
    let queued = 0;
    for await (const object of createS3ObjectLister().list(INBOUND_RAW_PREFIX)) {
      if (object.lastModified.getTime() < oldest) continue;
      queue.send(JSON.stringify(objectCreatedNotification(object.key, object.lastModified)));
      queued++;
    }
    return { queued };
  };
  await scan();
  return { queue, scan, stop: () => queue.stop() };
}
