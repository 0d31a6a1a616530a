import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { API_ROUTES, matchRoute, routeKey } from '../../functions/routes';
import { buildOpenApiDocument } from '../../shared/api/openapi';
import { defineOperation } from '../../shared/api/operation';
import { ALL_OPERATIONS } from '../../shared/api/operations';
import { z } from '../../shared/api/zod';
import { AppError } from '../../shared/errors';
import { createApiHandler, operation } from '../../shared/http/api-handler';
import { callerFromEvent, parseRoles } from '../../shared/http/caller';
import { localLambdaContext } from '../../infra/local/lambda-context';
import { apiFunctionConfig } from '../../shared/config/function-configs';

describe('parseRoles', () => {
  it('reads a string list, API Gateway\'s flattened form and a single role name, exactly', () => {
    assert.deepEqual(parseRoles(['admin', 'recruiter']), ['admin', 'recruiter']);
    // API Gateway flattens an array claim to this.
    assert.deepEqual(parseRoles('[admin recruiter]'), ['admin', 'recruiter']);
    assert.deepEqual(parseRoles('[recruiter]'), ['recruiter']);
    assert.deepEqual(parseRoles('[]'), []);
    assert.deepEqual(parseRoles('admin'), ['admin']);
  });

  it('drops unknown roles, other cases, other separators and duplicates', () => {
    assert.deepEqual(parseRoles(['admin', 'superuser', 'ADMIN', 'admin']), ['admin']);
    assert.deepEqual(parseRoles('[owner root]'), []);
    assert.deepEqual(parseRoles('["recruiter","admin"]'), []);
    assert.deepEqual(parseRoles('admin, recruiter'), []);
    assert.deepEqual(parseRoles(' Admin '), []);
    assert.deepEqual(parseRoles('[admin  recruiter]'), ['admin', 'recruiter']);
    assert.deepEqual(parseRoles(''), []);
    assert.deepEqual(parseRoles(undefined), []);
  });

  it('refuses a roles claim of another type with 401', () => {
    for (const value of [42, { admin: true }, null, ['admin', 1], true]) {
      assert.throws(() => parseRoles(value), (error: unknown) => error instanceof AppError && error.code === 'UNAUTHORIZED', JSON.stringify(value));
    }
  });
});

function eventWith(claims: Record<string, unknown> | undefined, fields: Partial<APIGatewayProxyEventV2WithJWTAuthorizer> = {}): APIGatewayProxyEventV2WithJWTAuthorizer {
  return {
    version: '2.0',
    routeKey: 'POST /v1/things/{thingId}',
    rawPath: '/v1/things/t-1',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: 'POST', path: '/v1/things/t-1', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'req-1',
      routeKey: 'POST /v1/things/{thingId}',
      stage: '$default',
      time: '02/Mar/2026:09:00:00 +0000',
      timeEpoch: 0,
      ...(claims ? { authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: claims as Record<string, string>, scopes: [] } } } : {}),
    } as APIGatewayProxyEventV2WithJWTAuthorizer['requestContext'],
    ...fields,
  };
}

