import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { InProcessQueue, registerInProcessQueue } from '../../shared/adapters/in-process-queue';
import { LOCAL_DATA_LIFECYCLE_QUEUE } from '../../shared/composition/data-lifecycle-deps';
import type { ResumeReport } from '../../shared/data-lifecycle/resume-erasures';
import type { RetentionReport } from '../../shared/data-lifecycle/retention';
import { localLambdaContext } from './lambda-context';
import { type LocalSchedule, type LocalScheduledFunction, startLocalScheduledFunction } from './local-scheduled-function';

export interface LocalDataLifecycle {
  queue: InProcessQueue;
  resume: LocalScheduledFunction<{ staleSeconds?: number }, ResumeReport>;
  /** The retention job (daily on AWS): at start and every `retentionIntervalSeconds`; `run({ time })` runs it as of that time. */
  retention: LocalScheduledFunction<{ time?: string }, RetentionReport>;
  stop(): Promise<void>;
}

/**
 * Plays the data-lifecycle pipeline of AWS: the job queue in-process (SQS + worker Lambda), and
 * the resume sweep at start (every unfinished erasure queued again: a crash lost the in-process
 * queue, the table kept where each erasure stood) and then every `intervalSeconds`.
 */
export async function startLocalDataLifecycle(options: LocalSchedule & { deadLetters: string; retentionIntervalSeconds: number }): Promise<LocalDataLifecycle> {
  const queue = new InProcessQueue(LOCAL_DATA_LIFECYCLE_QUEUE, {
    maxReceiveCount: 5,
    visibilityTimeoutMs: 2000,
    onDeadLetter: (body, error) => appendFileSync(join(options.deadLetters, 'data-lifecycle.jsonl'), `${JSON.stringify({ at: new Date().toISOString(), body, error })}\n`),
  });
  registerInProcessQueue(queue);
  const { handler: worker } = await import('../../functions/data-lifecycle/erasure-worker');
  queue.attach((event: SQSEvent) => worker(event, localLambdaContext('local-data-lifecycle-worker', 300_000)) as Promise<SQSBatchResponse>);
  const { handler } = await import('../../functions/data-lifecycle/resume-erasures');
  const resume = await startLocalScheduledFunction<{ staleSeconds?: number }, ResumeReport>({
    name: 'erasure resume sweep',
    handler,
    startEvent: { staleSeconds: 0 },
    describe: (report) => (report.resumed.length > 0 ? `resumed ${report.resumed.length} erasures` : null),
    intervalSeconds: options.intervalSeconds,
    log: options.log,
  });
  const retention = await startLocalScheduledFunction<{ time?: string }, RetentionReport>({
    name: 'retention',
    handler: (await import('../../functions/data-lifecycle/retention')).handler,
    startEvent: {},
    describe: (report) => (report.anonymized + report.unassignedDeleted > 0 ? `${report.anonymized} candidates anonymized, ${report.unassignedDeleted} unassigned mails deleted` : null),
    intervalSeconds: options.retentionIntervalSeconds,
    log: options.log,
  });
  return {
    queue,
    resume,
    retention,
    async stop() {
      await retention.stop();
      await resume.stop();
      queue.stop();
    },
  };
}
