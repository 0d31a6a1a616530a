import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  apiAuthConfig,
  emailSettingsFunctionConfig,
  inboundFunctionConfig,
  mailDomainsConfig,
  oauthEnvConfig,
  sendConfig,
  sendWorkerFunctionConfig,
  smtpPolicyConfig,
  storageConfig,
} from '../../shared/config';

const base = {
  TABLE_NAME: 'table',
  MAIL_BUCKET: 'bucket',
  INBOUND_DOMAIN: 'reply.example.com',
  DEFAULT_FROM_ADDRESS: 'jobs@example.com',
  DEFAULT_SENDER_DOMAIN: 'example.com',
};

describe('configuration from the environment', () => {
  it('gives the documented defaults when variables are unset or empty', () => {
    assert.deepEqual(apiAuthConfig({ TENANT_CLAIM: '' }), { tenantClaim: 'company_id', rolesClaim: 'roles' });
    assert.deepEqual(sendConfig({}), {
      maxSmtpAttempts: 3,
      maxDefaultAttempts: 5,
      maxInterruptedAttempts: 3,
      baseDelaySeconds: 30,
      leaseSeconds: 120,
      queuedStaleSeconds: 1200,
      queueUrl: undefined,
      circuitCooldownSeconds: 60,
      circuitMaxCooldownSeconds: 900,
      circuitMaxWaitSeconds: 86400,
      defaultProviderMaxSendRate: 0,
    });
    const smtp = smtpPolicyConfig({});
    assert.deepEqual(smtp.allowedPorts, ['25', '465', '587', '2525']);
    assert.deepEqual([smtp.allowPlaintext, smtp.egressIps, smtp.extraCaFile], [false, [], undefined]);
    assert.equal(oauthEnvConfig({}).microsoftAuthority, 'https://login.microsoftonline.com');
  });

  it('parses typed values: integers, lists and booleans', () => {
    assert.equal(sendConfig({ SEND_MAX_SMTP_ATTEMPTS: '7' }).maxSmtpAttempts, 7);
    const smtp = smtpPolicyConfig({ SMTP_ALLOWED_PRIVATE_CIDRS: ' 10.0.0.0/8, ,::1/128', SMTP_ALLOW_PLAINTEXT: 'YES', EGRESS_IPS: '' });
    assert.deepEqual(smtp.allowedPrivateCidrs, ['10.0.0.0/8', '::1/128']);
    assert.equal(smtp.allowPlaintext, true);
    assert.deepEqual(smtp.egressIps, [], 'an empty list stays empty');
    assert.deepEqual(smtpPolicyConfig({ SMTP_ALLOWED_PORTS: '' }).allowedPorts, [], 'set but empty is not the default (the guard refuses it)');
  });

  it('names the variable in its errors', () => {
    assert.throws(() => sendConfig({ SEND_RETRY_BASE_SECONDS: '1.5' }), { message: 'Environment variable SEND_RETRY_BASE_SECONDS must be an integer, got "1.5"' });
    assert.throws(() => mailDomainsConfig({ ...base, DEFAULT_FROM_ADDRESS: '' }), { message: 'Missing required environment variable DEFAULT_FROM_ADDRESS' });
    assert.throws(() => storageConfig({ TABLE_NAME: 'table' }), { message: 'Missing required environment variable MAIL_BUCKET' });
  });

  it('composes one typed object per function from the concerns it needs', () => {
    const env = { ...base, KMS_KEY_ID: 'key', SMTP_TESTS_PER_MINUTE: '5', INBOUND_RECONCILE_GRACE_SECONDS: '60' };
    const settings = emailSettingsFunctionConfig(env);
    assert.equal(settings.tableName, 'table');
    assert.equal(settings.smtpTestLimits.testsPerMinute, 5);
    assert.equal(settings.secrets.kmsKeyId, 'key');
    const worker = sendWorkerFunctionConfig(env);
    assert.deepEqual(worker.storage, { tableName: 'table', mailBucket: 'bucket' });
    assert.equal(worker.mail.defaultSenderDomain, 'example.com');
    assert.equal(inboundFunctionConfig(env).reconcile.graceSeconds, 60);
    // The email-settings function has no bucket; it must not need one.
    const { MAIL_BUCKET: _bucket, ...withoutBucket } = env;
    assert.equal(emailSettingsFunctionConfig(withoutBucket).tableName, 'table');
    assert.throws(() => inboundFunctionConfig(withoutBucket), /MAIL_BUCKET/);
  });
});
