/**
 * The SDK's logger middleware copies every input and output through its sensitive-data filter
 * for the client's logger, on every call, also when that logger is the SDK's default no-op one.
 * Our clients are given no logger (the adapters log what matters), so the middleware goes.
 */
export function withoutSdkLogging<T extends { middlewareStack: { remove(name: string): boolean } }>(client: T): T {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}
