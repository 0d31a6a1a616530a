import { randomUUID } from 'node:crypto';
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { Context } from 'aws-lambda';

/** A Lambda context for handlers invoked in-process by the local stand-ins. */
export function localLambdaContext(functionName: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** What AWS_LAMBDA_MAX_CONCURRENCY says locally: invocations overlap without a fixed limit. */
const LOCAL_MAX_CONCURRENCY = '1000';
let invocations: Promise<InvokeStoreBase | null> | undefined;

/**
 * Makes this process run Lambda invocations as Lambda's runtime runs concurrent invocations in
 * one execution environment (`AWS_LAMBDA_MAX_CONCURRENCY`): each in its own invocation store
 * (AsyncLocalStorage), where Powertools keeps what belongs to one invocation — the logger's
 * Lambda context (`function_name`, the request id) and temporary keys. Locally every function
 * runs in this one process and their invocations overlap; without it, a line the send worker
 * logged carried the name of whichever function had started an invocation last (often
 * `local-messages-api`). Call it before the process makes its first AWS SDK request: the SDK
 * creates the store then, and a store created without concurrency stays so (invocations then
 * share one context, as before).
 */
export function prepareLocalInvocations(): Promise<InvokeStoreBase | null> {
  invocations ??= InvokeStore.getInstanceAsync(true).then((store) => {
    // A store that keeps a context after its run is the single-invocation kind.
    const probe = {};
    store.run(probe, () => undefined);
    if (store.getContext() === probe) return null;
    // Powertools scopes its per-invocation state only when the runtime says invocations overlap.
    process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= LOCAL_MAX_CONCURRENCY;
    return store;
  });
  return invocations;
}

/** One invocation of `handler` by a local stand-in, in its own invocation store, with a local Lambda context. */
export async function invokeLocally<E, R>(functionName: string, handler: (event: E, context: Context) => Promise<R>, event: E, timeoutMs?: number): Promise<R> {
  const context = localLambdaContext(functionName, timeoutMs);
  const store = await prepareLocalInvocations();
  if (!store) return handler(event, context);
  return store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: context.awsRequestId }, () => handler(event, context));
}