describe('callerFromEvent', () => {
  const saved = { tenant: process.env.TENANT_CLAIM, roles: process.env.ROLES_CLAIM };
  afterEach(() => {
    for (const [name, value] of [
      ['TENANT_CLAIM', saved.tenant],
      ['ROLES_CLAIM', saved.roles],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('reads company_id and roles by default', () => {
    delete process.env.TENANT_CLAIM;
    delete process.env.ROLES_CLAIM;
    assert.deepEqual(callerFromEvent(eventWith({ company_id: 'acme', roles: '[admin recruiter]', sub: 'user-1' })), {
      companyId: 'acme',
      roles: ['admin', 'recruiter'],
      subject: 'user-1',
    });
  });

  it('reads the claims named by TENANT_CLAIM and ROLES_CLAIM', () => {
    process.env.TENANT_CLAIM = 'https://ats.example/tenant';
    process.env.ROLES_CLAIM = 'cognito:groups';
    const caller = callerFromEvent(eventWith({ 'https://ats.example/tenant': 'acme', 'cognito:groups': 'recruiter', company_id: 'globex', roles: 'admin' }));
    assert.deepEqual(caller, { companyId: 'acme', roles: ['recruiter'], subject: null });
  });

  it('has no caller without claims', () => {
    assert.equal(callerFromEvent(eventWith(undefined)), null);
  });

  it('refuses with 401 a company claim that is missing, not a string, or outside the safe alphabet', () => {
    delete process.env.TENANT_CLAIM;
    for (const company of [undefined, '', '  ', ' acme', 'acme ', 'null', 'true', ['acme'], '[acme]', '{"a":1}', 42, 'a#b', 'a/b', 'a\nb', 'x'.repeat(129)]) {
      assert.throws(
        () => callerFromEvent(eventWith({ company_id: company as string, roles: 'admin' })),
        (error: unknown) => error instanceof AppError && error.code === 'UNAUTHORIZED' && /company_id claim/.test(error.message),
        JSON.stringify(company),
      );
    }
    assert.equal(callerFromEvent(eventWith({ company_id: 'x'.repeat(128), roles: 'admin' }))?.companyId, 'x'.repeat(128));
    assert.equal(callerFromEvent(eventWith({ company_id: 'Acme', roles: 'admin' }))?.companyId, 'Acme', 'used exactly as issued');
  });
});

describe('matchRoute', () => {
  /** Matches a GET of `path` and checks the route found and its path parameters. */
  function assertRoute(path: string, routePath: string, pathParameters: Record<string, string>) {
    const match = matchRoute('GET', path);
    assert.ok(match && 'route' in match, path);
    assert.equal(match.route.path, routePath);
    assert.deepEqual(match.pathParameters, pathParameters);
  }

  it('finds a route with its decoded path parameters', () => {
    assertRoute('/v1/candidates/cand%40acme%20x/messages', '/v1/candidates/{candidateId}/messages', { candidateId: 'cand@acme x' });
  });

  it('prefers /v1/messages/unassigned over /v1/messages/{messageId}', () => {
    assertRoute('/v1/messages/unassigned', '/v1/messages/unassigned', {});
    assertRoute('/v1/messages/msg_123', '/v1/messages/{messageId}', { messageId: 'msg_123' });
  });

  it('tells which methods a known path allows (for a 405)', () => {
    const match = matchRoute('PATCH', '/v1/email-settings/main');
    assert.ok(match && 'allowedMethods' in match);
    assert.deepEqual([...match.allowedMethods].sort(), ['DELETE', 'GET', 'PUT']);
  });

  it('accepts a trailing slash', () => {
    const match = matchRoute('GET', '/v1/health/');
    assert.ok(match && 'route' in match);
    assert.equal(match.route.path, '/v1/health');
  });

  it('finds nothing for unknown paths, empty parameters or bad percent-encoding', () => {
    assert.equal(matchRoute('GET', '/v1/nothing-here'), null);
    assert.equal(matchRoute('GET', '/v1/candidates/%E0%A4%A'), null);
    assert.equal(matchRoute('GET', '/v1/candidates//messages'), null);
    assert.equal(matchRoute('GET', '/v2/health'), null);
  });
});

describe('createApiHandler', () => {
  const ThingParams = z.object({ thingId: z.string().regex(/^[a-z0-9-]+$/) });
  const ThingBody = z.strictObject({ name: z.string().min(1), size: z.number().int().optional() });
  const specs = {
    create: defineOperation({
      id: 'createThing', method: 'POST', path: '/v1/things/{thingId}', tag: 'test', access: 'member',
      summary: 'Create a thing', params: ThingParams, body: ThingBody, maxBodyBytes: 100,
      responses: { 201: { description: 'Created' } },
    }),
    destroy: defineOperation({
      id: 'destroyThing', method: 'DELETE', path: '/v1/things/{thingId}', tag: 'test', access: 'admin',
      summary: 'Delete a thing', params: ThingParams,
      responses: { 204: { description: 'Deleted' } },
    }),
    boom: defineOperation({
      id: 'boom', method: 'GET', path: '/v1/boom', tag: 'test', access: 'public',
      summary: 'Fails',
      responses: { 200: { description: 'Never' } },
    }),
    conflict: defineOperation({
      id: 'conflict', method: 'GET', path: '/v1/conflict', tag: 'test', access: 'member',
      summary: 'Conflicts',
      responses: { 200: { description: 'Never' } },
    }),
  };
  const seen: unknown[] = [];
  const handler = createApiHandler([
    operation(specs.create, async (request) => {
      seen.push({ caller: request.caller, params: request.params, body: request.body, headers: request.headers });
      return { status: 201, body: { id: request.params.thingId, name: request.body.name } };
    }),
    operation(specs.destroy, async () => ({ status: 204 })),
    operation(specs.boom, async () => {
      throw new Error('connect ECONNREFUSED 10.0.0.12:5432 password=hunter2');
    }),
    operation(specs.conflict, async () => {
      throw new AppError('RATE_LIMITED', 'Slow down', { retryAfterSeconds: 17 });
    }),
  ], apiFunctionConfig({}));

  async function call(event: APIGatewayProxyEventV2WithJWTAuthorizer) {
    const response = (await handler(event, localLambdaContext('test'))) as APIGatewayProxyStructuredResultV2;
    const text = String(response.body ?? '');
    return { status: response.statusCode, headers: response.headers ?? {}, text, json: text ? JSON.parse(text) : undefined };
  }

  const member = { company_id: 'acme', roles: '[recruiter]' };
  /** `claims: null` = no authorizer claims at all. */
  const post = (body: string | undefined, claims: Record<string, unknown> | null = member, extra: Partial<APIGatewayProxyEventV2WithJWTAuthorizer> = {}) =>
    eventWith(claims ?? undefined, { body, pathParameters: { thingId: 't-1' }, ...extra });

  it('validates and hands the typed request to the operation', async () => {
    const response = await call(post(JSON.stringify({ name: 'Widget', size: 3 }), member, { headers: { 'Idempotency-Key': 'k1' } }));
    assert.equal(response.status, 201);
    assert.deepEqual(response.json, { id: 't-1', name: 'Widget' });
    assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(seen.at(-1), {
      caller: { companyId: 'acme', roles: ['recruiter'], subject: null },
      params: { thingId: 't-1' },
      body: { name: 'Widget', size: 3 },
      headers: { 'idempotency-key': 'k1' },
    });
  });

  it('401 without claims', async () => {
    const response = await call(post(JSON.stringify({ name: 'Widget' }), null));
    assert.equal(response.status, 401);
    assert.equal(response.json.error.code, 'UNAUTHORIZED');
  });

  it('403 for a recruiter on an admin operation, and for a token without any role of ours', async () => {
    const recruiter = await call(eventWith(member, { routeKey: 'DELETE /v1/things/{thingId}', pathParameters: { thingId: 't-1' } }));
    assert.equal(recruiter.status, 403);
    assert.equal(recruiter.json.error.code, 'FORBIDDEN');
    const admin = await call(eventWith({ company_id: 'acme', roles: ['admin'] }, { routeKey: 'DELETE /v1/things/{thingId}', pathParameters: { thingId: 't-1' } }));
    assert.equal(admin.status, 204);
    const nobody = await call(post(JSON.stringify({ name: 'Widget' }), { company_id: 'acme', roles: 'viewer' }));
    assert.equal(nobody.status, 403);
  });

  it('INVALID_JSON for a body that is not JSON', async () => {
    const response = await call(post('{"name": "Widget",'));
    assert.equal(response.status, 400);
    assert.equal(response.json.error.code, 'INVALID_JSON');
  });

  it('413 PAYLOAD_TOO_LARGE over the operation limit, counted after base64 decoding', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(200) });
    const response = await call(post(big));
    assert.equal(response.status, 413);
    assert.equal(response.json.error.code, 'PAYLOAD_TOO_LARGE');
    assert.equal(response.json.error.details.limitBytes, 100);
    // A body under the limit as sent, whose base64 form (as API Gateway may pass it) is over it:
    // measured as sent, it is taken; counting the encoded size would refuse it.
    const small = JSON.stringify({ name: 'y'.repeat(85) });
    const base64 = Buffer.from(small).toString('base64');
    assert.ok(Buffer.byteLength(small) <= 100 && base64.length > 100, `${Buffer.byteLength(small)} bytes sent, ${base64.length} encoded`);
    const encoded = await call(post(base64, member, { isBase64Encoded: true }));
    assert.equal(encoded.status, 201, JSON.stringify(encoded.json));
    // And a body over the limit only once decoded is still refused.
    const overDecoded = await call(post(Buffer.from(JSON.stringify({ name: 'z'.repeat(95) })).toString('base64'), member, { isBase64Encoded: true }));
    assert.equal(overDecoded.status, 413);
  });

  it('400 with details[].path for an unknown field and for invalid values', async () => {
    const unknown = await call(post(JSON.stringify({ name: 'Widget', colour: 'red' })));
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.error.code, 'VALIDATION_FAILED');
    assert.ok(Array.isArray(unknown.json.error.details));
    assert.ok(
      unknown.json.error.details.some((issue: { path: string; message: string }) => issue.message.includes('colour')),
      JSON.stringify(unknown.json.error.details),
    );

    const invalid = await call(post(JSON.stringify({ name: '', size: 1.5 })));
    assert.equal(invalid.status, 400);
    assert.deepEqual(
      invalid.json.error.details.map((issue: { path: string }) => issue.path).sort(),
      ['name', 'size'],
    );

    const badParam = await call(post(JSON.stringify({ name: 'Widget' }), member, { pathParameters: { thingId: 'NOT OK' } }));
    assert.equal(badParam.status, 400);
    assert.deepEqual(
      badParam.json.error.details.map((issue: { path: string }) => issue.path),
      ['path.thingId'],
    );
  });

  it('an unexpected Error is a 500 INTERNAL that leaks neither its message nor its stack', async () => {
    const response = await call(eventWith(undefined, { routeKey: 'GET /v1/boom' }));
    assert.equal(response.status, 500);
    assert.deepEqual(response.json, { error: { code: 'INTERNAL', message: 'Internal error' } });
    assert.ok(!response.text.includes('hunter2'));
    assert.ok(!response.text.includes('ECONNREFUSED'));
    assert.ok(!/at .*\.ts:\d+/.test(response.text));
  });

  it('maps an AppError to its status, with details and Retry-After', async () => {
    const response = await call(eventWith(member, { routeKey: 'GET /v1/conflict' }));
    assert.equal(response.status, 429);
    assert.deepEqual(response.json, { error: { code: 'RATE_LIMITED', message: 'Slow down', details: { retryAfterSeconds: 17 } } });
    assert.equal(response.headers['retry-after'], '17');
  });

  it('an unknown route key is a 404', async () => {
    const response = await call(eventWith(member, { routeKey: 'GET /v1/unknown' }));
    assert.equal(response.status, 404);
    assert.equal(response.json.error.code, 'NOT_FOUND');
  });
});

