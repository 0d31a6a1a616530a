import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  deleteScopeSettings,
  type EmailSettingsDeps,
  ensureScopeSettings,
  getScopeSettings,
  listScopeSettings,
  saveScopeSettings,
  testScopeSettings,
} from '../../shared/email-settings/email-settings-service';
import { AppError } from '../../shared/errors';
import { FakeSecretCipher } from '../support/fake-secret-cipher';
import { MemoryRateLimiter } from '../support/memory-rate-limiter';
import { MemorySettingsStore } from '../support/memory-settings-store';
import { RecordingSmtpTester } from '../support/recording-smtp';
import { testInboundAddresses } from '../support/inbound-addresses';
import { createLocalMac } from '../../shared/adapters/local-mac';
import { inboundAddresses, scopeOfInboundAddress } from '../../shared/email-settings/inbound-address';

const INBOUND_DOMAIN = 'inbound.recruiting.example';
const PASSWORD = 'correct horse battery staple';

function setup(options: { testsPerMinute?: number; destinationsPerMinute?: number; maxScopesPerCompany?: number } = {}) {
  let clock = new Date('2026-03-02T09:00:10Z');
  const store = new MemorySettingsStore();
  const cipher = new FakeSecretCipher();
  const tester = new RecordingSmtpTester();
  const now = () => clock;
  const deps: EmailSettingsDeps = {
    store,
    cipher,
    testSmtp: tester.test,
    rateLimiter: new MemoryRateLimiter(now),
    inboundDomain: INBOUND_DOMAIN,
    inboundAddresses: testInboundAddresses(INBOUND_DOMAIN),
    maxScopesPerCompany: options.maxScopesPerCompany ?? 100,
    testsPerMinute: options.testsPerMinute ?? 100,
    destinationsPerMinute: options.destinationsPerMinute ?? 100,
    now,
  };
  return {
    deps,
    store,
    cipher,
    tester,
    advance(seconds: number) {
      clock = new Date(clock.getTime() + seconds * 1000);
    },
  };
}

const smtpInput = (overrides: Record<string, unknown> = {}) => ({
  host: 'smtp.acme.example',
  port: 587,
  security: 'starttls' as const,
  username: 'jobs@acme.example',
  password: PASSWORD,
  ...overrides,
});

async function assertAppError(promise: Promise<unknown>, code: AppError['code'], check?: (error: AppError) => void) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.code, code);
    check?.(error);
    return true;
  });
}

