/**
 * The README's walk-through, run as written: every `curl` of its `sh` block is sent as curl
 * would send it (same method, headers, body and content type) to the local backend, in order,
 * and each step's answers are checked against what the README tells the reader. The addresses
 * of `npm start`'s fixed ports (API 3000, SES 8005, company SMTP 1587, `.data`) are mapped to
 * the test backend's free ports and temporary folder; nothing else is changed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';
import { unzip } from '../support/export-zip';
import { type CurlCommand, readWalkthrough, type WalkthroughStep } from '../support/readme-walkthrough';
import { type ApiResponse, jsonOrUndefined, startTestBackend, type TestBackend } from '../support/test-backend';

const execFileAsync = promisify(execFile);
const REPO_ROOT = join(import.meta.dirname, '../..');

let api: TestBackend;
let steps: WalkthroughStep[];
let sesEndpoint: string;

before(async () => {
  api = await startTestBackend();
  sesEndpoint = new URL(api.backend.sesStoreUrl).origin;
  const token = await api.token('acme', ['admin', 'recruiter']);
  steps = readWalkthrough(join(import.meta.dirname, '../../README.md'), { TOKEN: token });
});

after(async () => {
  await api?.stop();
});

/** The README's fixed local addresses → this backend's. */
function localise(text: string): string {
  return text
    .replaceAll('http://127.0.0.1:3000', api.apiUrl)
    .replaceAll('http://127.0.0.1:8005', sesEndpoint)
    .replaceAll('"port":1587', `"port":${api.backend.companySmtp.port}`);
}

/** `<name>` placeholders: values from earlier answers, as the README tells the reader to fill them in. */
const placeholders: Record<string, string> = {};
const fillIn = (text: string) => text.replace(/<([A-Za-z]+)>/g, (whole, name: string) => placeholders[name] ?? whole);

async function run(command: WalkthroughStep['commands'][number]): Promise<ApiResponse & { listing?: string[] }> {
  if (command.kind === 'npm-run') {
    // The project's own script, run by npm; the inbound listener's port is this backend's.
    const { stdout, stderr } = await execFileAsync('npm', ['run', '--silent', command.script, '--', ...command.args.map(fillIn)], {
      cwd: REPO_ROOT,
      env: { ...process.env, INBOUND_SMTP_PORT: String(api.backend.inboundSmtpPort) },
    });
    return { status: 0, headers: new Headers(), text: `${stdout}${stderr}`, json: undefined };
  }
  if (command.kind === 'ls') {
    const path = command.path.replace(/^\.data/, api.backend.dataDir);
    const listing = readdirSync(path);
    return { status: 0, headers: new Headers(), text: listing.join('\n'), json: undefined, listing };
  }
  const url = fillIn(localise(command.url));
  const response = await fetch(url, { method: command.method, headers: command.headers, body: command.body === undefined ? undefined : localise(command.body) });
  const text = await response.text();
  const json = jsonOrUndefined(text);
  return { status: response.status, headers: response.headers, text, json };
}

function step(number: number): WalkthroughStep {
  const found = steps.find((candidate) => candidate.title.startsWith(`${number}.`));
  assert.ok(found, `README walk-through has no step ${number}`);
  return found;
}

const curlOf = (walkStep: WalkthroughStep, index: number): CurlCommand => {
  const command = walkStep.commands[index];
  assert.equal(command?.kind, 'curl', `step "${walkStep.title}", command ${index + 1} should be a curl`);
  return command as CurlCommand;
};

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const endsAt = Date.now() + timeoutMs;
  while (Date.now() < endsAt) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`README walk-through: ${what} did not happen within ${timeoutMs} ms`);
}

/** The conversation, once its newest outbound message is no longer on its way. */
async function conversationAfterDelivery(listCommand: CurlCommand): Promise<any[]> {
  return waitFor('delivery', async () => {
    const list = await run(listCommand);
    assert.equal(list.status, 200, list.text);
    const newest = list.json.items.find((item: any) => item.direction === 'outbound');
    return newest && (newest.status === 'sent' || newest.status === 'failed') ? list.json.items : undefined;
  });
}

