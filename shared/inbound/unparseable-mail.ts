/**
 * A mail the parser or the filing could not handle for a reason in the mail itself (a header
 * value of a type nobody expected, a structure that trips a library): retrying cannot help, so
 * the mail is kept raw and set aside with this reason instead of failing on every retry.
 * Failures of the stores (a bucket or table that did not answer) are not this: they are retried.
 */
export class UnparseableMail extends Error {
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super(`unparseable mail: ${reason}`, options);
    this.name = 'UnparseableMail';
  }

  /** The failure as an UnparseableMail, its reason the original error's name and message (bounded). */
  static from(error: unknown): UnparseableMail {
    if (error instanceof UnparseableMail) return error;
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : `thrown: ${describe(error)}`;
    return new UnparseableMail(reason.slice(0, 500), { cause: error });
  }
}

/** Anything thrown, as text; even a value whose String() throws. */
function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    return typeof value;
  }
}