describe('getScopeSettings', () => {
  it('answers a never-configured scope in default mode with its inbound address, and stores nothing', async () => {
    const { deps, store } = setup();
    const first = await getScopeSettings(deps, 'acme', 'main');
    assert.equal(first.mode, 'default');
    assert.equal(first.smtp, null);
    assert.equal(first.status, 'unverified');
    assert.equal(first.fallbackToDefault, true);
    assert.match(first.inboundAddress, new RegExp(`^acme\\.[a-z2-7]{12}@${INBOUND_DOMAIN.replace(/\./g, '\\.')}$`));
    const again = await getScopeSettings(deps, 'acme', 'main');
    assert.equal(again.inboundAddress, first.inboundAddress);
    assert.equal(store.records.size, 0);
    assert.equal(store.inbound.size, 0);
    // The address alone names the scope: mail to it before any write still finds it.
    const localPart = first.inboundAddress.split('@')[0];
    assert.deepEqual(await scopeOfInboundAddress({ settings: store, inboundAddresses: deps.inboundAddresses }, localPart.toUpperCase()), { companyId: 'acme', scope: 'main' });
  });

  it('keeps the address the GET showed once the scope is stored, and reserves it', async () => {
    const { deps, store } = setup();
    const shown = await getScopeSettings(deps, 'acme', 'berlin');
    const saved = await saveScopeSettings(deps, 'acme', 'berlin', { mode: 'default', displayName: 'ACME Berlin' });
    assert.equal(saved.settings.inboundAddress, shown.inboundAddress);
    assert.equal(store.peek('acme', 'berlin')?.inboundAddress, shown.inboundAddress);
    assert.deepEqual(await store.findByInboundAddress(shown.inboundAddress.split('@')[0]), { companyId: 'acme', scope: 'berlin' });
  });

  it('gives every scope its own address; a made-up or edited one names nothing', async () => {
    const { deps, store } = setup();
    const main = await getScopeSettings(deps, 'acme', 'main');
    const sub = await getScopeSettings(deps, 'acme', 'berlin');
    const upper = await getScopeSettings(deps, 'Acme.Corp', 'Team_1');
    assert.match(sub.inboundAddress, /^acme\.berlin\.[a-z2-7]{12}@/);
    assert.notEqual(main.inboundAddress, sub.inboundAddress);
    const owner = (address: string) => scopeOfInboundAddress({ settings: store, inboundAddresses: deps.inboundAddresses }, address.split('@')[0]);
    assert.deepEqual(await owner(upper.inboundAddress), { companyId: 'Acme.Corp', scope: 'Team_1' });
    const check = main.inboundAddress.split('@')[0].split('.')[1];
    assert.equal(await owner(`globex.${check}`), null, "another company's id with acme's check");
    assert.equal(await owner(`acme.berlin.${check}`), null, 'another scope with main\'s check');
    assert.equal(await owner('acme.aaaaaaaaaaaa'), null);
    // Another key (another deployment) derives other addresses.
    const other = inboundAddresses(INBOUND_DOMAIN, createLocalMac(Buffer.alloc(32, 9)));
    assert.notEqual(await other.addressOf('acme', 'main'), main.inboundAddress);
  });

  it('ids too long for a 64-character address get a reserved one, routed once the scope is stored', async () => {
    const { deps, store } = setup();
    const companyId = `Company-${'x'.repeat(60)}`;
    const shown = await getScopeSettings(deps, companyId, 'main');
    const localPart = shown.inboundAddress.split('@')[0];
    assert.ok(localPart.length <= 64);
    assert.equal(await scopeOfInboundAddress({ settings: store, inboundAddresses: deps.inboundAddresses }, localPart), null);
    await saveScopeSettings(deps, companyId, 'main', { mode: 'default' });
    assert.deepEqual(await scopeOfInboundAddress({ settings: store, inboundAddresses: deps.inboundAddresses }, localPart), { companyId, scope: 'main' });
  });

  it('creates a scope once when first writes run concurrently', async () => {
    const { deps, store } = setup();
    const results = await Promise.all(Array.from({ length: 5 }, () => ensureScopeSettings(deps, 'acme', 'berlin')));
    assert.equal(new Set(results.map((settings) => settings.inboundAddress)).size, 1);
    assert.equal(store.records.size, 1);
    assert.equal(store.scopeCounts.get('acme'), 1, 'counted once');
  });

  it('bounds the sub-company scopes a company can create; main and existing scopes always work', async () => {
    const { deps } = setup({ maxScopesPerCompany: 2 });
    await saveScopeSettings(deps, 'acme', 'berlin', { mode: 'default' });
    await saveScopeSettings(deps, 'acme', 'zurich', { mode: 'default' });
    await assertAppError(saveScopeSettings(deps, 'acme', 'paris', { mode: 'default' }), 'SCOPE_LIMIT_REACHED');
    await saveScopeSettings(deps, 'acme', 'berlin', { mode: 'default', displayName: 'Berlin' });
    await saveScopeSettings(deps, 'acme', 'main', { mode: 'default', displayName: 'ACME' });
    // Reading a scope beyond the limit still answers (nothing is created).
    assert.equal((await getScopeSettings(deps, 'acme', 'paris')).version, 0);
    await saveScopeSettings(deps, 'globex', 'paris', { mode: 'default' });
  });

  it('lists main first even when only a sub-company was configured, without storing main', async () => {
    const { deps, store } = setup();
    await saveScopeSettings(deps, 'acme', 'zurich', { mode: 'default' });
    await saveScopeSettings(deps, 'acme', 'berlin', { mode: 'default' });
    const all = await listScopeSettings(deps, 'acme');
    assert.deepEqual(
      all.map((settings) => settings.scope),
      ['main', 'berlin', 'zurich'],
    );
    assert.equal(store.peek('acme', 'main'), undefined);
  });
});

