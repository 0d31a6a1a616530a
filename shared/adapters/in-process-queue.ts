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
 */
export class InProcessQueue {
  private consumer: Consumer | null = null;
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

  send(body: string, delaySeconds = 0): void {
    this.schedule({ id: randomUUID(), body, receiveCount: 0 }, delaySeconds * 1000);
  }

  /** Resolves when nothing is scheduled or running (tests and benchmarks wait on this). */
  idle(): Promise<void> {
    if (this.timers.size === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.notifyIdle();
  }

  private schedule(delivery: Delivery, delayMs: number) {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.deliver(delivery);
    }, delayMs);
    this.timers.add(timer);
  }

  private async deliver(delivery: Delivery) {
    if (!this.consumer) throw new Error(`No consumer attached to queue ${this.name}`);
    this.inFlight++;
    delivery.receiveCount++;
    let failure: string | null = null;
    try {
      const response = await this.consumer({ Records: [toRecord(this.name, delivery)] });
      if (response?.batchItemFailures?.some((item) => item.itemIdentifier === delivery.id)) failure = 'reported as a batch item failure';
    } catch (error) {
      failure = (error as Error).message;
    }
    if (failure !== null) {
      if (delivery.receiveCount >= this.options.maxReceiveCount) this.options.onDeadLetter(delivery.body, failure);
      else this.schedule(delivery, this.options.visibilityTimeoutMs);
    }
    this.inFlight--;
    this.notifyIdle();
  }

  private notifyIdle() {
    if (this.timers.size > 0 || this.inFlight > 0) return;
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
