/**
 * The README's OAuth2 connect steps (the second `sh` block of "A walk through the API"), run as
 * written: `npm run oauth:local` is started as the README says (its command from package.json,
 * as its own process), the environment it prints for `npm start` is given to the test backend,
 * and every `curl` of the block is sent as curl would send it. A `<name>` is replaced as the
 * README tells the reader: `authorizationUrl` from the answer of `start`; `code`, `state` and
 * `tenant` from the address the redirect curl prints; the `<tenant>` of `start` is the Microsoft
 * tenant `oauth:local` prints. Only `$API` (port 3000) is mapped to the test backend's port.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CurlCommand, readWalkthrough, type WalkthroughStep } from '../support/readme-walkthrough';
import { jsonOrUndefined, startTestBackend, type TestBackend } from '../support/test-backend';

const ROOT = join(import.meta.dirname, '../..');
const REDIRECT_URI = 'http://localhost:5173/oauth/callback';

let provider: ChildProcess | undefined;
let api: TestBackend;
let commands: CurlCommand[];
let printedTenant: string;

/** Starts `npm run oauth:local` (the command its package.json script runs) and reads what it prints. */
async function startOAuthLocal(): Promise<{ env: Record<string, string>; tenant: string }> {
  const script: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts['oauth:local'];
  const [program, ...args] = script.split(' ');
  assert.equal(program, 'node', `package.json: oauth:local should run node, runs ${script}`);
  const child = spawn(process.execPath, args, { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  provider = child;
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const endsAt = Date.now() + 60_000;
  while (!output.includes('Ctrl-C stops.')) {
    if (child.exitCode !== null) throw new Error(`npm run oauth:local ended: ${output}`);
    if (Date.now() > endsAt) throw new Error(`npm run oauth:local printed no environment: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // "Start the backend in another shell with:" then `VAR=value … \` lines ending in `npm start`.
  const printed = /Start the backend in another shell with:\s*\n([\s\S]*?npm start)/.exec(output)?.[1];
  assert.ok(printed, `npm run oauth:local: no command for npm start in ${output}`);
  const words = printed.replace(/\\\n/g, ' ').trim().split(/\s+/);
  assert.deepEqual(words.slice(-2), ['npm', 'start'], printed);
  const env: Record<string, string> = {};
  for (const word of words.slice(0, -2)) {
    const match = /^([A-Z_]+)=(.*)$/.exec(word);
    assert.ok(match, `npm run oauth:local: "${word}" is not an environment variable`);
    env[match[1]] = match[2];
  }
  const tenant = /Microsoft tenant ([0-9a-f-]+)/.exec(output)?.[1];
  assert.ok(tenant, `npm run oauth:local names no Microsoft tenant: ${output}`);
  return { env, tenant };
}

before(async () => {
  const { env, tenant } = await startOAuthLocal();
  printedTenant = tenant;
  api = await startTestBackend(env);
  const token = await api.token('acme', ['admin', 'recruiter']);
  const steps: WalkthroughStep[] = readWalkthrough(join(ROOT, 'README.md'), { TOKEN: token }, { block: 1 });
  commands = steps.flatMap((walkStep) => walkStep.commands).map((command) => {
    assert.equal(command.kind, 'curl', `the OAuth2 block has only curls: ${command.source}`);
    return command as CurlCommand;
  });
});

after(async () => {
  await api?.stop();
  if (provider && provider.exitCode === null && provider.signalCode === null) {
    const exited = new Promise((resolve) => provider!.once('exit', resolve));
    provider.kill('SIGTERM');
    await exited;
  }
});

/** Replaces each `<name>` with `values[name]`; a name the test has no value for fails. */
function fillIn(text: string, values: Record<string, string>): string {
  return text.replace(/<([A-Za-z]+)>/g, (_match, name: string) => {
    assert.ok(values[name] !== undefined, `README OAuth2 block: nothing to put for <${name}> in ${text}`);
    return values[name];
  });
}

/** What a completed connection answers: the Microsoft mailbox of the README, connected and tested over XOAUTH2. */
function assertConnectedOverXoauth2(done: { printed: string; json: any }, flow: 'delegated' | 'app') {
  assert.equal(done.json.smtp.auth, 'oauth2');
  assert.equal(done.json.smtp.oauth.flow, flow);
  assert.equal(done.json.smtp.oauth.account, 'jobs@acme.test');
  assert.equal(done.json.smtp.oauth.tenantId, printedTenant);
  assert.equal(done.json.smtp.oauth.connected, true);
  assert.equal(done.json.test.ok, true, done.printed);
  assert.ok(done.json.test.transcript.includes('C: AUTH XOAUTH2 <redacted>'), done.json.test.transcript.join('\n'));
}

/** Sends a curl of the block as curl does (no redirects followed), with `<name>`s filled in; returns what curl prints. */
async function curl(command: CurlCommand, values: Record<string, string>): Promise<{ status: number; printed: string; json: any }> {
  const url = fillIn(command.url, values).replaceAll('http://127.0.0.1:3000', api.apiUrl);
  const body = command.body === undefined ? undefined : fillIn(command.body, values);
  const response = await fetch(url, { method: command.method, headers: command.headers, body, redirect: 'manual' });
  const text = await response.text();
  const json = jsonOrUndefined(text);
  let printed = command.output === '/dev/null' ? '' : text;
  if (command.writeOut !== undefined) {
    const location = response.headers.get('location');
    printed += command.writeOut
      .replaceAll('%{redirect_url}', location ? new URL(location, url).toString() : '')
      .replaceAll('%{http_code}', String(response.status))
      .replaceAll('\\n', '\n');
    assert.doesNotMatch(printed, /%\{/, `curl -w variable the test does not know in ${command.source}`);
  }
  return { status: response.status, printed, json };
}

/** Where the browser comes back to: the redirect address curl prints, and its query. */
function backAt(printed: string): URLSearchParams {
  const back = new URL(printed.trim());
  assert.equal(`${back.origin}${back.pathname}`, REDIRECT_URI, printed);
  return back.searchParams;
}

describe('the README OAuth2 connect steps, as written, against npm run oauth:local', () => {
  it('has the six requests this test knows: start, sign-in, complete; then the same for a shared mailbox', () => {
    assert.deepEqual(
      commands.map((command) => `${command.method} ${command.url.replace(/^.*\/v1\//, '/v1/')}`),
      [
        'POST /v1/email-settings/main/oauth/microsoft/start',
        'GET <authorizationUrl>',
        'POST /v1/email-settings/main/oauth/microsoft/complete',
        'POST /v1/email-settings/main/oauth/microsoft/start',
        'GET <authorizationUrl>',
        'POST /v1/email-settings/main/oauth/microsoft/complete',
      ],
    );
  });

  it('a user signs in: start → the stand-in redirects with code and state → complete connects, tested over XOAUTH2', async () => {
    const [start, signIn, complete] = commands;
    const started = await curl(start, {});
    assert.equal(started.status, 200, started.printed);
    assert.match(started.json.authorizationUrl, /\/common\/oauth2\/v2\.0\/authorize\?/);
    assert.equal(new URL(started.json.authorizationUrl).searchParams.get('code_challenge_method'), 'S256');

    const redirected = await curl(signIn, { authorizationUrl: started.json.authorizationUrl });
    assert.equal(redirected.status, 302);
    const back = backAt(redirected.printed);
    assert.equal(back.get('state'), started.json.state);
    assert.ok(back.get('code'), redirected.printed);

    const done = await curl(complete, { code: back.get('code')!, state: back.get('state')! });
    assert.equal(done.status, 200, done.printed);
    assert.equal(done.json.mode, 'smtp');
    assert.equal(done.json.status, 'verified');
    assert.equal(done.json.smtp.oauth.provider, 'microsoft');
    assertConnectedOverXoauth2(done, 'delegated');
    assert.ok(done.json.test.transcript.includes('S: 235 Authentication successful'), done.json.test.transcript.join('\n'));
  });

  it('a shared mailbox: start (app-only) → the stand-in admin-consents and redirects with tenant and state → complete connects', async () => {
    const [, , , start, consent, complete] = commands;
    const started = await curl(start, { tenant: printedTenant });
    assert.equal(started.status, 200, started.printed);
    assert.match(started.json.authorizationUrl, new RegExp(`/${printedTenant}/v2\\.0/adminconsent\\?`));

    const redirected = await curl(consent, { authorizationUrl: started.json.authorizationUrl });
    assert.equal(redirected.status, 302);
    const back = backAt(redirected.printed);
    assert.equal(back.get('admin_consent'), 'True');
    assert.equal(back.get('state'), started.json.state);

    const done = await curl(complete, { state: back.get('state')!, tenant: back.get('tenant')! });
    assert.equal(done.status, 200, done.printed);
    assertConnectedOverXoauth2(done, 'app');
  });
});
