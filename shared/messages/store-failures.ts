/**
 * Tells apart the two ways filing an inbound mail can fail. A store that did not answer (the
 * table or the bucket down, throttled, a network error) is transient: the delivery must fail so
 * that it is retried. Anything else is about the mail itself, and a retry would fail the same
 * way: the mail is set aside instead. The stores are the only collaborators that do I/O, so a
 * failure is transient exactly when a store raised it; these mark such errors as they pass.
 *
 * A store's refusal of the request itself (DynamoDB's ValidationException, e.g. an item over
 * 400 KB) is not marked: the same request is refused again on every retry.
 */
const storeFailures = new WeakSet<object>();

/** Refusals of the request as written, the same on every retry. */
const PERMANENT_REFUSALS = new Set(['ValidationException', 'InvalidArgument', 'EntityTooLarge', 'KeyTooLongError']);

/** The error, marked as a store's transient failure (a non-object is wrapped in an Error first). */
export function markStoreFailure(error: unknown): unknown {
  const marked = error !== null && typeof error === 'object' ? error : new Error(`store failed: ${String(error)}`);
  if (!PERMANENT_REFUSALS.has((marked as { name?: unknown }).name as string)) storeFailures.add(marked);
  return marked;
}

/** Whether a store raised this error (and retrying may succeed). */
export const isStoreFailure = (error: unknown): boolean => error !== null && typeof error === 'object' && storeFailures.has(error);

/** The store with each method's failure (thrown or rejected) marked on its way out. */
export function markingStoreFailures<T extends object>(store: T): T {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return function (this: unknown, ...args: unknown[]) {
        try {
          const result: unknown = Reflect.apply(value, this === receiver ? target : this, args);
          return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(markStoreFailure(error))) : result;
        } catch (error) {
          throw markStoreFailure(error);
        }
      };
    },
  });
}
