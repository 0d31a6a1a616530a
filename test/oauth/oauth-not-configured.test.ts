/**
 * `npm start` without any OAuth client: everything else works, and starting a sign-in answers
 * `OAUTH_NOT_CONFIGURED` (409) for either provider.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startTestBackend, type TestBackend } from '../support/test-backend';

let api: TestBackend;

before(async () => {
  for (const name of Object.keys(process.env)) if (name.startsWith('OAUTH_')) delete process.env[name];
  api = await startTestBackend();
});

after(() => api?.stop());

it('answers OAUTH_NOT_CONFIGURED for both providers and leaves the settings as they were', async () => {
  const token = await api.token('acme');
  for (const provider of ['microsoft', 'google']) {
    const started = await api.request('POST', `/v1/email-settings/main/oauth/${provider}/start`, { token, body: { redirectUri: 'http://localhost:5173/oauth/callback' } });
    assert.equal(started.status, 409, started.text);
    assert.equal(started.json.error.code, 'OAUTH_NOT_CONFIGURED');
    const completed = await api.request('POST', `/v1/email-settings/main/oauth/${provider}/complete`, { token, body: { code: 'c', state: 's' } });
    assert.equal(completed.status, 409, completed.text);
  }
  const settings = await api.request('GET', '/v1/email-settings/main', { token });
  assert.equal(settings.status, 200);
  assert.equal(settings.json.mode, 'default');
  assert.equal(settings.json.smtp, null);
});
