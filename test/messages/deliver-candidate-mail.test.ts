import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { getScopeSettings, saveScopeSettings, type SmtpSettingsInput } from '../../shared/email-settings/email-settings-service';
import { deliverCandidateMail, WorkerBusyError } from '../../shared/messages/deliver-candidate-mail';
import { type MessageRecord, newMessageRecord } from '../../shared/messages/model';
import { DefaultProviderError } from '../../shared/outbound/default-provider';
import { newMessageId } from '../../shared/mail/message-id';
import { classifySmtpFailure } from '../../shared/smtp/classify-smtp-reply';
import { SmtpSendError } from '../../shared/smtp/smtp-port';
import type { SmtpResultCode, SmtpStage } from '../../shared/smtp/types';
import { DEFAULT_FROM, inMemoryDeliverDeps, inMemorySettingsDeps, MESSAGE_ID_DOMAIN } from '../support/in-memory-mail-deps';

const INBOUND_DOMAIN = 'inbound.recruiting.example';
const MAIN_PASSWORD = 'main-server-secret';
const BERLIN_PASSWORD = 'berlin-server-secret';

function setup(options: { maxSmtpAttempts?: number; maxDefaultAttempts?: number } = {}) {
  let clock = new Date('2026-03-02T09:00:00Z');
  const now = () => clock;
  const { settingsDeps } = inMemorySettingsDeps({ inboundDomain: INBOUND_DOMAIN, now });
  const { deps, messages, smtp, provider, queue } = inMemoryDeliverDeps({
    settingsDeps,
    retry: { maxSmtpAttempts: options.maxSmtpAttempts ?? 3, maxDefaultAttempts: options.maxDefaultAttempts ?? 3 },
  });
  const settings = settingsDeps.store;

  return {
    deps,
    messages,
    settings,
    smtp,
    provider,
    queue,
    advance(seconds: number) {
      clock = new Date(clock.getTime() + seconds * 1000);
    },
    now,
    /** Saves (and so activates) an SMTP configuration through the real settings use case. */
    async configureSmtp(scope: string, smtpInput: Partial<SmtpSettingsInput> = {}, extra: { fallbackToDefault?: boolean; displayName?: string } = {}) {
      const outcome = await saveScopeSettings(settingsDeps, 'acme', scope, {
        address: scope === 'main' ? 'jobs@acme.example' : `${scope}@acme.example`,
        mode: 'smtp',
        displayName: extra.displayName,
        fallbackToDefault: extra.fallbackToDefault,
        smtp: {
          host: scope === 'main' ? 'smtp.acme.example' : `smtp.${scope}.acme.example`,
          port: 587,
          security: 'starttls',
          username: scope === 'main' ? 'jobs@acme.example' : `${scope}@acme.example`,
          password: scope === 'main' ? MAIN_PASSWORD : BERLIN_PASSWORD,
          fromName: 'ACME Talent',
          ...smtpInput,
        },
      });
      assert.equal(outcome.saved, true);
      return outcome.settings;
    },
    async configureDefault(scope: string, displayName: string) {
      await saveScopeSettings(settingsDeps, 'acme', scope, { mode: 'default', displayName });
    },
    async queued(fields: Partial<MessageRecord> = {}) {
      const id = `msg_${Math.random().toString(36).slice(2, 12)}`;
      const message = newMessageRecord({
        id,
        companyId: 'acme',
        scope: 'main',
        direction: 'outbound',
        status: 'queued',
        createdAt: clock.toISOString(),
        candidateId: 'cand-1',
        to: [{ address: 'jane@candidate.example', name: null }],
        subject: 'Your interview on Monday',
        text: 'Hello Jane, see you on Monday.',
        messageIdHeader: newMessageId(MESSAGE_ID_DOMAIN),
        ...fields,
      });
      assert.equal(await messages.create(message), true);
      return message;
    },
  };
}

