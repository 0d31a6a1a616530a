import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { JobQueue } from '../job-queue';

type Consumer = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

interface Delivery {
  id: string;
  body: string;
  receiveCount: number;
}

export interface InProcessQueueOptions {
  /** Deliveries per message before it goes to the dead letters (SQS maxReceiveCount). */
  maxReceiveCount: number;
  /** Wait before a failed delivery is retried (SQS visibility timeout). */
  visibilityTimeoutMs: number;
  onDeadLetter: (body: string, error: string) => void;
}

/**
 * Local mode's SQS: the same JSON bodies, delivered to the same worker handler as SQS-shaped
 * events, with delays, redelivery of failed records and a dead-letter hand-off. Lives in the
 * process so that `npm start` needs no queue server.
 *
 * Two ways to consume: `attach` hands every message to one consumer as soon as it is due, all
 * at once (Lambda's asynchronous invocation); `attachPollers` gives the due messages to several
 * consumers that each take a batch at a time and come back for more when done, as separate
 * Lambda containers polling SQS do (the send worker).
 */
export class InProcessQueue {
  private consumer: Consumer | null = null;
  private pollers: { consume: Consumer; busy: boolean }[] = [];
  private batchSize = 1;
  /** Due messages waiting for a free poller. */
  private readonly ready: Delivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly name: string,
    private readonly options: InProcessQueueOptions,
  ) {}

  attach(consumer: Consumer): void {
    this.consumer = consumer;
  }

  /** Several consumers, each handling one batch (up to `batchSize` records) at a time. */
  attachPollers(consumers: Consumer[], batchSize: number): void {
    this.pollers = consumers.map((consume) => ({ consume, busy: false }));
    this.batchSize = Math.max(1, batchSize);
  }

  send(body: string, delaySeconds = 0): void {
    this.schedule({ id: randomUUID(), body, receiveCount: 0 }, delaySeconds * 1000);
  }

  /** Resolves when nothing is scheduled or running (tests and benchmarks wait on this). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.ready.splice(0);
    this.notifyIdle();
  }

  private isIdle(): boolean {
    return this.timers.size === 0 && this.inFlight === 0 && this.ready.length === 0;
  }

  private schedule(delivery: Delivery, delayMs: number) {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.pollers.length > 0) {
        this.ready.push(delivery);
        this.poll();
      } else {
        void this.deliver([delivery], this.consumer);
      }
    }, delayMs);
    this.timers.add(timer);
  }

  /** Every free poller takes the next batch of due messages. */
  private poll() {
    for (const poller of this.pollers) {
      if (poller.busy || this.ready.length === 0) continue;
      poller.busy = true;
      const batch = this.ready.splice(0, this.batchSize);
      void this.deliver(batch, poller.consume).finally(() => {
        poller.busy = false;
        this.poll();
      });
    }
  }

  private async deliver(deliveries: Delivery[], consumer: Consumer | null) {
    if (!consumer) throw new Error(`No consumer attached to queue ${this.name}`);
    this.inFlight++;
    for (const delivery of deliveries) delivery.receiveCount++;
    const failures = new Map<string, string>();
    try {
      const response = await consumer({ Records: deliveries.map((delivery) => toRecord(this.name, delivery)) });
      for (const item of response?.batchItemFailures ?? []) failures.set(item.itemIdentifier, 'reported as a batch item failure');
    } catch (error) {
      for (const delivery of deliveries) failures.set(delivery.id, (error as Error).message);
    }
    for (const delivery of deliveries) {
      const failure = failures.get(delivery.id);
      if (failure === undefined) continue;
      if (delivery.receiveCount >= this.options.maxReceiveCount) this.options.onDeadLetter(delivery.body, failure);
      else this.schedule(delivery, this.options.visibilityTimeoutMs);
    }
    this.inFlight--;
    this.notifyIdle();
  }

  private notifyIdle() {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function toRecord(queueName: string, delivery: Delivery): SQSRecord {
  const now = String(Date.now());
  return {
    messageId: delivery.id,
    receiptHandle: `${delivery.id}#${delivery.receiveCount}`,
    body: delivery.body,
    attributes: {
      ApproximateReceiveCount: String(delivery.receiveCount),
      SentTimestamp: now,
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:local:000000000000:${queueName}`,
    awsRegion: 'local',
  };
}

const queues = new Map<string, InProcessQueue>();

/** The process-wide local queue of that name (created by the local runner). */
export function registerInProcessQueue(queue: InProcessQueue): void {
  queues.set(queue.name, queue);
}

export function inProcessJobQueue<T>(name: string): JobQueue<T> {
  return {
    async enqueue(job, delaySeconds = 0) {
      const queue = queues.get(name);
      if (!queue) throw new Error(`Local queue ${name} is not running`);
      queue.send(JSON.stringify(job), delaySeconds);
    },
  };
}