describe('saveScopeSettings with mode smtp', () => {
  it('tests first, then activates with the password encrypted under the company and scope', async () => {
    const { deps, store, cipher, tester } = setup();
    const before = await ensureScopeSettings(deps, 'acme', 'main');
    const outcome = await saveScopeSettings(deps, 'acme', 'main', { address: 'jobs@acme.example', mode: 'smtp', smtp: smtpInput() });

    assert.equal(outcome.saved, true);
    assert.equal(tester.calls.length, 1);
    // The tester got the plaintext password (it has to log in with it)…
    assert.equal(tester.calls[0].settings.password, PASSWORD);
    assert.equal(tester.calls[0].settings.host, 'smtp.acme.example');

    const stored = store.peek('acme', 'main')!;
    assert.equal(stored.mode, 'smtp');
    assert.equal(stored.status, 'verified');
    assert.equal(stored.lastTest?.ok, true);
    assert.equal(stored.version, before.version + 1);
    assert.equal(stored.smtp?.revision, 1);
    assert.equal(stored.smtp?.username, 'jobs@acme.example');
    // …but the stored record never holds it in clear.
    assert.ok(stored.smtp?.passwordCiphertext);
    assert.ok(!JSON.stringify(stored).includes(PASSWORD));
    assert.ok(!JSON.stringify(outcome.settings).includes(PASSWORD));

    assert.equal(cipher.encryptCalls.length, 1);
    assert.equal(cipher.encryptCalls[0].plaintext, PASSWORD);
    assert.equal(cipher.encryptCalls[0].context.companyId, 'acme');
    assert.equal(cipher.encryptCalls[0].context.scope, 'main');
    // The ciphertext is bound to that context: another scope cannot open it.
    await assert.rejects(cipher.decrypt(stored.smtp!.passwordCiphertext!, { ...cipher.encryptCalls[0].context, scope: 'berlin' }));
    assert.equal(await cipher.decrypt(stored.smtp!.passwordCiphertext!, cipher.encryptCalls[0].context), PASSWORD);
  });

  it('defaults fromAddress to the scope address', async () => {
    const { deps, store, tester } = setup();
    await saveScopeSettings(deps, 'acme', 'main', { address: 'jobs@acme.example', mode: 'smtp', smtp: smtpInput({ username: 'hr-login' }) });
    assert.equal(tester.calls[0].settings.fromAddress, 'jobs@acme.example');
    assert.equal(store.peek('acme', 'main')?.smtp?.fromAddress, 'jobs@acme.example');
  });

  it('keeps an explicit fromAddress', async () => {
    const { deps, store } = setup();
    await saveScopeSettings(deps, 'acme', 'main', {
      address: 'jobs@acme.example',
      mode: 'smtp',
      smtp: smtpInput({ fromAddress: 'careers@acme.example' }),
    });
    assert.equal(store.peek('acme', 'main')?.smtp?.fromAddress, 'careers@acme.example');
  });

  it('asks for a from address when the scope has none', async () => {
    const { deps, tester } = setup();
    await assertAppError(saveScopeSettings(deps, 'acme', 'main', { mode: 'smtp', smtp: smtpInput() }), 'VALIDATION_FAILED', (error) => {
      assert.deepEqual(
        (error.details as { path: string }[]).map((issue) => issue.path),
        ['smtp.fromAddress'],
      );
    });
    assert.equal(tester.calls.length, 0);
  });

  it('on a failed test leaves the previous configuration, version and password active', async () => {
    const { deps, store, tester } = setup();
    await saveScopeSettings(deps, 'acme', 'main', { address: 'jobs@acme.example', mode: 'smtp', smtp: smtpInput() });
    const active = structuredClone(store.peek('acme', 'main')!);

    tester.failNext({ stage: 'auth', code: 'AUTH_FAILED', message: 'The server refused the login.', smtpResponse: '535 5.7.8 Error: authentication failed' });
    const outcome = await saveScopeSettings(deps, 'acme', 'main', {
      mode: 'smtp',
      smtp: smtpInput({ host: 'smtp.new-provider.example', password: 'wrong password' }),
    });

    assert.equal(outcome.saved, false);
    assert.equal(outcome.test?.ok, false);
    assert.equal(outcome.test?.code, 'AUTH_FAILED');
    assert.deepEqual(store.peek('acme', 'main'), active);
    assert.equal(tester.calls[1].settings.host, 'smtp.new-provider.example');
  });

  it('reuses the stored password when it is omitted for the same host and username', async () => {
    const { deps, store, tester } = setup();
    await saveScopeSettings(deps, 'acme', 'main', { address: 'jobs@acme.example', mode: 'smtp', smtp: smtpInput() });
    const outcome = await saveScopeSettings(deps, 'acme', 'main', {
      mode: 'smtp',
      smtp: smtpInput({ host: 'SMTP.ACME.EXAMPLE', username: 'Jobs@Acme.Example', password: undefined, port: 465, security: 'ssl' }),
    });
    assert.equal(outcome.saved, true);
    assert.equal(tester.calls[1].settings.password, PASSWORD);
    const stored = store.peek('acme', 'main')!;
    assert.equal(stored.smtp?.port, 465);
    assert.equal(stored.smtp?.revision, 2);
    assert.ok(stored.smtp?.passwordCiphertext);
    assert.ok(!JSON.stringify(stored).includes(PASSWORD));
  });

  it('refuses to replay the stored password against another host or another username', async () => {
    const { deps, tester } = setup();
    await saveScopeSettings(deps, 'acme', 'main', { address: 'jobs@acme.example', mode: 'smtp', smtp: smtpInput() });
    const checkPath = (error: AppError) =>
      assert.deepEqual(
        (error.details as { path: string }[]).map((issue) => issue.path),
        ['smtp.password'],
      );

    await assertAppError(
      saveScopeSettings(deps, 'acme', 'main', { mode: 'smtp', smtp: smtpInput({ host: 'attacker.example', password: undefined }) }),
      'VALIDATION_FAILED',
      checkPath,
    );
    await assertAppError(
      saveScopeSettings(deps, 'acme', 'main', { mode: 'smtp', smtp: smtpInput({ username: 'someone-else@acme.example', password: undefined }) }),
      'VALIDATION_FAILED',
      checkPath,
    );
    await assertAppError(
      testScopeSettings(deps, 'acme', 'main', { smtp: smtpInput({ host: 'attacker.example', password: undefined }) }),
      'VALIDATION_FAILED',
      checkPath,
    );
    // Only the first save ever reached a server.
    assert.equal(tester.calls.length, 1);
  });

  it('has no stored password to reuse for another scope of the same company', async () => {
    const { deps, tester } = setup();
    await saveScopeSettings(deps, 'acme', 'main', { address: 'jobs@acme.example', mode: 'smtp', smtp: smtpInput() });
    await assertAppError(
      saveScopeSettings(deps, 'acme', 'berlin', { address: 'berlin@acme.example', mode: 'smtp', smtp: smtpInput({ password: undefined }) }),
      'VALIDATION_FAILED',
    );
    assert.equal(tester.calls.length, 1);
  });

  it('answers RATE_LIMITED with retryAfterSeconds once the company used its tests of the minute', async () => {
    const { deps, tester, advance } = setup({ testsPerMinute: 2 });
    await saveScopeSettings(deps, 'acme', 'main', { address: 'jobs@acme.example', mode: 'smtp', smtp: smtpInput() });
    await testScopeSettings(deps, 'acme', 'main', {});
    await assertAppError(
      saveScopeSettings(deps, 'acme', 'main', { mode: 'smtp', smtp: smtpInput({ port: 465, security: 'ssl' }) }),
      'RATE_LIMITED',
      (error) => {
        const { retryAfterSeconds } = error.details as { retryAfterSeconds: number };
        assert.ok(retryAfterSeconds > 0 && retryAfterSeconds <= 60, `retryAfterSeconds ${retryAfterSeconds}`);
      },
    );
    await assertAppError(testScopeSettings(deps, 'acme', 'main', {}), 'RATE_LIMITED');
    assert.equal(tester.connections, 2, 'a refused test opens no connection');
    // Another company has its own budget.
    await getScopeSettings(deps, 'globex', 'main');
    await testScopeSettings(deps, 'globex', 'main', { smtp: smtpInput({ fromAddress: 'jobs@globex.example' }) });
    assert.equal(tester.connections, 3);
    // The next window allows tests again.
    advance(60);
    await testScopeSettings(deps, 'acme', 'main', {});
    assert.equal(tester.connections, 4);
  });
  it('limits different destinations separately: the same server may be tried again, new ones only so often', async () => {
    const { deps, tester } = setup({ testsPerMinute: 100, destinationsPerMinute: 2 });
    await getScopeSettings(deps, 'acme', 'main');
    const tryPort = (port: number) => testScopeSettings(deps, 'acme', 'main', { smtp: smtpInput({ port, fromAddress: 'jobs@acme.example' }) });
    await tryPort(587);
    await tryPort(465);
    for (let i = 0; i < 5; i++) await tryPort(587);
    await assertAppError(tryPort(2525), 'RATE_LIMITED', (error) => assert.match(error.message, /different servers/));
    assert.equal(tester.connections, 7);
  });

  it('does not count tests refused before any connection (they cannot scan)', async () => {
    const { deps, tester } = setup({ testsPerMinute: 1 });
    tester.connects = false;
    for (let i = 0; i < 3; i++) await testScopeSettings(deps, 'acme', 'main', { smtp: smtpInput({ fromAddress: 'jobs@acme.example' }) });
    tester.connects = true;
    await testScopeSettings(deps, 'acme', 'main', { smtp: smtpInput({ fromAddress: 'jobs@acme.example' }) });
    assert.equal(tester.connections, 1);
  });


  it('answers CONFLICT when the record changed between reading and writing', async () => {
    const { deps, store } = setup();
    await getScopeSettings(deps, 'acme', 'main');
    const racing: EmailSettingsDeps = {
      ...deps,
      // An admin's other tab saves while this save's test is running.
      testSmtp: async (settings, options) => {
        await saveScopeSettings(deps, 'acme', 'main', { mode: 'default', address: 'other-tab@acme.example' });
        return deps.testSmtp(settings, options);
      },
    };
    await assertAppError(
      saveScopeSettings(racing, 'acme', 'main', { address: 'jobs@acme.example', mode: 'smtp', smtp: smtpInput() }),
      'CONFLICT',
    );
    assert.equal(store.peek('acme', 'main')?.address, 'other-tab@acme.example');
    assert.equal(store.peek('acme', 'main')?.mode, 'default');
  });
});

