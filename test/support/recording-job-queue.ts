import type { JobQueue } from '../../shared/job-queue';

/** A JobQueue that keeps what was enqueued; the test delivers jobs itself. */
export class RecordingJobQueue<T> implements JobQueue<T> {
  readonly jobs: { job: T; delaySeconds: number }[] = [];

  async enqueue(job: T, delaySeconds = 0) {
    this.jobs.push({ job: structuredClone(job), delaySeconds });
  }
}
