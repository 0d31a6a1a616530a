/**
 * A collaborator loaded when it is first needed instead of at cold start: `get()` runs `load`
 * once and hands every caller the same promise; a load that failed is tried again by the next
 * call. `loaded()` is what it holds once loaded, without loading it.
 */
export interface OnFirstUse<T> {
  get(): Promise<T>;
  loaded(): T | undefined;
}

export function onFirstUse<T>(load: () => Promise<T>): OnFirstUse<T> {
  let pending: Promise<T> | undefined;
  let value: T | undefined;
  return {
    get() {
      pending ??= load().then(
        (loadedValue) => (value = loadedValue),
        (error: unknown) => {
          pending = undefined;
          throw error;
        },
      );
      return pending;
    },
    loaded: () => value,
  };
}

/** An adapter whose methods all return promises. */
type AsyncMethods<T> = { [K in keyof T]: (...args: never[]) => Promise<unknown> };

/**
 * An adapter (a port whose methods are all async) loaded with the first call to any of its
 * methods: the caller holds the port as if it were there, the module behind it (an SDK client,
 * say) is imported when a call needs it.
 */
export function loadedOnFirstCall<T extends AsyncMethods<T>>(load: () => Promise<T>): T {
  const adapter = onFirstUse(load);
  return new Proxy({} as T, {
    get: (_target, method) => {
      // Not a thenable (awaiting the port must not call a method), and no symbol-keyed members.
      if (method === 'then' || typeof method === 'symbol') return undefined;
      return async (...args: unknown[]) => {
        const loaded = (await adapter.get()) as unknown as Record<string, (...callArgs: unknown[]) => Promise<unknown>>;
        return loaded[method](...args);
      };
    },
  });
}
