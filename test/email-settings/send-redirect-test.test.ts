import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { saveScopeSettings, type EmailSettingsDeps } from '../../shared/email-settings/email-settings-service';
import { sendRedirectTest, type RedirectTestDeps } from '../../shared/email-settings/send-redirect-test';
import { AppError } from '../../shared/errors';
import { DefaultProviderError } from '../../shared/outbound/default-provider';
import { DEFAULT_FROM, inMemorySettingsDeps, MESSAGE_ID_DOMAIN } from '../support/in-memory-mail-deps';
import { RecordingDefaultProvider } from '../support/recording-default-provider';

/** What SES itself says about an unverified identity: account, region and ARN included. */
const SES_TEXT = 'Email address is not verified. The following identities failed the check in region EU-CENTRAL-1: arn:aws:ses:eu-central-1:123456789012:identity/mail.example';

async function setup() {
  const { settings: store, settingsDeps } = inMemorySettingsDeps({ inboundDomain: 'inbound.recruiting.example', now: () => new Date('2026-03-02T09:00:10Z') });
  const defaultProvider = new RecordingDefaultProvider();
  const deps: EmailSettingsDeps & RedirectTestDeps = { ...settingsDeps, defaultProvider, defaultFromAddress: DEFAULT_FROM, messageIdDomain: MESSAGE_ID_DOMAIN };
  await saveScopeSettings(deps, 'acme', 'main', { address: 'jobs@acme.example', mode: 'default' });
  return { deps, store, defaultProvider };
}

async function failedRedirectTest(error: Error) {
  const { deps, store, defaultProvider } = await setup();
  defaultProvider.failNext(error);
  const thrown = await sendRedirectTest(deps, 'acme', 'main').then(
    () => assert.fail('the redirect test should have failed'),
    (reason: unknown) => reason,
  );
  assert.ok(thrown instanceof AppError);
  return { thrown, redirect: store.peek('acme', 'main')!.redirect };
}

describe('sendRedirectTest when the default provider fails', () => {
  it('answers 503 and stores a hint in our words, without the provider’s own text', async () => {
    const { thrown, redirect } = await failedRedirectTest(
      new DefaultProviderError({ code: 'DEFAULT_PROVIDER_REJECTED', temporary: false, providerCode: 'MessageRejected', message: `SES rejected the message: MessageRejected: ${SES_TEXT}` }),
    );
    assert.equal(thrown.code, 'SERVICE_UNAVAILABLE');
    assert.equal(redirect.status, 'failed');
    assert.equal(redirect.hint, thrown.message);
    assert.match(thrown.message, /refused it \(MessageRejected\)/);
    for (const text of [thrown.message, redirect.hint ?? '']) {
      assert.ok(!text.includes('123456789012') && !text.includes('not verified'), text);
    }
  });

  it('says "try again" when the provider is unavailable, and stays generic for other errors', async () => {
    const unavailable = await failedRedirectTest(
      new DefaultProviderError({ code: 'DEFAULT_PROVIDER_UNAVAILABLE', temporary: true, providerCode: 'ECONNREFUSED', message: 'SES could not be reached: ECONNREFUSED: connect ECONNREFUSED 10.1.2.3:443' }),
    );
    assert.match(unavailable.thrown.message, /not reachable or busy right now \(ECONNREFUSED\)\. Try again/);
    assert.ok(!unavailable.thrown.message.includes('10.1.2.3'));

    const other = await failedRedirectTest(new Error(`Unexpected: ${SES_TEXT}`));
    assert.equal(other.thrown.message, 'The test mail could not be sent: the default provider failed. Try again in a few minutes.');
    assert.equal(other.redirect.hint, other.thrown.message);
  });
});
