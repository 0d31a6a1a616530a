/**
 * Locally every function runs in one process and their invocations overlap; each must still log
 * with its own Lambda context (`function_name`), as each does on AWS. First two handlers built
 * like the product's (middy + the product logger's injectLambdaContext) whose invocations
 * interleave at a known point, then the real backend: the send worker delivering while the
 * messages API is being called.
 */
process.env.LOG_LEVEL = 'INFO';
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { invokeLocally } from '../../infra/local/lambda-context';
import { saveCompanySmtpStandIn, startTestBackend, type TestBackend, waitForDelivery } from '../support/test-backend';

/**
 * The logger's JSON lines among what was written, each with its message and function name
 * (under `node --test` a line may follow the runner's own framing on the same line).
 */
function logLines(output: string): { message: string; function_name?: string; [key: string]: unknown }[] {
  return output
    .split('\n')
    .map((line) => line.slice(Math.max(0, line.indexOf('{"level":'))))
    .filter((line) => line.startsWith('{"level":'))
    .map((line) => {
      try {
        return JSON.parse(line);
      } catch {
        return null;
      }
    })
    .filter((line) => line !== null && typeof line.message === 'string');
}

function captureStdout(): { text: () => string; restore: () => void } {
  const chunks: string[] = [];
  const original = process.stdout.write;
  process.stdout.write = function write(this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    chunks.push(String(chunk));
    return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof process.stdout.write;
  return { text: () => chunks.join(''), restore: () => (process.stdout.write = original) };
}

describe('overlapping local invocations', () => {
  it('each logs with its own function name and request id, whichever started last', async () => {
    const { logger } = await import('../../shared/logger');
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const slow = middy(async (_event: unknown, context: Context) => {
      await gate;
      logger.info('slow one done', { expected: context.functionName });
    }).use(injectLambdaContext(logger, { resetKeys: true }));
    const quick = middy(async (_event: unknown, context: Context) => {
      logger.info('quick one done', { expected: context.functionName });
    }).use(injectLambdaContext(logger, { resetKeys: true }));

    const output = captureStdout();
    try {
      const first = invokeLocally('local-slow', slow, {});
      await new Promise((resolve) => setTimeout(resolve, 20));
      await invokeLocally('local-quick', quick, {}); // starts after the slow one, ends before it
      openGate();
      await first;
    } finally {
      output.restore();
    }
    const lines = logLines(output.text());
    const slowLine = lines.find((line) => line.message === 'slow one done');
    const quickLine = lines.find((line) => line.message === 'quick one done');
    assert.ok(slowLine && quickLine, output.text());
    assert.equal(quickLine.function_name, 'local-quick');
    assert.equal(slowLine.function_name, 'local-slow', 'the slow invocation kept its own context');
    assert.notEqual(slowLine.function_request_id, quickLine.function_request_id);
  });
});

describe('the local backend', () => {
  let api: TestBackend;
  before(async () => {
    api = await startTestBackend({ LOG_LEVEL: 'INFO' });
  });
  after(async () => {
    await api?.stop();
  });

  it('logs the send worker\'s deliveries as local-send-worker while the messages API serves requests', async () => {
    const token = await api.token('acme', ['admin', 'recruiter']);
    await saveCompanySmtpStandIn(api, token);
    await api.request('PUT', '/v1/candidates/cand-1', { token, body: { emails: ['ann@example.com'], name: 'Ann' } });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const queued = await api.request('POST', '/v1/candidates/cand-1/messages', { token, body: { subject: `Hello ${i}`, text: 'Hi' } });
      assert.equal(queued.status, 202, queued.text);
      ids.push(queued.json.id);
    }
    // Polling every message at once keeps API invocations starting while the worker delivers.
    const delivered = await Promise.all(ids.map((id) => waitForDelivery(api, token, id, 60_000)));
    assert.deepEqual(delivered.map((message) => message.status), ['sent', 'sent', 'sent', 'sent']);
    // The worker logs a delivery after it stored its outcome.
    const deliveryLines = () => logLines(api.output()).filter((line) => line.message === 'delivery' && ids.includes(line.messageId as string));
    for (const endsAt = Date.now() + 20_000; deliveryLines().length < ids.length && Date.now() < endsAt; ) await new Promise((resolve) => setTimeout(resolve, 100));
    const deliveries = deliveryLines();
    assert.deepEqual(deliveries.map((line) => line.messageId).sort(), [...ids].sort());
    assert.deepEqual(new Set(deliveries.map((line) => line.function_name)), new Set(['local-send-worker']));
  });
});
