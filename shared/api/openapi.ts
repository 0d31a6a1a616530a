import { OpenApiGeneratorV31, OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import './zod';
import * as z from 'zod';
import { ErrorBody, GatewayMessageBody } from './common-schemas';
import type { OperationSpec } from './operation';
import { ALL_OPERATIONS } from './operations';

const ERROR_STATUSES: Record<number, string> = {
  400: 'Invalid input (`VALIDATION_FAILED` with `details` listing the fields, or `INVALID_JSON`)',
  401: 'Missing or invalid token',
  403: 'The role does not allow this',
  404: 'Not found (also for ids of other companies)',
  413: 'Request body too large',
  429: '`RATE_LIMITED`: too many requests (from this company, or of this kind); retry after `Retry-After` seconds',
  500: 'Internal error',
};

/**
 * Answers API Gateway gives itself, in its own shape `{"message": …}`: the JWT authorizer
 * (401, with `WWW-Authenticate`), its payload limit (413 over 10 MB), stage throttling (429),
 * and a function that crashed or timed out (500). The local server answers the same.
 */
const GATEWAY_ANSWERS: Record<number, string> = {
  401: 'From the JWT authorizer: `{"message":"Unauthorized"}` with `WWW-Authenticate: Bearer …`',
  413: 'From API Gateway, over its 10 MB payload limit: `{"message":"Request Entity Too Large"}`',
  429: 'From API Gateway\'s stage throttling: `{"message":"Too Many Requests"}`',
  500: 'From API Gateway when the function failed: `{"message":"Internal Server Error"}`',
};

/** The OpenAPI 3.1 document, generated from the same schemas that validate requests. */
export function buildOpenApiDocument(serverUrl?: string) {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  for (const spec of ALL_OPERATIONS) registerOperation(registry, spec, bearer.name);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Recruiting mail API',
      version: '1.0.0',
      description:
        'Company SMTP settings with diagnostics, candidate mail with fallback to the default provider, and inbound mail filed under candidates. Errors are `{"error": {"code", "message", "details"?}}`; what API Gateway answers itself (a missing or bad token, an unknown route or method: 404 `{"message":"Not Found"}`, throttling, a payload over 10 MB) is `{"message": …}`.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    // Where the document was fetched from; relative to it otherwise.
    servers: [{ url: serverUrl ?? '/', description: serverUrl ? 'This deployment' : 'The host serving this document' }],
  });
}

function registerOperation(registry: OpenAPIRegistry, spec: OperationSpec, securityScheme: string) {
  const responses: Record<string, { description: string; content?: Record<string, { schema: OperationSpec['body'] & object }> }> = {};
  for (const [status, response] of Object.entries(spec.responses)) {
    responses[status] = response.schema
      ? { description: response.description, content: { 'application/json': { schema: response.schema } } }
      : { description: response.description };
  }
  const errorStatuses = spec.access === 'public' ? [429, 500] : spec.body || spec.params || spec.query ? [400, 401, 403, 404, 429, 500] : [401, 403, 429, 500];
  if (spec.maxBodyBytes) errorStatuses.push(413);
  for (const status of errorStatuses) responses[status] ??= { description: ERROR_STATUSES[status] };
  for (const [status, response] of Object.entries(responses)) {
    if (Number(status) < 400 || response.content) continue;
    const gateway = GATEWAY_ANSWERS[Number(status)];
    response.content = {
      'application/json': { schema: (gateway ? z.union([ErrorBody, GatewayMessageBody]) : ErrorBody) as never },
    };
    if (gateway) response.description = `${response.description}. ${gateway}`;
  }
  registry.registerPath({
    operationId: spec.id,
    method: spec.method.toLowerCase() as 'get' | 'put' | 'post' | 'delete',
    path: spec.path,
    summary: spec.summary,
    tags: [spec.tag],
    security: spec.access === 'public' ? [] : [{ [securityScheme]: [] }],
    request: {
      params: spec.params,
      query: spec.query,
      headers: spec.headers,
      body: spec.body ? { content: { 'application/json': { schema: spec.body } } } : undefined,
    },
    responses: responses as never,
  });
}
