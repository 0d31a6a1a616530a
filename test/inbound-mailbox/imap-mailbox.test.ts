/**
 * Reading a company mailbox over IMAP (DESIGN capability 12) against a real Dovecot on
 * loopback (STARTTLS and implicit TLS, a self-signed certificate the client trusts as a
 * private CA): the staged inbound test and its codes, saving a mailbox (tested first), and the
 * poller filing appended mail under the right candidate without filing anything twice across
 * restarts, a UIDVALIDITY change and two pollers at once. The stores are the DynamoDB adapters
 * on dynalite; the cipher is the fake (KMS does not run here).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import type { LocalDynamo } from '../../infra/local/local-dynamodb';
import { putCandidate } from '../../shared/candidates/candidates-service';
import type { CandidatesStore } from '../../shared/candidates/candidates-store';
import { getScopeSettings } from '../../shared/email-settings/email-settings-service';
import type { SettingsStore } from '../../shared/email-settings/settings-store';
import { connectWithImapflow } from '../../shared/inbound-mailbox/imapflow-mailbox-reader';
import { imapPolicyOf, type ImapRoute } from '../../shared/inbound-mailbox/imap-destination';
import { saveInboundSettings, testInboundSettings, type InboundSettingsDeps } from '../../shared/inbound-mailbox/inbound-settings-service';
import type { InboundMailboxStore } from '../../shared/inbound-mailbox/mailbox-store';
import type { ImapServerSettings } from '../../shared/inbound-mailbox/model';
import { pollMailbox, type PollMailboxDeps } from '../../shared/inbound-mailbox/poll-mailbox';
import { testImapSettings } from '../../shared/inbound-mailbox/test-imap-settings';
import { fileInboundMail, type FileInboundDeps } from '../../shared/messages/file-inbound-mail';
import type { MessagesStore } from '../../shared/messages/messages-store';
import { outboundPolicyOf } from '../../shared/smtp/destination-guard';
import { startDovecot, type DovecotServer } from '../support/dovecot-server';
import { FakeSecretCipher } from '../support/fake-secret-cipher';
import { MemoryBlobStore } from '../support/memory-blob-store';
import { MemoryRateLimiter } from '../support/memory-rate-limiter';
import { startLocalTable } from '../support/local-table';
import '../support/quiet-logs';
import { testInboundAddresses } from '../support/inbound-addresses';

const TABLE = 'recruiting-mail-imap-test';
const INBOUND_DOMAIN = 'inbound.test.local';
const COMPANY = 'acme';
const MAILBOX = 'jobs@acme.test';
const PASSWORD = 'imap-secret-1';

let dovecot: DovecotServer;
let dynamo: LocalDynamo;
let settings: SettingsStore;
let candidates: CandidatesStore;
let messages: MessagesStore;
let mailboxes: InboundMailboxStore;
let route: ImapRoute;
const cipher = new FakeSecretCipher();
const blobs = new MemoryBlobStore();
const now = () => new Date();

const localPolicy = () =>
  outboundPolicyOf({
    allowedPorts: ['*'],
    allowedPrivateCidrs: ['127.0.0.0/8'],
    allowPlaintext: false,
    acceptUntrustedCertificatesInAllowedCidrs: false,
    extraCaFile: undefined,
    egressIps: [],
  });

before(async () => {
  dovecot = await startDovecot({
    users: [
      { user: MAILBOX, password: PASSWORD },
      // Microsoft's words for a mailbox whose IMAP is off, as Dovecot's nologin reason.
      { user: 'imap-off@acme.test', password: 'pw-off', disabledReason: 'User is authenticated but not connected.' },
    ],
  });
  dynamo = await startLocalTable(TABLE);
  const { createDynamoSettingsStore } = await import('../../shared/adapters/dynamodb-settings-store');
  const { createDynamoCandidatesStore } = await import('../../shared/adapters/dynamodb-candidates-store');
  const { createDynamoMessagesStore } = await import('../../shared/adapters/dynamodb-messages-store');
  const { createDynamoInboundMailboxStore } = await import('../../shared/adapters/dynamodb-inbound-mailbox-store');
  settings = createDynamoSettingsStore();
  candidates = createDynamoCandidatesStore();
  messages = createDynamoMessagesStore();
  mailboxes = createDynamoInboundMailboxStore();
  route = { policy: imapPolicyOf(localPolicy(), ['143', '993', String(dovecot.port), String(dovecot.tlsPort)]), tlsCa: dovecot.cert };
});

after(async () => {
  await dovecot?.stop();
  await dynamo?.stop();
});

const server = (overrides: Partial<ImapServerSettings> = {}): ImapServerSettings => ({
  host: 'localhost',
  port: dovecot.port,
  security: 'starttls',
  username: MAILBOX,
  auth: 'password',
  password: PASSWORD,
  folder: 'INBOX',
  ...overrides,
});

const runTest = (settingsToTry: ImapServerSettings, overrides: Partial<ImapRoute> = {}) =>
  testImapSettings(settingsToTry, { ...route, ...overrides, connect: connectWithImapflow, egressIps: ['203.0.113.7'] });

async function withClient<T>(run: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow({ host: '127.0.0.1', port: dovecot.tlsPort, secure: true, servername: 'localhost', tls: { ca: [dovecot.cert] }, auth: { user: MAILBOX, pass: PASSWORD }, logger: false });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.logout();
  }
}

const rawMail = (from: string, subject: string, messageId: string) =>
  Buffer.from(
    [`From: ${from}`, `To: ${MAILBOX}`, `Subject: ${subject}`, `Message-ID: <${messageId}>`, `Date: ${new Date().toUTCString()}`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', `Hello, this is ${subject}.`, ''].join('\r\n'),
  );

describe('the inbound test against Dovecot', () => {
  it('passes with a password over STARTTLS and over implicit TLS, opening the folder without changing it', async () => {
    const starttls = await runTest(server());
    assert.equal(starttls.ok, true, JSON.stringify(starttls));
    assert.equal(starttls.stage, 'done');
    assert.equal(starttls.code, 'OK');
    assert.deepEqual(starttls.egressIps, ['203.0.113.7']);
    const implicit = await runTest(server({ port: dovecot.tlsPort, security: 'ssl' }));
    assert.equal(implicit.ok, true, JSON.stringify(implicit));
    assert.ok(!JSON.stringify([starttls, implicit]).includes(PASSWORD), 'the password never appears in the answer');
  });

  it('names a wrong password AUTH_FAILED at stage auth', async () => {
    const result = await runTest(server({ password: 'wrong-password' }));
    assert.equal(result.ok, false);
    assert.equal(result.stage, 'auth');
    assert.equal(result.code, 'AUTH_FAILED');
    assert.ok(!JSON.stringify(result).includes('wrong-password'));
  });

  it('names a mailbox whose IMAP is off IMAP_DISABLED, with the Exchange command', async () => {
    const result = await runTest(server({ username: 'imap-off@acme.test', password: 'pw-off' }));
    assert.equal(result.stage, 'auth');
    assert.equal(result.code, 'IMAP_DISABLED');
    assert.match(result.hint ?? '', /Set-CASMailbox -Identity <mailbox> -ImapEnabled \$true/);
  });

  it('names a missing folder IMAP_FOLDER_NOT_FOUND at stage folder', async () => {
    const result = await runTest(server({ folder: 'Bewerbungen-2019' }));
    assert.equal(result.stage, 'folder');
    assert.equal(result.code, 'IMAP_FOLDER_NOT_FOUND');
    assert.match(result.message, /Bewerbungen-2019/);
  });

  it('refuses a certificate nobody vouches for (TLS_CERTIFICATE_INVALID), the SMTP mismatch of ports, and closed ports', async () => {
    const untrusted = await runTest(server({ port: dovecot.tlsPort, security: 'ssl' }), { tlsCa: undefined });
    assert.equal(untrusted.stage, 'tls');
    assert.equal(untrusted.code, 'TLS_CERTIFICATE_INVALID');
    const mismatch = await runTest(server({ port: dovecot.port, security: 'ssl' }));
    assert.equal(mismatch.code, 'TLS_MISMATCH');
    const refused = await runTest(server({ port: 1 }), { policy: { ...route.policy, allowedPorts: '*' } });
    assert.equal(refused.stage, 'connect');
    assert.equal(refused.code, 'CONNECTION_REFUSED');
  });

  it('refuses ports outside IMAP_ALLOWED_PORTS and private addresses before connecting', async () => {
    const port = await runTest(server({ port: 2525 }), { policy: imapPolicyOf(localPolicy(), ['143', '993']) });
    assert.equal(port.code, 'PORT_NOT_ALLOWED');
    assert.match(port.message, /IMAP/);
    const privateHost = await runTest(server(), { policy: { ...route.policy, allowedPrivateCidrs: [] } });
    assert.equal(privateHost.code, 'DESTINATION_BLOCKED');
  });
});

describe('a mailbox read over IMAP', () => {
  const fileDeps = (): FileInboundDeps => ({ settings, candidates, messages, blobs, inboundDomain: INBOUND_DOMAIN, inboundAddresses: testInboundAddresses(INBOUND_DOMAIN), ourDomains: [INBOUND_DOMAIN], now });
  const settingsDeps = (): InboundSettingsDeps => ({
    store: settings,
    cipher,
    rateLimiter: new MemoryRateLimiter(now),
    inboundDomain: INBOUND_DOMAIN,
    inboundAddresses: testInboundAddresses(INBOUND_DOMAIN),
    maxScopesPerCompany: 100,
    testsPerMinute: 1000,
    destinationsPerMinute: 1000,
    now,
    mailboxes,
    testImap: (settingsToTry, options) => testImapSettings(settingsToTry, { ...route, ...options, connect: connectWithImapflow, egressIps: [] }),
  });
  const pollDeps = (limits: Partial<PollMailboxDeps['limits']> = {}): PollMailboxDeps => ({
    settings,
    mailboxes,
    blobs,
    file: (delivery) => fileInboundMail(fileDeps(), delivery),
    cipher,
    connect: connectWithImapflow,
    route,
    limits: { maxMessages: 50, maxSeconds: 40, leaseSeconds: 60, ...limits },
    now,
  });
  const scope = 'main';
  const ref = { companyId: COMPANY, scope };
  const inboundMessages = async () => {
    const all = await Promise.all([messages.listUnassigned(COMPANY, { limit: 100 }), messages.listByCandidate(COMPANY, 'cand-1', { limit: 100 }), messages.listByCandidate(COMPANY, 'cand-2', { limit: 100 })]);
    return all.flatMap((page) => page.items);
  };

  before(async () => {
    await putCandidate({ candidates, now }, COMPANY, 'cand-1', { emails: ['ada@candidates.test'], name: 'Ada' });
    await putCandidate({ candidates, now }, COMPANY, 'cand-2', { emails: ['grace@candidates.test'], name: 'Grace' });
  });

  it('keeps forwarding when the mailbox fails its test, and reads it once the test passes', async () => {
    const failed = await saveInboundSettings(settingsDeps(), COMPANY, scope, {
      mode: 'imap',
      imap: { host: 'localhost', port: dovecot.port, security: 'starttls', username: MAILBOX, password: 'wrong', auth: 'password' },
    });
    assert.equal(failed.saved, false);
    assert.equal(failed.test?.code, 'AUTH_FAILED');
    assert.equal((await getScopeSettings(settingsDeps(), COMPANY, scope)).inbound?.mode ?? 'forward', 'forward');

    await withClient((client) => client.append('INBOX', rawMail('Ada <ada@candidates.test>', 'Bewerbung als Entwicklerin', 'ada-1@candidates.test')));
    const saved = await saveInboundSettings(settingsDeps(), COMPANY, scope, {
      mode: 'imap',
      imap: { host: 'localhost', port: dovecot.port, security: 'starttls', username: MAILBOX, password: PASSWORD, auth: 'password', backfillDays: 7 },
    });
    assert.equal(saved.saved, true, JSON.stringify(saved.test));
    const stored = saved.settings.inbound?.imap;
    assert.ok(stored?.passwordCiphertext && !stored.passwordCiphertext.includes(PASSWORD));
    const listed = [];
    for await (const mailbox of mailboxes.listMailboxes()) listed.push(mailbox);
    assert.deepEqual(listed, [ref]);
  });

  it('files the backfilled mail under its candidate on the first poll, and nothing again on the next', async () => {
    const first = await pollMailbox(pollDeps(), ref);
    assert.equal(first.result, 'polled');
    assert.deepEqual(first.result === 'polled' ? first.outcomes : [], ['filed']);
    const filed = await messages.listByCandidate(COMPANY, 'cand-1', { limit: 10 });
    assert.equal(filed.items.length, 1);
    assert.equal(filed.items[0].subject, 'Bewerbung als Entwicklerin');

    const second = await pollMailbox(pollDeps(), ref);
    assert.deepEqual(second, { result: 'polled', fetched: 0, outcomes: [], more: false });
    const view = await settings.get(COMPANY, scope);
    assert.equal(view?.inboundPoll?.status, 'active');
    assert.ok(view?.inboundPoll?.lastPollAt);
  });

  it('reads mail appended later, in bounded runs, and the mail stays unseen in the mailbox', async () => {
    await withClient(async (client) => {
      await client.append('INBOX', rawMail('Grace <grace@candidates.test>', 'Unterlagen', 'grace-1@candidates.test'));
      await client.append('INBOX', rawMail('Grace <grace@candidates.test>', 'Nachtrag', 'grace-2@candidates.test'));
    });
    const bounded = await pollMailbox(pollDeps({ maxMessages: 1 }), ref);
    assert.equal(bounded.result === 'polled' && bounded.more, true);
    const rest = await pollMailbox(pollDeps(), ref);
    assert.equal(rest.result === 'polled' && rest.fetched, 1);
    assert.equal((await messages.listByCandidate(COMPANY, 'cand-2', { limit: 10 })).items.length, 2);
    const unseen = await withClient(async (client) => {
      await client.mailboxOpen('INBOX', { readOnly: true });
      return (await client.search({ seen: false }, { uid: true })) || [];
    });
    assert.equal(unseen.length, 3, 'nothing is marked \\Seen or deleted');
  });

  it('files nothing twice after a crash between storing and recording the UID, or with two pollers at once', async () => {
    const before = (await inboundMessages()).length;
    // The run that crashed: its position was never recorded, so the next run reads it all again.
    const { createDynamoInboundMailboxStore } = await import('../../shared/adapters/dynamodb-inbound-mailbox-store');
    const fresh = createDynamoInboundMailboxStore();
    const lease = await fresh.acquireLease(ref, 'crashed-poller', new Date(), 1);
    assert.notEqual(lease, 'busy');
    if (lease !== 'busy' && lease.cursor) await fresh.saveCursor(ref, 'crashed-poller', { ...lease.cursor, lastUid: 0 });
    await fresh.releaseLease(ref, 'crashed-poller');
    await withClient((client) => client.append('INBOX', rawMail('Ada <ada@candidates.test>', 'Rückfrage', 'ada-2@candidates.test')));

    const [one, two] = await Promise.all([pollMailbox(pollDeps(), ref), pollMailbox(pollDeps(), ref)]);
    const results = [one.result, two.result].sort();
    assert.deepEqual(results, ['busy', 'polled'], 'one poller per mailbox at a time');
    const run = one.result === 'polled' ? one : two;
    assert.ok(run.result === 'polled');
    assert.deepEqual([...run.outcomes].sort(), ['duplicate', 'duplicate', 'duplicate', 'filed']);
    assert.equal((await inboundMessages()).length, before + 1);
  });

  it('reads a folder again after its UIDVALIDITY changed and files only what is new', async () => {
    await withClient(async (client) => {
      await client.mailboxCreate('Bewerbungen');
      await client.append('Bewerbungen', rawMail('Ada <ada@candidates.test>', 'Zeugnisse', 'ada-3@candidates.test'));
    });
    const saved = await saveInboundSettings(settingsDeps(), COMPANY, scope, {
      mode: 'imap',
      imap: { host: 'localhost', port: dovecot.tlsPort, security: 'ssl', username: MAILBOX, auth: 'password', folder: 'Bewerbungen', backfillDays: 7 },
    });
    assert.equal(saved.saved, true, 'the stored password is kept for the same host and user');
    const first = await pollMailbox(pollDeps(), ref);
    assert.deepEqual(first.result === 'polled' ? first.outcomes : first, ['filed']);
    const count = (await inboundMessages()).length;

    // The folder is recreated (a new UIDVALIDITY) with the same mail and one new.
    await withClient(async (client) => {
      await client.mailboxDelete('Bewerbungen');
      await client.mailboxCreate('Bewerbungen');
      await client.append('Bewerbungen', rawMail('Ada <ada@candidates.test>', 'Zeugnisse', 'ada-3@candidates.test'));
      await client.append('Bewerbungen', rawMail('Grace <grace@candidates.test>', 'Termin', 'grace-3@candidates.test'));
    });
    const again = await pollMailbox(pollDeps(), ref);
    assert.deepEqual(again.result === 'polled' ? [...again.outcomes].sort() : again, ['duplicate', 'filed']);
    assert.equal((await inboundMessages()).length, count + 1);
  });

  it('marks only the inbound side failing when the mailbox stops answering, and recovers by itself', async () => {
    const current = await settings.get(COMPANY, scope);
    const imap = current!.inbound!.imap!;
    // The folder disappears (renamed by someone): the next poll fails with its code.
    await withClient((client) => client.mailboxRename('Bewerbungen', 'Bewerbungen-alt'));
    const failing = await pollMailbox(pollDeps(), ref);
    assert.deepEqual(failing, { result: 'failing', code: 'IMAP_FOLDER_NOT_FOUND' });
    const marked = await settings.get(COMPANY, scope);
    assert.equal(marked?.inboundPoll?.status, 'failing');
    assert.equal(marked?.inboundPoll?.failure?.code, 'IMAP_FOLDER_NOT_FOUND');
    assert.equal(marked?.status, current?.status, 'the sending status is untouched');
    assert.equal(marked?.inboundPoll?.revision, imap.revision);

    const tested = await testInboundSettings(settingsDeps(), COMPANY, scope, {});
    assert.equal(tested.code, 'IMAP_FOLDER_NOT_FOUND');

    await withClient((client) => client.mailboxRename('Bewerbungen-alt', 'Bewerbungen'));
    const recovered = await pollMailbox(pollDeps(), ref);
    assert.equal(recovered.result, 'polled');
    assert.equal((await settings.get(COMPANY, scope))?.inboundPoll?.status, 'active');
  });

  it('goes back to forwarding: the poller drops the mailbox from its list', async () => {
    await saveInboundSettings(settingsDeps(), COMPANY, scope, { mode: 'forward' });
    const listed = [];
    for await (const mailbox of mailboxes.listMailboxes()) listed.push(mailbox);
    assert.deepEqual(listed, []);
    assert.deepEqual(await pollMailbox(pollDeps(), ref), { result: 'not_imap' });
  });
});
