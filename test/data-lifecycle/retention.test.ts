import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deliverTo, listAll, rawMail, setUpCompany, uniqueMessageId, type Company } from '../support/inbound-e2e';
import { startTestBackend, type TestBackend } from '../support/test-backend';

let api: TestBackend;
let acme: Company;
const DAY = 24 * 3600 * 1000;

before(async () => {
  api = await startTestBackend();
  acme = await setUpCompany(api, 'acme-ret', { address: 'jobs@acme-ret.example' });
});
after(() => api?.stop());

describe('data retention', () => {
  it('answers the defaults until a policy is saved; only admins save it', async () => {
    assert.deepEqual((await api.request('GET', '/v1/data-retention', { token: acme.token })).json, { anonymizeClosedAfterDays: null, unassignedDays: 180 });
    const recruiter = await api.token(acme.id, ['recruiter']);
    assert.equal((await api.request('PUT', '/v1/data-retention', { token: recruiter, body: { unassignedDays: 30 } })).status, 403);
    const saved = await api.request('PUT', '/v1/data-retention', { token: acme.token, body: { anonymizeClosedAfterDays: 30, unassignedDays: 90 } });
    assert.equal(saved.status, 200, saved.text);
    assert.deepEqual((await api.request('GET', '/v1/data-retention', { token: acme.token })).json, { anonymizeClosedAfterDays: 30, unassignedDays: 90 });
    const other = await api.token('globex-ret', ['admin']);
    assert.deepEqual((await api.request('GET', '/v1/data-retention', { token: other })).json, { anonymizeClosedAfterDays: null, unassignedDays: 180 });
  });

  it('anonymizes a candidate closed longer than the period, not one closed more recently, and erases old unassigned mail', async () => {
    const now = Date.now();
    const put = (id: string, closedAt: string | null) => api.request('PUT', `/v1/candidates/${id}`, { token: acme.token, body: { emails: [`${id}@cand.example`], name: id, closedAt } });
    assert.equal((await put('cand-old', new Date(now - 40 * DAY).toISOString())).status, 200);
    assert.equal((await put('cand-recent', new Date(now - 5 * DAY).toISOString())).status, 200);
    assert.equal((await put('cand-reopened', new Date(now - 60 * DAY).toISOString())).status, 200);
    assert.equal((await put('cand-reopened', null)).status, 200);
    await deliverTo(api, acme, rawMail(['From: stranger@nowhere.example', `To: ${acme.address}`, 'Subject: unassigned-old', `Message-ID: <${uniqueMessageId('u')}>`], ['x']));

    // As of today: the unassigned mail is fresh; only cand-old is past 30 days.
    const today = await api.backend.dataLifecycle.retention.run({ time: new Date(now).toISOString() });
    assert.equal(today.anonymized, 1);
    assert.equal(today.unassignedDeleted, 0);
    await api.backend.idle();
    assert.equal((await api.request('GET', '/v1/candidates/cand-old', { token: acme.token })).status, 404);
    assert.equal((await api.request('GET', '/v1/candidates/cand-recent', { token: acme.token })).status, 200);
    assert.equal((await api.request('GET', '/v1/candidates/cand-reopened', { token: acme.token })).status, 200);
    assert.equal((await listAll(api, acme.token, '/v1/messages/unassigned')).length, 1);

    // 100 days on: the unassigned mail is past 90 days; cand-recent past 30 days too.
    const later = await api.backend.dataLifecycle.retention.run({ time: new Date(now + 100 * DAY).toISOString() });
    assert.equal(later.unassignedDeleted, 1);
    await api.backend.idle();
    assert.equal((await listAll(api, acme.token, '/v1/messages/unassigned')).length, 0);
    assert.equal((await api.request('GET', '/v1/candidates/cand-recent', { token: acme.token })).status, 404);
    assert.equal((await api.request('GET', '/v1/candidates/cand-reopened', { token: acme.token })).status, 200);
  });
});
