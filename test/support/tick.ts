/**
 * Lets other pending work run, as a round trip to a real store would: two use cases running
 * "at the same time" interleave at every store call instead of one finishing first.
 */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Stored records are copies, as a database returns them: nobody mutates what was stored. */
export const copy = <T>(value: T): T => structuredClone(value);