/** Queues a message, delivers it once, and returns what delivery answered and the record as stored then. */
async function queueAndDeliverOnce(t: ReturnType<typeof setup>) {
  const message = await t.queued();
  const outcome = await deliverCandidateMail(t.deps, message.id);
  return { message, outcome, stored: t.messages.peek(message.id) };
}

function smtpError(code: SmtpResultCode, fields: { dataSent?: boolean; stage?: SmtpStage; smtpResponse?: string | null; temporary?: boolean } = {}) {
  return new SmtpSendError({
    code,
    stage: fields.stage ?? 'auth',
    message: `The server failed with ${code}.`,
    hint: 'Ask IT.',
    smtpResponse: fields.smtpResponse === undefined ? `5xx response for ${code}` : fields.smtpResponse,
    dataSent: fields.dataSent ?? false,
    temporary: fields.temporary ?? false,
  });
}

const providerError = (temporary: boolean) =>
  new DefaultProviderError({
    code: temporary ? 'DEFAULT_PROVIDER_UNAVAILABLE' : 'DEFAULT_PROVIDER_REJECTED',
    temporary,
    providerCode: temporary ? 'Throttling' : 'MessageRejected',
    httpStatus: temporary ? 400 : 400,
    message: temporary ? 'Rate exceeded' : 'Email address is not verified.',
  });

describe('deliverCandidateMail: routing', () => {
  it("sends through the scope's own server, with the decrypted password, and records the server's answer", async () => {
    const t = setup();
    await t.configureSmtp('main');
    const message = await t.queued();

    assert.equal(await deliverCandidateMail(t.deps, message.id), 'sent');

    assert.equal(t.smtp.accepted.length, 1);
    const [{ settings, message: mail }] = t.smtp.accepted;
    assert.equal(settings.host, 'smtp.acme.example');
    assert.equal(settings.password, MAIN_PASSWORD);
    assert.deepEqual(mail.envelope, { from: 'jobs@acme.example', to: ['jane@candidate.example'] });
    const parsed = await simpleParser(mail.raw);
    assert.equal(parsed.from?.value[0].address, 'jobs@acme.example');
    assert.equal(parsed.messageId, message.messageIdHeader);
    assert.equal(t.provider.sent.length, 0);

    const stored = t.messages.peek(message.id);
    assert.equal(stored.status, 'sent');
    assert.equal(stored.provider, 'smtp');
    assert.equal(stored.smtpResponse, '250 2.0.0 Ok: queued as 4Xyz12');
    assert.equal(stored.fallbackReason, null);
    assert.equal(stored.attempts, 1);
    assert.equal(stored.transmitting, false);
    assert.equal(stored.sendingSince, null);
    assert.equal(stored.sentAt, t.now().toISOString());
    assert.ok(!JSON.stringify(stored).includes(MAIN_PASSWORD));
  });

  it("a sub-company without its own server sends through the company's", async () => {
    const t = setup();
    await t.configureSmtp('main');
    const message = await t.queued({ scope: 'berlin' });
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'sent');
    assert.equal(t.smtp.accepted[0].settings.host, 'smtp.acme.example');
    assert.equal(t.messages.peek(message.id).provider, 'smtp');
  });

  it("a sub-company with its own server uses it, not the company's", async () => {
    const t = setup();
    await t.configureSmtp('main');
    await t.configureSmtp('berlin');
    const message = await t.queued({ scope: 'berlin' });
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'sent');
    assert.equal(t.smtp.accepted[0].settings.host, 'smtp.berlin.acme.example');
    assert.equal(t.smtp.accepted[0].settings.password, BERLIN_PASSWORD);
  });

  it('without any SMTP configuration sends through the default provider as "<Company> Recruiting", Reply-To the inbound address', async () => {
    const t = setup();
    await t.configureDefault('main', 'ACME');
    const inbound = (await getScopeSettings({ store: t.settings, inboundAddresses: t.deps.inboundAddresses, now: t.now }, 'acme', 'main')).inboundAddress;
    const message = await t.queued();

    assert.equal(await deliverCandidateMail(t.deps, message.id), 'sent');

    assert.equal(t.smtp.attempts.length, 0);
    assert.equal(t.provider.sent.length, 1);
    const parsed = await simpleParser(t.provider.sent[0].raw);
    assert.deepEqual(parsed.from?.value, [{ address: DEFAULT_FROM, name: 'ACME Recruiting' }]);
    assert.deepEqual(
      parsed.replyTo?.value.map((entry) => entry.address),
      [inbound],
    );
    assert.equal(parsed.messageId, message.messageIdHeader);
    // Ours goes into References too, since SES replaces the Message-ID.
    assert.ok([parsed.references ?? []].flat().includes(message.messageIdHeader!));

    const stored = t.messages.peek(message.id);
    assert.equal(stored.status, 'sent');
    assert.equal(stored.provider, 'default');
    assert.equal(stored.fallbackReason, null);
    assert.match(stored.providerMessageIdHeader ?? '', /@email\.amazonses\.com>$/);
    assert.equal(stored.from?.address, DEFAULT_FROM);
    // Replies that quote the SES id thread back to this message.
    assert.equal(await t.messages.findByMessageIdHeader('acme', stored.providerMessageIdHeader!), message.id);
  });

  it("a sub-company's mail through the default provider has the sub-company's inbound address as Reply-To", async () => {
    const t = setup();
    await t.configureDefault('main', 'ACME');
    const berlin = await getScopeSettings({ store: t.settings, inboundAddresses: t.deps.inboundAddresses, now: t.now }, 'acme', 'berlin');
    const message = await t.queued({ scope: 'berlin' });
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'sent');
    const parsed = await simpleParser(t.provider.sent[0].raw);
    assert.deepEqual(
      parsed.replyTo?.value.map((entry) => entry.address),
      [berlin.inboundAddress],
    );
    assert.equal(parsed.from?.value[0].name, 'ACME Recruiting');
  });
});