describe('route table, operation specs and OpenAPI agree', () => {
  it('every route has exactly one operation spec, and every spec a route', () => {
    const routeKeys = API_ROUTES.map(routeKey);
    const specKeys = ALL_OPERATIONS.map((spec) => `${spec.method} ${spec.path}`);
    assert.equal(new Set(routeKeys).size, routeKeys.length, 'duplicate routes');
    assert.equal(new Set(specKeys).size, specKeys.length, 'duplicate operation specs');
    assert.deepEqual([...specKeys].sort(), [...routeKeys].sort());
    assert.equal(new Set(ALL_OPERATIONS.map((spec) => spec.id)).size, ALL_OPERATIONS.length, 'duplicate operation ids');
  });

  it('public routes are exactly the public operations', () => {
    const publicRoutes = API_ROUTES.filter((route) => route.public).map(routeKey).sort();
    const publicSpecs = ALL_OPERATIONS.filter((spec) => spec.access === 'public').map((spec) => `${spec.method} ${spec.path}`).sort();
    assert.deepEqual(publicSpecs, publicRoutes);
  });

  it('the OpenAPI document lists every route', () => {
    const document = buildOpenApiDocument('https://api.example');
    const listed = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
      Object.keys(item as object)
        .filter((method) => ['get', 'put', 'post', 'delete', 'patch'].includes(method))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(listed.sort(), API_ROUTES.map(routeKey).sort());
  });
});
