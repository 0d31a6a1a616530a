/** A queue of JSON jobs with delayed delivery: SQS on AWS, in-process locally. */
export interface JobQueue<T> {
  enqueue(job: T, delaySeconds?: number): Promise<void>;
}
