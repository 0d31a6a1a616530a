import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adviseSmtpSettings } from '../../shared/smtp/advise-settings';
import { detectProvider, PROVIDER_PRESETS, providerPresetsView } from '../../shared/smtp/provider-presets';
import type { SmtpServerSettings } from '../../shared/smtp/types';

const base: SmtpServerSettings = {
  host: 'smtp.gmail.com',
  port: 465,
  security: 'ssl',
  username: 'jobs@acme.test',
  password: 'x',
  fromAddress: 'jobs@acme.test',
};

const codes = (settings: Partial<SmtpServerSettings>) =>
  adviseSmtpSettings({ ...base, ...settings }).map((advice) => `${advice.severity}:${advice.code}`);

describe('adviseSmtpSettings', () => {
  it('has nothing to say about a good Gmail configuration', () => {
    assert.deepEqual(codes({}), []);
  });

  it('refuses hosts that cannot send for a third party', () => {
    assert.deepEqual(codes({ host: 'smtp-relay.gmail.com', port: 587, security: 'starttls' }), ['error:HOST_NOT_SUPPORTED']);
    assert.deepEqual(codes({ host: 'ASPMX.L.GOOGLE.COM', port: 587, security: 'starttls' }), ['error:HOST_NOT_SUPPORTED']);
    assert.deepEqual(codes({ host: 'acme-test.mail.protection.outlook.com', port: 587, security: 'starttls' }), ['error:HOST_NOT_SUPPORTED']);
    assert.deepEqual(codes({ host: 'smtp://mail.acme.test' }), ['error:HOST_NOT_SUPPORTED']);
  });

  it('warns about doubtful ports, TLS mismatches and plaintext', () => {
    assert.deepEqual(codes({ port: 25, security: 'starttls' }), ['warning:PORT_25_BLOCKED']);
    assert.deepEqual(codes({ port: 2525, security: 'starttls' }), ['warning:PORT_RARELY_SUPPORTED']);
    assert.deepEqual(codes({ port: 587, security: 'ssl' }), ['warning:TLS_MISMATCH']);
    assert.deepEqual(codes({ port: 465, security: 'starttls' }), ['warning:TLS_MISMATCH']);
    assert.deepEqual(codes({ host: 'mail.acme.test', port: 587, security: 'none' }), ['warning:PLAINTEXT']);
  });

  it('warns about a missing login and a From that needs send-as', () => {
    assert.deepEqual(codes({ username: '' }), ['warning:USERNAME_MISSING']);
    const sendAs = adviseSmtpSettings({ ...base, host: 'smtp.office365.com', port: 587, security: 'starttls', fromAddress: 'careers@acme.test' });
    assert.equal(sendAs[0].code, 'SEND_AS_REQUIRED');
    assert.match(sendAs[0].hint, /Send As/);
    assert.ok(adviseSmtpSettings({ ...base, username: '' }).every((advice) => advice.hint.length > 0));
  });
});

describe('providers', () => {
  it('detects the provider by host', () => {
    assert.equal(detectProvider('smtp.gmail.com'), 'google');
    assert.equal(detectProvider('smtp.office365.com'), 'microsoft365');
    assert.equal(detectProvider('mail.acme.test'), 'other');
    assert.equal(detectProvider('mail.acme.test', '220 mx.google.com ESMTP gsmtp'), 'google');
  });

  it('has the documented presets', () => {
    const google = PROVIDER_PRESETS.find((preset) => preset.id === 'google');
    assert.deepEqual(google?.servers.map((s) => `${s.host}:${s.port}:${s.security}`), ['smtp.gmail.com:465:ssl', 'smtp.gmail.com:587:starttls']);
    const view = providerPresetsView();
    assert.deepEqual(view.find((item) => item.id === 'microsoft365'), {
      ...view.find((item) => item.id === 'microsoft365'),
      host: 'smtp.office365.com',
      port: 587,
      security: 'starttls',
    });
    assert.equal(view.find((item) => item.id === 'other')?.host, null);
  });
});
