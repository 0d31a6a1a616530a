/**
 * Full-jitter backoff (AWS Architecture Blog, "Exponential Backoff And Jitter"): a delay drawn
 * evenly between 1 s and the exponential ceiling, so that the messages of one failure wave come
 * back spread over the window instead of all together at its end.
 */

/** The longest delay a queue job can take (SQS `DelaySeconds`). */
export const MAX_DELAY_SECONDS = 900;

export function fullJitterDelaySeconds(baseSeconds: number, tries: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_SECONDS, baseSeconds * 2 ** Math.max(0, tries - 1));
  return Math.max(1, Math.ceil(random() * ceiling));
}
