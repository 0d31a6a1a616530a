import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { localLambdaContext } from '../../infra/local/lambda-context';
import { API_FUNCTIONS, API_ROUTES, routeKey } from '../../functions/routes';
import { defineOperation } from '../../shared/api/operation';
import { OPERATIONS_BY_FUNCTION } from '../../shared/api/operations';
import { z } from '../../shared/api/zod';
import { bindOperations, createApiHandler, lazyHandlers, operation, type OperationHandlers } from '../../shared/http/api-handler';
import { apiFunctionConfig } from '../../shared/config/function-configs';

const ItemBody = z.object({ id: z.string(), size: z.number().default(1) });
const specs = {
  get: defineOperation({
    id: 'getItem', method: 'GET', path: '/v1/items/{itemId}', tag: 'test', access: 'public',
    summary: 'One item', params: z.object({ itemId: z.string() }),
    responses: { 200: { description: 'The item', schema: ItemBody }, 202: { description: 'Not ready yet' } },
  }),
  remove: defineOperation({
    id: 'removeItem', method: 'DELETE', path: '/v1/items/{itemId}', tag: 'test', access: 'public',
    summary: 'Remove an item', params: z.object({ itemId: z.string() }),
    responses: { 204: { description: 'Removed' } },
  }),
};

const event = (routeKey: string, itemId: string) =>
  ({ routeKey, pathParameters: { itemId }, headers: {}, requestContext: {} }) as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;

async function call(handler: ReturnType<typeof createApiHandler>, routeKey: string, itemId: string) {
  const response = (await handler(event(routeKey, itemId), localLambdaContext('test'))) as APIGatewayProxyStructuredResultV2;
  return { status: response.statusCode, json: response.body ? JSON.parse(String(response.body)) : undefined };
}

describe('handlers checked against their operation', () => {
  it('a handler may return the declared statuses only, with bodies the schemas accept', () => {
    // Compiled by `npm test` (tsc): each directive fails the type check if the line compiles.
    // @ts-expect-error 404 is not a response of getItem
    operation(specs.get, async () => ({ status: 404, body: { id: 'x' } }));
    // @ts-expect-error the body of 200 lacks `id`
    operation(specs.get, async () => ({ status: 200, body: { size: 2 } }));
    // @ts-expect-error every operation of the group needs a handler
    bindOperations(specs, { get: async () => ({ status: 202 }) });
    // `size` has a default, so the schema's input may leave it out.
    const bound = bindOperations(specs, {
      get: async ({ params }) => ({ status: 200, body: { id: params.itemId } }),
      remove: async () => ({ status: 204 }),
    });
    assert.deepEqual(bound.map((op) => op.spec.id), ['getItem', 'removeItem']);
  });
});

describe('lazyHandlers', () => {
  it('loads the handlers on the first request only, and again after a failed load', async () => {
    let loads = 0;
    let failNext = true;
    const handlers: OperationHandlers<typeof specs> = {
      get: async ({ params }) => ({ status: 200, body: { id: params.itemId, size: 3 } }),
      remove: async () => ({ status: 204 }),
    };
    const handler = createApiHandler(
      bindOperations(
        specs,
        lazyHandlers(specs, async () => {
          loads += 1;
          if (failNext) {
            failNext = false;
            throw new Error('module failed to load');
          }
          return handlers;
        }),
      ),
      apiFunctionConfig({}),
    );
    assert.equal(loads, 0, 'nothing is loaded before a request');
    const failed = await call(handler, 'GET /v1/items/{itemId}', 'a');
    assert.equal(failed.status, 500);
    assert.deepEqual(failed.json, { error: { code: 'INTERNAL', message: 'Internal error' } });
    assert.deepEqual((await call(handler, 'GET /v1/items/{itemId}', 'b')).json, { id: 'b', size: 3 });
    assert.equal((await call(handler, 'DELETE /v1/items/{itemId}', 'b')).status, 204);
    assert.equal(loads, 2, 'loaded again after the failure, then kept');
  });
});

describe('the route table comes from the operation groups', () => {
  it('each route is served by the function whose group holds its operation, public exactly when the operation is', () => {
    assert.deepEqual(API_FUNCTIONS, Object.keys(OPERATIONS_BY_FUNCTION));
    const expected = Object.entries(OPERATIONS_BY_FUNCTION).flatMap(([fn, group]) =>
      Object.values(group).map((spec) => ({ key: `${spec.method} ${spec.path}`, fn, public: spec.access === 'public' })),
    );
    assert.deepEqual(
      API_ROUTES.map((route) => ({ key: routeKey(route), fn: route.fn, public: route.public === true })),
      expected,
    );
  });
});