describe('saveScopeSettings with mode default, and deleteScopeSettings', () => {
  it('mode default removes the SMTP configuration and its password without any test', async () => {
    const { deps, store, tester } = setup();
    await saveScopeSettings(deps, 'acme', 'main', { address: 'jobs@acme.example', mode: 'smtp', smtp: smtpInput() });
    const outcome = await saveScopeSettings(deps, 'acme', 'main', { mode: 'default', fallbackToDefault: false });
    assert.equal(outcome.saved, true);
    assert.equal(outcome.test, null);
    assert.equal(tester.calls.length, 1);
    const stored = store.peek('acme', 'main')!;
    assert.equal(stored.mode, 'default');
    assert.equal(stored.smtp, null);
    assert.equal(stored.status, 'unverified');
    assert.equal(stored.lastTest, null);
    assert.equal(stored.address, 'jobs@acme.example');
    assert.equal(stored.fallbackToDefault, false);
    assert.ok(!JSON.stringify(stored).includes('passwordCiphertext":"'));
  });

  it('delete goes back to the default provider and keeps the inbound address', async () => {
    const { deps, store } = setup();
    await saveScopeSettings(deps, 'acme', 'berlin', { address: 'berlin@acme.example', mode: 'smtp', smtp: smtpInput() });
    const inbound = store.peek('acme', 'berlin')!.inboundAddress;
    const after = await deleteScopeSettings(deps, 'acme', 'berlin');
    assert.equal(after.mode, 'default');
    assert.equal(after.smtp, null);
    assert.equal(store.peek('acme', 'berlin')?.smtp, null);
    assert.equal(store.peek('acme', 'berlin')?.inboundAddress, inbound);
    // With no password stored, omitting it is no longer possible.
    await assertAppError(saveScopeSettings(deps, 'acme', 'berlin', { mode: 'smtp', smtp: smtpInput({ password: undefined }) }), 'VALIDATION_FAILED');
  });
});