describe('the README walk-through, as written', () => {
  let inboundAddress: string;

  it('has the ten steps this test knows', () => {
    assert.deepEqual(
      steps.map((walkStep) => walkStep.title.split('.')[0]),
      ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'],
    );
  });

  it('1. an unconfigured scope answers with its inbound address', async () => {
    const answer = await run(curlOf(step(1), 0));
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.mode, 'default');
    assert.match(answer.json.inboundAddress, /^acme\.[a-z2-7]{12}@inbound\.localhost$/);
    inboundAddress = answer.json.inboundAddress;
    placeholders.inboundAddress = inboundAddress;
  });

  it('2. the test button against the company server stand-in: AUTH_FAILED, with the untrusted-certificate warning', async () => {
    const answer = await run(curlOf(step(2), 0));
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.ok, false);
    assert.equal(answer.json.stage, 'auth');
    assert.equal(answer.json.code, 'AUTH_FAILED');
    assert.match(answer.json.smtpResponse, /^535 5\.7\.8/);
    assert.ok(answer.json.warnings.some((warning: any) => warning.code === 'TLS_CERTIFICATE_UNTRUSTED'), answer.text);
  });

  it('3. saving with the printed login tests first and activates the settings', async () => {
    const answer = await run(curlOf(step(3), 0));
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.mode, 'smtp');
    assert.equal(answer.json.status, 'verified');
  });

  it('4. mail to the candidate goes through the company server, which keeps it under the data folder', async () => {
    const [putCandidate, send, list, listing] = step(4).commands;
    const candidate = await run(putCandidate);
    assert.ok([200, 201].includes(candidate.status), candidate.text);
    const queued = await run(send);
    assert.equal(queued.status, 202, queued.text);
    assert.equal(queued.json.status, 'queued');
    const items = await conversationAfterDelivery(list as CurlCommand);
    const sent = items.find((item) => item.id === queued.json.id);
    assert.equal(sent.status, 'sent', JSON.stringify(sent));
    assert.equal(sent.provider, 'smtp');
    const files = (await run(listing)).listing ?? [];
    assert.equal(files.length, 1, files.join(', '));
    const raw = readFileSync(join(api.backend.companySmtp.receivedDir, files[0]), 'utf8');
    assert.match(raw, /Subject: Your interview/);
    assert.match(raw, /To: ann@example\.com/);
  });

  it('5. with the company server switched off, mail falls back to the default provider and the settings turn failing', async () => {
    const [off, send, list, settings, store, on] = step(5).commands;
    const switched = await run(off);
    assert.equal(switched.status, 200, switched.text);
    assert.equal(switched.json.running, false);
    const queued = await run(send);
    assert.equal(queued.status, 202, queued.text);
    const items = await conversationAfterDelivery(list as CurlCommand);
    const fallen = items.find((item) => item.id === queued.json.id);
    assert.equal(fallen.status, 'sent', JSON.stringify(fallen));
    assert.equal(fallen.provider, 'default');
    assert.equal(fallen.fallbackReason, 'CONNECTION_REFUSED');
    const failing = await run(settings);
    assert.equal(failing.json.status, 'failing', failing.text);
    const sesStore = await run(store);
    assert.ok(sesStore.json.emails.some((mail: any) => mail.subject === 'Directions'), sesStore.text.slice(0, 500));
    const back = await run(on);
    assert.equal(back.json.running, true);
  });

  it('6. mail forwarded by the company mailbox is filed under the candidate or as unassigned, and can be assigned', async () => {
    const [fromAnn, fromBob, list, unassigned, assign] = step(6).commands;
    // The README's own commands: the company mailbox redirecting two mails to the inbound address.
    for (const send of [fromAnn, fromBob]) {
      assert.equal(send?.kind, 'npm-run', `step 6 sends its mail with npm run: ${send?.source}`);
      const sent = await run(send);
      assert.match(sent.text, /^sent <.+> to acme\.[a-z2-7]{12}@inbound\.localhost through 127\.0\.0\.1:\d+: 250 /m, sent.text);
    }
    await api.backend.idle();

    const filed = await run(list);
    const reply = filed.json.items.find((item: any) => item.direction === 'inbound');
    assert.ok(reply, filed.text);
    assert.deepEqual(reply.match, { by: 'from', address: 'ann@example.com' });
    const waiting = await run(unassigned);
    assert.equal(waiting.status, 200, waiting.text);
    const bob = waiting.json.items.find((item: any) => item.subject === 'Open positions?');
    assert.ok(bob, waiting.text);
    placeholders.id = bob.id;
    const assigned = await run(assign);
    assert.equal(assigned.status, 200, assigned.text);
    assert.equal(assigned.json.candidateId, 'cand-1');
  });

  it('7. the redirect check comes back through the company mailbox forwarding and turns verified', async () => {
    const [redirectTest, settings] = step(7).commands;
    const sent = await run(redirectTest);
    assert.equal(sent.status, 202, sent.text);
    assert.equal(sent.json.redirect.status, 'pending');
    const verified = await waitFor('the redirect check', async () => {
      const answer = await run(settings);
      return answer.json.redirect.status === 'verified' ? answer.json : undefined;
    });
    assert.ok(verified.redirect.verifiedAt);
  });

  it("8. a bounce from the default provider: the message fails with BOUNCED, the address is suppressed, the next mail fails at once", async () => {
    const [off, putCandidate, send, list, suppressions, sendAgain, listAgain, settings, lift, on] = step(8).commands;
    assert.equal((await run(off)).json.running, false);
    assert.ok([200, 201].includes((await run(putCandidate)).status));
    const queued = await run(send);
    assert.equal(queued.status, 202, queued.text);
    const bounced = await waitFor('the bounce event', async () => {
      const answer = await run(list);
      const message = answer.json.items.find((item: any) => item.id === queued.json.id);
      return message?.delivery ? message : undefined;
    });
    assert.equal(bounced.status, 'failed', JSON.stringify(bounced));
    assert.equal(bounced.provider, 'default');
    assert.equal(bounced.error.code, 'BOUNCED');
    assert.deepEqual([bounced.delivery.status, bounced.delivery.bounceType, bounced.delivery.diagnostic], ['bounced', 'Permanent', 'smtp; 550 5.1.1 user unknown']);

    const listed = await run(suppressions);
    assert.deepEqual(listed.json.items.map((item: any) => [item.address, item.reason]), [['bounce@simulator.amazonses.com', 'bounce']]);
    assert.equal(listed.json.nextCursor, null);

    const again = await run(sendAgain);
    assert.equal(again.status, 202, again.text);
    await api.backend.idle();
    const refused = (await run(listAgain)).json.items.find((item: any) => item.id === again.json.id);
    assert.equal(refused.status, 'failed');
    assert.equal(refused.error.code, 'RECIPIENT_SUPPRESSED');
    assert.ok(refused.error.hint);

    const standing = await run(settings);
    assert.equal(standing.json.defaultProvider.status, 'active');
    assert.ok(standing.json.defaultProvider.bounceRate > 0, standing.text);
    assert.equal((await run(lift)).status, 204);
    assert.deepEqual((await run(suppressions)).json.items, []);
    assert.equal((await run(on)).json.running, true);
  });

  it('9. the export is a zip of every message of the conversation and index.json, downloaded through its link', async () => {
    const [start, status, download] = step(9).commands as CurlCommand[];
    const started = await run(start);
    assert.equal(started.status, 202, started.text);
    assert.match(started.json.exportId, /^exp_/);
    const done = await waitFor('the export', async () => {
      const answer = await run({ ...status, url: status.url.replace('<exportId>', started.json.exportId) });
      return answer.json.status === 'done' ? answer.json : undefined;
    });
    assert.ok(Date.parse(done.expiresAt) > Date.now());
    assert.equal(download.output, 'cand-1-export.zip');
    const zip = await fetch(download.url.replace('<downloadUrl>', done.downloadUrl));
    assert.equal(zip.status, 200);
    const files = await unzip(Buffer.from(await zip.arrayBuffer()));
    const index = JSON.parse(files.get('index.json')!.toString('utf8')).messages as any[];
    const conversation = (await run(curlOf(step(4), 2))).json.items as any[];
    assert.deepEqual(index.map((entry) => entry.id).sort(), conversation.map((message) => message.id).sort());
    for (const entry of index) assert.match(files.get(entry.file)!.toString('latin1'), /^Message-ID: </im, entry.file);
    assert.ok(index.some((entry) => entry.direction === 'inbound') && index.some((entry) => entry.direction === 'outbound'));
  });

  it('10. anonymize erases the candidate, and the candidate answers 404', async () => {
    const [anonymize, erasure, candidate] = step(10).commands;
    const started = await run(anonymize);
    assert.equal(started.status, 202, started.text);
    assert.match(started.json.erasureId, /^era_/);
    const done = await waitFor('the erasure', async () => {
      const answer = await run({ ...(erasure as CurlCommand), url: (erasure as CurlCommand).url.replace('<erasureId>', started.json.erasureId) });
      return answer.json.status === 'done' ? answer.json : undefined;
    });
    assert.ok(done.counts.messages >= 3, JSON.stringify(done));
    assert.equal((await run(candidate)).status, 404);
  });
});
