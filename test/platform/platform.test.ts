/**
 * The platform routes and the local authorizer end to end: health, the OpenAPI document
 * against the route table, egress IPs from configuration, provider presets, and tokens the
 * authorizer must refuse.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { API_ROUTES } from '../../functions/routes';
import { startTestBackend, type TestBackend } from '../support/test-backend';
import { badTokens } from '../support/tokens';

const EGRESS_IPS = ['198.51.100.20', '198.51.100.21'];

let api: TestBackend;

before(async () => {
  api = await startTestBackend({ EGRESS_IPS: EGRESS_IPS.join(',') });
});

after(async () => {
  await api?.stop();
});

describe('platform routes', () => {
  it('GET /v1/health answers { ok: true } without a token', async () => {
    const health = await api.request('GET', '/v1/health');
    assert.equal(health.status, 200, health.text);
    assert.deepEqual(health.json, { ok: true });
    assert.match(health.headers.get('content-type') ?? '', /^application\/json/);
  });

  it('GET /v1/openapi.json documents every route of the route table', async () => {
    const doc = await api.request('GET', '/v1/openapi.json');
    assert.equal(doc.status, 200, doc.text.slice(0, 300));
    assert.match(doc.json.openapi, /^3\./);
    const missing = API_ROUTES.filter((route) => !doc.json.paths?.[route.path]?.[route.method.toLowerCase()]).map(
      (route) => `${route.method} ${route.path}`,
    );
    assert.deepEqual(missing, [], 'routes without an OpenAPI operation');
    const documented = Object.entries(doc.json.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((method) => ['get', 'put', 'post', 'delete', 'patch'].includes(method))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    const routed = new Set(API_ROUTES.map((route) => `${route.method} ${route.path}`));
    assert.deepEqual(documented.filter((key) => !routed.has(key)), [], 'documented operations that no route serves');
    for (const route of API_ROUTES.filter((r) => !r.public)) {
      const operation = doc.json.paths[route.path][route.method.toLowerCase()];
      assert.ok(Array.isArray(operation.security) && operation.security.length > 0, `${route.method} ${route.path} needs a token`);
    }
  });

  it('GET /v1/egress-ips returns the configured EGRESS_IPS', async () => {
    const token = await api.token('acme', ['recruiter']);
    const ips = await api.request('GET', '/v1/egress-ips', { token });
    assert.equal(ips.status, 200, ips.text);
    assert.deepEqual(ips.json, { ips: EGRESS_IPS });
    assert.equal((await api.request('GET', '/v1/egress-ips')).status, 401, 'it needs a token');
  });

  it('GET /v1/email-providers lists presets with hints', async () => {
    const token = await api.token('acme', ['recruiter']);
    const providers = await api.request('GET', '/v1/email-providers', { token });
    assert.equal(providers.status, 200, providers.text);
    assert.ok(providers.json.items.length >= 2);
    for (const item of providers.json.items) {
      assert.equal(typeof item.id, 'string');
      assert.ok(Array.isArray(item.hints));
    }
  });

  it('answers an unknown path and a wrong method as API Gateway does: 404 {"message":"Not Found"}', async () => {
    const token = await api.token('acme');
    const unknown = await api.request('GET', '/v1/nothing-here', { token });
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.json, { message: 'Not Found' });
    const wrongMethod = await api.request('PATCH', '/v1/email-settings/main', { token });
    assert.equal(wrongMethod.status, 404);
    assert.deepEqual(wrongMethod.json, { message: 'Not Found' });
  });
});

describe('the authorizer', () => {
  it('answers 401 without a token, for every route that needs one', async () => {
    for (const route of API_ROUTES.filter((r) => !r.public)) {
      const path = route.path.replace('{scope}', 'main').replace('{candidateId}', 'cand-1').replace('{messageId}', 'msg-1');
      const response = await api.request(route.method, path, route.method === 'GET' || route.method === 'DELETE' ? {} : { body: {} });
      assert.equal(response.status, 401, `${route.method} ${path}: ${response.text}`);
      assert.deepEqual(response.json, { message: 'Unauthorized' });
      assert.equal(response.headers.get('www-authenticate'), 'Bearer');
    }
  });

  it('answers 401 for bad tokens', async () => {
    for (const [what, token] of Object.entries(await badTokens(api.jwtSecret, 'acme'))) {
      const response = await api.request('GET', '/v1/email-settings/main', { token });
      assert.equal(response.status, 401, `${what}: ${response.status} ${response.text}`);
      if (what === 'no company claim') {
        // A valid token passes the JWT authorizer; the function refuses it, in the API's error shape.
        assert.equal(response.json.error.code, 'UNAUTHORIZED', what);
        continue;
      }
      assert.deepEqual(response.json, { message: 'Unauthorized' }, what);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer scope="" error="invalid_token" error_description="[^"]+"$/, what);
    }
    const notBearer = await api.request('GET', '/v1/email-settings/main', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    assert.equal(notBearer.status, 401);
  });
});

describe('the local gateway', () => {
  it('after a 413 for a body over 10 MB, the next request on the same keep-alive connection still works', async () => {
    // One socket, reused: what any HTTP client with keep-alive does.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const token = await api.token('acme');
    const call = (method: string, path: string, body?: Buffer) =>
      new Promise<{ status: number; connection: string | undefined } | { error: string }>((resolve) => {
        const request = http.request(
          `${api.apiUrl}${path}`,
          { method, agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } },
          (response) => {
            response.resume();
            response.on('end', () => resolve({ status: response.statusCode ?? 0, connection: response.headers.connection }));
          },
        );
        request.on('error', (error: NodeJS.ErrnoException) => resolve({ error: `${error.code ?? ''} ${error.message}` }));
        request.end(body);
      });
    try {
      const oversized = await call('POST', '/v1/candidates/cand-1/messages', Buffer.alloc(11 * 1024 * 1024, 0x61));
      assert.ok('status' in oversized && oversized.status === 413, JSON.stringify(oversized));
      const next = await call('GET', '/v1/health');
      assert.deepEqual(
        next,
        { status: 200, connection: 'keep-alive' },
        `the 413 answered "Connection: ${oversized.connection}" but the server dropped the socket, so the client's next request fails`,
      );
    } finally {
      agent.destroy();
    }
  });
});