describe('deliverCandidateMail: failures of the company server', () => {
  it('AUTH_FAILED marks the settings failing and falls back to the default provider', async () => {
    const t = setup();
    await t.configureSmtp('main', {}, { displayName: 'ACME' });
    t.smtp.failNext(smtpError('AUTH_FAILED', { smtpResponse: '535 5.7.8 Error: authentication failed' }));
    const message = await t.queued();

    assert.equal(await deliverCandidateMail(t.deps, message.id), 'sent');

    assert.equal(t.smtp.accepted.length, 0);
    assert.equal(t.provider.sent.length, 1);
    const stored = t.messages.peek(message.id);
    assert.equal(stored.status, 'sent');
    assert.equal(stored.provider, 'default');
    assert.equal(stored.fallbackReason, 'AUTH_FAILED');
    assert.equal(stored.error, null);

    const settings = t.settings.peek('acme', 'main')!;
    assert.equal(settings.status, 'failing');
    assert.equal(settings.failure?.code, 'AUTH_FAILED');
    assert.equal(settings.failure?.smtpResponse, '535 5.7.8 Error: authentication failed');
    // The configuration itself stays; only its status changes.
    assert.equal(settings.mode, 'smtp');
  });

  it('does not mark settings failing when the admin saved a new configuration meanwhile', async () => {
    const t = setup();
    await t.configureSmtp('main');
    t.smtp.during = async () => {
      t.smtp.during = null;
      await t.configureSmtp('main', { host: 'smtp.fixed.acme.example' });
    };
    t.smtp.failNext(smtpError('AUTH_FAILED'));
    const message = await t.queued();

    assert.equal(await deliverCandidateMail(t.deps, message.id), 'sent');

    assert.equal(t.settings.markFailingCalls.length, 1);
    assert.equal(t.settings.markFailingCalls[0].revision, 1);
    const settings = t.settings.peek('acme', 'main')!;
    assert.equal(settings.smtp?.revision, 2);
    assert.equal(settings.status, 'verified');
    assert.equal(settings.failure, null);
  });

  it('with fallbackToDefault false fails the message and sends nothing through the default provider', async () => {
    const t = setup();
    await t.configureSmtp('main', {}, { fallbackToDefault: false });
    t.smtp.failNext(smtpError('AUTH_FAILED'));
    const { outcome, stored } = await queueAndDeliverOnce(t);
    assert.equal(outcome, 'failed');

    assert.equal(t.provider.sent.length, 0);
    assert.equal(stored.status, 'failed');
    assert.equal(stored.error?.code, 'AUTH_FAILED');
    assert.equal(stored.fallbackReason, null);
    assert.equal(t.settings.peek('acme', 'main')?.status, 'failing');
  });

  it('RECIPIENT_REJECTED fails the message without any fallback and leaves the settings alone', async () => {
    const t = setup();
    await t.configureSmtp('main');
    t.smtp.failNext(smtpError('RECIPIENT_REJECTED', { stage: 'rcpt', smtpResponse: '550 5.1.1 <jane@candidate.example>: Recipient address rejected' }));
    const { outcome, stored } = await queueAndDeliverOnce(t);
    assert.equal(outcome, 'failed');

    assert.equal(t.provider.sent.length, 0);
    assert.equal(stored.status, 'failed');
    assert.equal(stored.error?.code, 'RECIPIENT_REJECTED');
    assert.match(stored.smtpResponse ?? '', /^550 5\.1\.1/);
    assert.equal(t.settings.peek('acme', 'main')?.status, 'verified');
    assert.equal(t.queue.jobs.length, 0);
  });

  it('TEMPORARY_FAILURE is re-queued with growing delays until maxSmtpAttempts, then falls back', async () => {
    const t = setup({ maxSmtpAttempts: 3, maxDefaultAttempts: 5 });
    await t.configureSmtp('main');
    const temporary = () => smtpError('TEMPORARY_FAILURE', { stage: 'mail_from', smtpResponse: '451 4.3.0 Try again later', temporary: true });
    t.smtp.failNext(temporary(), temporary(), temporary());
    const message = await t.queued();

    assert.equal(await deliverCandidateMail(t.deps, message.id), 'retrying');
    let stored = t.messages.peek(message.id);
    assert.equal(stored.status, 'queued');
    assert.equal(stored.sendingSince, null);
    assert.equal(stored.transmitting, false);
    assert.equal(stored.attempts, 1);
    assert.equal(stored.error?.code, 'TEMPORARY_FAILURE');
    assert.deepEqual(t.queue.jobs, [{ job: { messageId: message.id }, delaySeconds: 30 }]);
    assert.equal(t.settings.peek('acme', 'main')?.status, 'verified');

    t.advance(30);
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'retrying');
    assert.equal(t.queue.jobs[1].delaySeconds, 60);
    assert.equal(t.messages.peek(message.id).status, 'queued');

    t.advance(60);
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'sent');
    stored = t.messages.peek(message.id);
    assert.equal(t.smtp.attempts.length, 3);
    assert.equal(t.provider.sent.length, 1);
    assert.equal(stored.provider, 'default');
    assert.equal(stored.fallbackReason, 'TEMPORARY_FAILURE');
    assert.equal(stored.attempts, 3);
    assert.equal(stored.error, null);
    assert.equal(t.settings.peek('acme', 'main')?.status, 'failing');
  });

  it('a greylisting reply (as the real classifier judges it) is retried with backoff: no fallback, settings stay verified', async () => {
    const t = setup({ maxSmtpAttempts: 3, maxDefaultAttempts: 5 });
    await t.configureSmtp('main');
    const line = '450 4.7.1 <jobs@acme.example>: Sender address rejected: Greylisted, please try again later';
    const judged = classifySmtpFailure({ kind: 'reply', stage: 'mail_from', reply: line }, { host: 'mail.acme.example', port: 587, security: 'starttls' });
    t.smtp.failNext(smtpError(judged.code, { stage: 'mail_from', smtpResponse: line, temporary: judged.temporary }));
    const message = await t.queued();

    assert.equal(await deliverCandidateMail(t.deps, message.id), 'retrying');
    const stored = t.messages.peek(message.id);
    assert.equal(stored.status, 'queued');
    assert.equal(stored.error?.code, 'TEMPORARY_FAILURE');
    assert.equal(stored.fallbackReason, null);
    assert.equal(t.provider.sent.length, 0);
    assert.equal(t.settings.peek('acme', 'main')?.status, 'verified');
    assert.deepEqual(t.queue.jobs, [{ job: { messageId: message.id }, delaySeconds: 30 }]);

    t.advance(30);
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'sent');
    assert.equal(t.messages.peek(message.id).provider, 'smtp');
    assert.equal(t.provider.sent.length, 0);
  });

  it('a 4xx for one recipient is retried, then fails: no fallback, and the company server is not marked failing', async () => {
    const t = setup({ maxSmtpAttempts: 2, maxDefaultAttempts: 5 });
    await t.configureSmtp('main');
    const deferred = () => smtpError('TEMPORARY_FAILURE', { stage: 'rcpt', smtpResponse: '451 4.3.0 <x@y.example>: Temporary lookup failure', temporary: true });
    t.smtp.failNext(deferred(), deferred());
    const message = await t.queued();
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'retrying');
    t.advance(30);
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'failed');
    const stored = t.messages.peek(message.id);
    assert.equal(stored.error?.code, 'TEMPORARY_FAILURE');
    assert.equal(stored.provider, 'smtp');
    assert.equal(t.provider.sent.length, 0);
    assert.equal(t.settings.peek('acme', 'main')?.status, 'verified');
  });

  it('after falling back, the default provider still gets its own retries', async () => {
    // maxDefaultAttempts is documented as "attempts through the default provider"; after
    // maxSmtpAttempts tries through the company's server, an unavailable default provider
    // should still be retried rather than failing the message at its first hiccup.
    const t = setup({ maxSmtpAttempts: 3, maxDefaultAttempts: 3 });
    await t.configureSmtp('main');
    const temporary = () => smtpError('TEMPORARY_FAILURE', { smtpResponse: '451 4.3.0 Try again later', temporary: true });
    t.smtp.failNext(temporary(), temporary(), temporary());
    t.provider.failNext(providerError(true));
    const message = await t.queued();

    assert.equal(await deliverCandidateMail(t.deps, message.id), 'retrying');
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'retrying');
    const third = await deliverCandidateMail(t.deps, message.id);
    assert.equal(
      third,
      'retrying',
      `the first default-provider attempt failed temporarily and the message ended "${third}" (${JSON.stringify(t.messages.peek(message.id).error)})`,
    );
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'sent');
    assert.equal(t.smtp.attempts.length, 3);
    assert.equal(t.provider.sent.length, 1);
  });

  it('dataSent: true fails DELIVERY_UNCERTAIN and is never sent again by any route', async () => {
    const t = setup();
    await t.configureSmtp('main');
    t.smtp.failNext(smtpError('CONNECTION_TIMEOUT', { stage: 'data', dataSent: true, smtpResponse: null, temporary: true }));
    const { message, outcome, stored } = await queueAndDeliverOnce(t);
    assert.equal(outcome, 'failed');

    assert.equal(stored.status, 'failed');
    assert.equal(stored.error?.code, 'DELIVERY_UNCERTAIN');
    assert.equal(t.provider.sent.length, 0);
    assert.equal(t.queue.jobs.length, 0);
    // A redelivered job does nothing.
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'skipped');
    assert.equal(t.smtp.attempts.length, 1);
    assert.equal(t.provider.sent.length, 0);
  });
});

