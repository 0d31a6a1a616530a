/**
 * The circuit breaker of a company's server, and saves during a burst of failures: the failing
 * mark must never make a save answer CONFLICT (against dynalite, the store whose condition
 * matters), a failing server is not sent every message of a burst, one probe tries it again
 * after the cool-down, and a delivery it accepts brings the settings back to `verified`.
 */
import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getScopeSettings, saveScopeSettings, testScopeSettings, type EmailSettingsDeps } from '../../shared/email-settings/email-settings-service';
import type { SettingsStore } from '../../shared/email-settings/settings-store';
import { toSettingsView } from '../../shared/email-settings/settings-view';
import { deliverCandidateMail, type DeliverMailDeps } from '../../shared/messages/deliver-candidate-mail';
import { SmtpSendError } from '../../shared/smtp/smtp-port';
import type { SmtpResultCode } from '../../shared/smtp/types';
import type { LocalDynamo } from '../../infra/local/local-dynamodb';
import { inMemoryDeliverDeps, inMemorySettingsDeps, queuedOutboundMessage } from '../support/in-memory-mail-deps';
import { startLocalTable } from '../support/local-table';

const INBOUND_DOMAIN = 'inbound.recruiting.example';
const SMTP_INPUT = { host: 'smtp.acme.example', port: 587, security: 'starttls' as const, username: 'jobs@acme.example', password: 'server-secret' };

const refused = (code: SmtpResultCode = 'CONNECTION_REFUSED') =>
  new SmtpSendError({ code, stage: 'connect', message: `The server failed with ${code}.`, hint: 'Ask IT.', smtpResponse: null, dataSent: false, temporary: false });

/** The send use case and the settings use case on one settings store (in memory, or DynamoDB). */
function setup(options: { store?: SettingsStore; companyId?: string } = {}) {
  let clock = new Date('2026-03-02T09:00:00Z');
  const now = () => clock;
  const memory = inMemorySettingsDeps({ inboundDomain: INBOUND_DOMAIN, now });
  const settingsDeps: EmailSettingsDeps = { ...memory.settingsDeps, store: options.store ?? memory.settingsDeps.store };
  const delivery = inMemoryDeliverDeps({ settingsDeps: settingsDeps as typeof memory.settingsDeps });
  const deps: DeliverMailDeps = { ...delivery.deps, settings: settingsDeps.store };
  const companyId = options.companyId ?? 'acme';
  let counter = 0;
  return {
    ...delivery,
    deps,
    settingsDeps,
    companyId,
    now,
    advance(seconds: number) {
      clock = new Date(clock.getTime() + seconds * 1000);
    },
    async configureSmtp(fallbackToDefault = true) {
      const outcome = await saveScopeSettings(settingsDeps, companyId, 'main', { address: 'jobs@acme.example', mode: 'smtp', smtp: SMTP_INPUT, fallbackToDefault });
      assert.equal(outcome.saved, true);
    },
    async queueMail(count: number) {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const id = `msg_${companyId}_${++counter}`;
        await delivery.messages.create(queuedOutboundMessage({ id, companyId, createdAt: clock.toISOString() }));
        ids.push(id);
      }
      return ids;
    },
    settings: () => getScopeSettings(settingsDeps, companyId, 'main'),
  };
}