describe('testScopeSettings', () => {
  it('testing the saved settings records lastTest and marks the scope verified or failing', async () => {
    const { deps, store, tester, advance } = setup();
    await saveScopeSettings(deps, 'acme', 'main', { address: 'jobs@acme.example', mode: 'smtp', smtp: smtpInput() });

    advance(5);
    tester.failNext({ stage: 'auth', code: 'AUTH_FAILED', message: 'The server refused the login.' });
    const failed = await testScopeSettings(deps, 'acme', 'main', {});
    assert.equal(failed.ok, false);
    // The saved password was decrypted for the test.
    assert.equal(tester.calls[1].settings.password, PASSWORD);
    let stored = store.peek('acme', 'main')!;
    assert.equal(stored.status, 'failing');
    assert.equal(stored.lastTest?.ok, false);
    assert.equal(stored.lastTest?.code, 'AUTH_FAILED');
    assert.equal(stored.lastTest?.stage, 'auth');
    assert.equal(stored.lastTest?.at, '2026-03-02T09:00:15.000Z');
    // A test does not change the configuration itself.
    assert.equal(stored.mode, 'smtp');
    assert.equal(stored.smtp?.revision, 1);

    advance(5);
    const passed = await testScopeSettings(deps, 'acme', 'main', {});
    assert.equal(passed.ok, true);
    stored = store.peek('acme', 'main')!;
    assert.equal(stored.status, 'verified');
    assert.equal(stored.lastTest?.ok, true);
    assert.equal(stored.lastTest?.at, '2026-03-02T09:00:20.000Z');
    assert.ok(!JSON.stringify(stored).includes(PASSWORD));
  });

  it('testing an unsaved body records nothing', async () => {
    const { deps, store, tester } = setup();
    await saveScopeSettings(deps, 'acme', 'main', { address: 'jobs@acme.example', mode: 'smtp', smtp: smtpInput() });
    const before = structuredClone(store.peek('acme', 'main'));
    tester.failNext({ stage: 'connect', code: 'CONNECTION_REFUSED', message: 'Nothing listens there.' });
    const result = await testScopeSettings(deps, 'acme', 'main', { smtp: smtpInput({ host: 'smtp.other.example', password: 'other secret' }) });
    assert.equal(result.ok, false);
    assert.equal(tester.calls[1].settings.host, 'smtp.other.example');
    assert.equal(tester.calls[1].settings.password, 'other secret');
    assert.deepEqual(store.peek('acme', 'main'), before);
  });

  it('an unsaved body with the password omitted uses the stored one for the same server', async () => {
    const { deps, tester } = setup();
    await saveScopeSettings(deps, 'acme', 'main', { address: 'jobs@acme.example', mode: 'smtp', smtp: smtpInput() });
    await testScopeSettings(deps, 'acme', 'main', { smtp: smtpInput({ password: undefined, port: 465, security: 'ssl' }) });
    assert.equal(tester.calls[1].settings.password, PASSWORD);
    assert.equal(tester.calls[1].settings.port, 465);
  });

  it('asks for settings when nothing is saved', async () => {
    const { deps, tester } = setup();
    await assertAppError(testScopeSettings(deps, 'acme', 'main', {}), 'VALIDATION_FAILED', (error) => {
      assert.deepEqual(
        (error.details as { path: string }[]).map((issue) => issue.path),
        ['smtp'],
      );
    });
    assert.equal(tester.calls.length, 0);
  });

  it('a real test message goes to the from address unless another recipient is named', async () => {
    const { deps, tester } = setup();
    await saveScopeSettings(deps, 'acme', 'main', { address: 'jobs@acme.example', mode: 'smtp', smtp: smtpInput() });
    await testScopeSettings(deps, 'acme', 'main', { sendTestMessage: {} });
    await testScopeSettings(deps, 'acme', 'main', { sendTestMessage: { to: 'it@acme.example' } });
    await testScopeSettings(deps, 'acme', 'main', {});
    assert.deepEqual(
      tester.calls.slice(1).map((call) => call.options.sendTestMessage),
      [{ to: 'jobs@acme.example' }, { to: 'it@acme.example' }, undefined],
    );
  });
});