describe('deliverCandidateMail: leases and duplicates', () => {
  it('a message held with a fresh lease belongs to another worker: WorkerBusyError', async () => {
    const t = setup();
    await t.configureSmtp('main');
    const message = await t.queued({ status: 'sending', sendingSince: new Date(t.now().getTime() - 30_000).toISOString(), attempts: 1 });
    await assert.rejects(deliverCandidateMail(t.deps, message.id), WorkerBusyError);
    assert.equal(t.smtp.attempts.length, 0);
    assert.equal(t.messages.peek(message.id).status, 'sending');
  });

  it('a message is marked transmitting only once the server asks for the data, not while it waits for a connection', async () => {
    const t = setup();
    await t.configureSmtp('main');
    const message = await t.queued();
    const seen: boolean[] = [];
    t.smtp.during = async () => void seen.push(t.messages.peek(message.id).transmitting);
    t.smtp.failNext(smtpError('AUTH_FAILED', { stage: 'auth' }));
    await deliverCandidateMail(t.deps, message.id);
    assert.deepEqual(seen, [false], 'an attempt that failed at auth never transmitted');

    const u = setup();
    await u.configureSmtp('main');
    const second = await u.queued();
    u.smtp.during = async () => void seen.push(u.messages.peek(second.id).transmitting);
    assert.equal(await deliverCandidateMail(u.deps, second.id), 'sent');
    assert.equal(seen[1], true, 'a message the server took was marked before the data went out');
    assert.equal(u.messages.peek(second.id).transmitting, false);
  });

  it('a stale lease with transmitting: true fails DELIVERY_UNCERTAIN without sending', async () => {
    const t = setup();
    await t.configureSmtp('main');
    const message = await t.queued({
      status: 'sending',
      sendingSince: new Date(t.now().getTime() - 600_000).toISOString(),
      transmitting: true,
      provider: 'smtp',
      attempts: 1,
    });
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'failed');
    const stored = t.messages.peek(message.id);
    assert.equal(stored.status, 'failed');
    assert.equal(stored.error?.code, 'DELIVERY_UNCERTAIN');
    assert.equal(stored.transmitting, false);
    assert.equal(t.smtp.attempts.length, 0);
    assert.equal(t.provider.sent.length, 0);
  });

  it('a stale lease that never started transmitting is sent normally', async () => {
    const t = setup();
    await t.configureSmtp('main');
    const message = await t.queued({ status: 'sending', sendingSince: new Date(t.now().getTime() - 600_000).toISOString(), transmitting: false, attempts: 1 });
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'sent');
    const stored = t.messages.peek(message.id);
    assert.equal(stored.status, 'sent');
    assert.equal(stored.attempts, 2);
    assert.equal(t.smtp.accepted.length, 1);
  });

  it('already sent or failed messages are skipped', async () => {
    const t = setup();
    await t.configureSmtp('main');
    const sent = await t.queued({ status: 'sent', provider: 'smtp', sentAt: t.now().toISOString() });
    const failed = await t.queued({ status: 'failed', error: { code: 'RECIPIENT_REJECTED', message: 'no such user' } });
    assert.equal(await deliverCandidateMail(t.deps, sent.id), 'skipped');
    assert.equal(await deliverCandidateMail(t.deps, failed.id), 'skipped');
    assert.equal(await deliverCandidateMail(t.deps, 'msg_unknown'), 'skipped');
    assert.equal(t.smtp.attempts.length, 0);
    assert.equal(t.provider.sent.length, 0);
    assert.equal(t.messages.peek(sent.id).status, 'sent');
    assert.equal(t.messages.peek(failed.id).status, 'failed');
  });

  it('two workers delivering the same job at the same time send it once', async () => {
    const t = setup();
    await t.configureSmtp('main');
    const message = await t.queued();

    const outcomes = await Promise.allSettled([deliverCandidateMail(t.deps, message.id), deliverCandidateMail(t.deps, message.id)]);

    assert.equal(t.smtp.attempts.length, 1);
    const results = outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : (outcome.reason as Error).name));
    assert.deepEqual(results.filter((result) => result === 'sent'), ['sent']);
    assert.ok(
      results.every((result) => result === 'sent' || result === 'skipped' || result === 'WorkerBusyError'),
      JSON.stringify(results),
    );
    assert.equal(t.messages.peek(message.id).status, 'sent');
    assert.equal(t.messages.peek(message.id).attempts, 1);
  });

  it('two workers taking over the same stale message at the same time send it once', async () => {
    // A died attempt left the message `sending`; the job's redelivery and a duplicate job
    // (e.g. the Idempotency-Key replay re-queues it) arrive together after the lease expired.
    const t = setup();
    await t.configureSmtp('main');
    const message = await t.queued({ status: 'sending', sendingSince: new Date(t.now().getTime() - 600_000).toISOString(), transmitting: false, attempts: 1 });

    const outcomes = await Promise.allSettled([deliverCandidateMail(t.deps, message.id), deliverCandidateMail(t.deps, message.id)]);

    const results = outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : (outcome.reason as Error).name));
    assert.equal(t.smtp.attempts.length, 1, `the message was handed to the server ${t.smtp.attempts.length} times (${JSON.stringify(results)})`);
  });
});