describe('a save during a burst of failures (DynamoDB)', () => {
  let dynamo: LocalDynamo;
  let store: SettingsStore;
  let client: { destroy(): void };

  before(async () => {
    dynamo = await startLocalTable('recruiting-mail-circuit-test');
    const { createDynamoSettingsStore } = await import('../../shared/adapters/dynamodb-settings-store');
    client = (await import('../../shared/adapters/dynamodb')).getDocumentClient();
    store = createDynamoSettingsStore();
  });
  after(async () => {
    client?.destroy();
    await dynamo?.stop();
  });

  for (const [name, input] of [
    ['new SMTP settings', { mode: 'smtp' as const, smtp: { ...SMTP_INPUT, host: 'smtp.fixed.acme.example' } }],
    ['switching to the default provider', { mode: 'default' as const }],
  ] as const) {
    it(`succeeds for ${name} while every message of the burst fails on the old server`, async () => {
      const t = setup({ store, companyId: `acme-${name.length}-${Date.now()}` });
      await t.configureSmtp();
      const burst = await t.queueMail(12);
      t.smtp.failNext(...burst.map(() => refused('AUTH_FAILED')));
      // The burst runs while the save tests the new settings, between its read and its write.
      const tester = t.settingsDeps.testSmtp;
      const deps: EmailSettingsDeps = {
        ...t.settingsDeps,
        testSmtp: async (...args) => {
          for (const id of burst) await deliverCandidateMail(t.deps, id);
          return tester(...args);
        },
      };
      const saving = input.mode === 'smtp' ? saveScopeSettings(deps, t.companyId, 'main', input) : (async () => {
        // A default-mode save tests nothing: the burst lands between its read and its write here.
        const failing = { ...deps, store: { ...store, replace: async (...args: Parameters<SettingsStore['replace']>) => {
          for (const id of burst) await deliverCandidateMail(t.deps, id);
          return store.replace(...args);
        } } };
        return saveScopeSettings(failing, t.companyId, 'main', input);
      })();
      const outcome = await saving;

      assert.equal(outcome.saved, true);
      const stored = await t.settings();
      assert.equal(stored.mode, input.mode);
      assert.equal(stored.status, input.mode === 'smtp' ? 'verified' : 'unverified');
      assert.equal(stored.failure, null);
      assert.equal(toSettingsView(stored, stored).circuit?.state ?? 'closed', 'closed');
      assert.ok(t.smtp.attempts.length < burst.length, 'the burst did not send every message to the failing server');
    });
  }
});

