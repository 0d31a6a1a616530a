/**
 * The OpenAPI document as the API serves it, checked by a real OpenAPI linter (Redocly CLI,
 * its recommended rules): no error and no warning. Also: `servers` names the host it was
 * fetched from, and every operation documents API Gateway's own answers.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startTestBackend, type TestBackend } from '../support/test-backend';

const run = promisify(execFile);
const REDOCLY = join(import.meta.dirname, '../../node_modules/.bin/redocly');

let api: TestBackend;
let document: any;
let dir: string;

before(async () => {
  api = await startTestBackend();
  const answer = await api.request('GET', '/v1/openapi.json');
  assert.equal(answer.status, 200);
  document = answer.json;
  dir = mkdtempSync(join(tmpdir(), 'openapi-lint-'));
});

after(async () => {
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the OpenAPI document', () => {
  it('passes `redocly lint` (recommended rules) with no error and no warning', async () => {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    const { stdout } = await run(REDOCLY, ['lint', file, '--format=json'], { env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } }).catch(
      (error: { stdout?: string; stderr?: string }) => {
        // Exit code 1 means errors were found: the JSON report says which.
        if (!error.stdout) throw error;
        return { stdout: error.stdout };
      },
    );
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] };
    const problems = report.problems.map((problem) => `${problem.ruleId}: ${problem.message}`);
    assert.deepEqual(report.totals, { errors: 0, warnings: 0, ignored: 0 }, problems.join('\n'));
  });

  it('names the server it was fetched from', () => {
    assert.deepEqual(document.servers.map((server: { url: string }) => server.url), [api.apiUrl]);
  });

  it('documents the gateway\'s own answers: 401 with a token, 429 and 500 everywhere, in the {"message"} shape', () => {
    for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, any>>)) {
      for (const [method, operation] of Object.entries(methods)) {
        const where = `${method.toUpperCase()} ${path}`;
        for (const status of ['429', '500']) assert.ok(operation.responses[status], `${where}: no ${status}`);
        if (operation.security.length > 0) {
          const schema = JSON.stringify(operation.responses['401']?.content?.['application/json']?.schema);
          assert.match(schema, /GatewayMessage/, `${where}: 401 does not describe the authorizer's answer`);
        }
      }
    }
    assert.deepEqual(document.components.schemas.GatewayMessage.required, ['message']);
  });

  it('documents 409 for assigning an outbound message', () => {
    assert.ok(document.paths['/v1/messages/{messageId}/assign'].post.responses['409']);
  });
});