describe('deliverCandidateMail: the default provider', () => {
  /** A message of a company without SMTP settings, whose default provider first fails with `failures`. */
  async function queuedForDefaultProvider(...failures: Error[]) {
    const t = setup({ maxDefaultAttempts: 3 });
    t.provider.failNext(...failures);
    return { t, message: await t.queued() };
  }

  it('a temporary error is retried until maxDefaultAttempts, then the message fails', async () => {
    const { t, message } = await queuedForDefaultProvider(providerError(true), providerError(true), providerError(true));

    assert.equal(await deliverCandidateMail(t.deps, message.id), 'retrying');
    assert.equal(t.messages.peek(message.id).status, 'queued');
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'retrying');
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'failed');

    const stored = t.messages.peek(message.id);
    assert.equal(stored.status, 'failed');
    assert.equal(stored.attempts, 3);
    assert.equal(stored.error?.code, 'DEFAULT_PROVIDER_UNAVAILABLE');
    // Full jitter: each delay anywhere from 1 s up to the exponential ceiling (30 s, then 60 s).
    const delays = t.queue.jobs.map((job) => job.delaySeconds);
    assert.equal(delays.length, 2);
    assert.ok(delays[0]! >= 1 && delays[0]! <= 30 && delays[1]! >= 1 && delays[1]! <= 60, String(delays));
    assert.equal(t.provider.sent.length, 0);
  });

  it('a temporary error followed by success sends once', async () => {
    const { t, message } = await queuedForDefaultProvider(providerError(true));
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'retrying');
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'sent');
    const stored = t.messages.peek(message.id);
    assert.equal(stored.status, 'sent');
    assert.equal(stored.error, null);
    assert.equal(t.provider.sent.length, 1);
  });

  it('a permanent rejection fails at once', async () => {
    const { t, message } = await queuedForDefaultProvider(providerError(false));
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'failed');
    assert.equal(t.messages.peek(message.id).error?.code, 'DEFAULT_PROVIDER_REJECTED');
    assert.equal(t.queue.jobs.length, 0);
  });

  it('after a fallback, a retry goes straight to the default provider, not back to the failing server', async () => {
    const t = setup({ maxDefaultAttempts: 3 });
    await t.configureSmtp('main');
    t.smtp.failNext(smtpError('AUTH_FAILED'));
    t.provider.failNext(providerError(true));
    const message = await t.queued();

    assert.equal(await deliverCandidateMail(t.deps, message.id), 'retrying');
    assert.equal(t.messages.peek(message.id).fallbackReason, 'AUTH_FAILED');
    assert.equal(await deliverCandidateMail(t.deps, message.id), 'sent');
    assert.equal(t.smtp.attempts.length, 1);
    assert.equal(t.provider.sent.length, 1);
    assert.equal(t.messages.peek(message.id).provider, 'default');
  });
});