describe('the circuit breaker of a failing company server', () => {
  it('opens after the failure: the rest of the burst falls back without touching the server', async () => {
    const t = setup();
    await t.configureSmtp();
    t.smtp.failNext(refused(), refused(), refused());
    const burst = await t.queueMail(10);
    for (const id of burst) assert.equal(await deliverCandidateMail(t.deps, id), 'sent');

    assert.equal(t.smtp.attempts.length, 1, 'one message found the server failing; the others stayed away');
    assert.equal(t.provider.sent.length, 10);
    for (const id of burst) assert.equal(t.messages.peek(id).fallbackReason, 'CONNECTION_REFUSED');
    const view = toSettingsView(await t.settings(), null);
    assert.equal(view.status, 'failing');
    assert.deepEqual(view.circuit, { state: 'open', since: t.now().toISOString(), nextProbeAt: new Date(t.now().getTime() + 60_000).toISOString() });
  });

  it('after the cool-down one message probes; the server accepting it closes the circuit and the settings are verified again', async () => {
    const t = setup();
    await t.configureSmtp();
    t.smtp.failNext(refused());
    await deliverCandidateMail(t.deps, (await t.queueMail(1))[0]);
    t.advance(61);

    // The server is back.
    const [probe, next] = await t.queueMail(2);
    assert.equal(await deliverCandidateMail(t.deps, probe), 'sent');
    assert.equal(t.messages.peek(probe).provider, 'smtp');
    const settings = await t.settings();
    assert.equal(settings.status, 'verified');
    assert.equal(settings.failure, null);
    assert.equal(toSettingsView(settings, null).circuit?.state, 'closed');
    assert.equal(await deliverCandidateMail(t.deps, next), 'sent');
    assert.equal(t.messages.peek(next).provider, 'smtp');
  });

  it('a probe that fails opens the circuit again, for twice as long', async () => {
    const t = setup();
    await t.configureSmtp();
    t.smtp.failNext(refused(), refused());
    await deliverCandidateMail(t.deps, (await t.queueMail(1))[0]);
    const openedAt = t.now().toISOString();
    t.advance(61);
    const [probe, during] = await t.queueMail(2);
    assert.equal(await deliverCandidateMail(t.deps, probe), 'sent');
    assert.equal(t.messages.peek(probe).provider, 'default');
    assert.equal(t.smtp.attempts.length, 2, 'the probe tried the server');

    const view = toSettingsView(await t.settings(), null);
    assert.deepEqual(view.circuit, { state: 'open', since: openedAt, nextProbeAt: new Date(t.now().getTime() + 120_000).toISOString() });
    await deliverCandidateMail(t.deps, during);
    assert.equal(t.smtp.attempts.length, 2, 'mail stays away during the longer cool-down');
  });

  it('only one of the messages due at the end of the cool-down is the probe', async () => {
    const t = setup();
    await t.configureSmtp();
    t.smtp.failNext(refused());
    await deliverCandidateMail(t.deps, (await t.queueMail(1))[0]);
    t.advance(61);
    const due = await t.queueMail(5);
    await Promise.all(due.map((id) => deliverCandidateMail(t.deps, id)));
    assert.equal(t.smtp.attempts.length, 2, 'the first failure and one probe');
  });

  it('with fallbackToDefault false, the messages wait for the probe instead of failing, then go out through the server', async () => {
    const t = setup();
    await t.configureSmtp(false);
    t.smtp.failNext(refused());
    const [first, ...waiting] = await t.queueMail(4);
    assert.equal(await deliverCandidateMail(t.deps, first), 'failed');
    for (const id of waiting) {
      assert.equal(await deliverCandidateMail(t.deps, id), 'retrying');
      const stored = t.messages.peek(id);
      assert.equal(stored.status, 'queued');
      assert.equal(stored.attempts, 0, 'waiting is not an attempt');
      assert.equal(stored.error?.code, 'CONNECTION_REFUSED');
    }
    assert.equal(t.smtp.attempts.length, 1);
    assert.equal(t.provider.sent.length, 0);
    assert.ok(t.queue.jobs.every((job) => job.delaySeconds >= 60 && job.delaySeconds <= 900), 'each comes back after the cool-down');

    t.advance(61);
    for (const id of waiting) assert.equal(await deliverCandidateMail(t.deps, id), 'sent');
    assert.equal(t.smtp.accepted.length, 3);
    assert.equal((await t.settings()).status, 'verified');
    for (const id of waiting) assert.equal(t.messages.peek(id).error, null);
  });

  it('a waiting message fails with the server failure once it waited longer than allowed', async () => {
    const t = setup();
    await t.configureSmtp(false);
    t.deps.circuit.maxWaitSeconds = 30;
    t.smtp.failNext(refused());
    const [first, waiting] = await t.queueMail(2);
    await deliverCandidateMail(t.deps, first);
    assert.equal(await deliverCandidateMail(t.deps, waiting), 'retrying');
    t.advance(40);
    assert.equal(await deliverCandidateMail(t.deps, waiting), 'failed');
    const stored = t.messages.peek(waiting);
    assert.equal(stored.error?.code, 'CONNECTION_REFUSED');
    assert.match(stored.error?.message ?? '', /kept failing/);
    assert.equal(t.smtp.attempts.length, 1);
  });

  it('a delivery the server accepts clears a failing status set by the test button (issue: "stayed failing")', async () => {
    const t = setup();
    await t.configureSmtp();
    const tester = t.settingsDeps.testSmtp;
    const failingDeps: EmailSettingsDeps = {
      ...t.settingsDeps,
      testSmtp: async (...args) => ({ ...(await tester(...args)), ok: false, stage: 'connect', code: 'CONNECTION_REFUSED' }),
    };
    await testScopeSettings(failingDeps, t.companyId, 'main', {});
    assert.equal((await t.settings()).status, 'failing');

    assert.equal(await deliverCandidateMail(t.deps, (await t.queueMail(1))[0]), 'sent');
    assert.equal((await t.settings()).status, 'verified');
  });

  it('a passing test of the saved settings closes the circuit', async () => {
    const t = setup();
    await t.configureSmtp();
    t.smtp.failNext(refused());
    await deliverCandidateMail(t.deps, (await t.queueMail(1))[0]);
    assert.equal(toSettingsView(await t.settings(), null).circuit?.state, 'open');
    await testScopeSettings(t.settingsDeps, t.companyId, 'main', {});
    const settings = await t.settings();
    assert.deepEqual([settings.status, toSettingsView(settings, null).circuit?.state], ['verified', 'closed']);
    await deliverCandidateMail(t.deps, (await t.queueMail(1))[0]);
    assert.equal(t.smtp.accepted.length, 1);
  });
});
