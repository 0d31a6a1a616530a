import { OpenApiGeneratorV31, OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { ErrorBody } from './common-schemas';
import type { OperationSpec } from './operation';
import { ALL_OPERATIONS } from './operations';

const ERROR_STATUSES: Record<number, string> = {
  400: 'Invalid input; `details` lists the fields',
  401: 'Missing or invalid token',
  403: 'The role does not allow this',
  404: 'Not found (also for ids of other companies)',
  413: 'Request body too large',
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
        'Company SMTP settings with diagnostics, candidate mail with fallback to the default provider, and inbound mail filed under candidates. Errors are `{"error": {"code", "message", "details"?}}`.',
    },
    servers: serverUrl ? [{ url: serverUrl }] : [],
  });
}

function registerOperation(registry: OpenAPIRegistry, spec: OperationSpec, securityScheme: string) {
  const responses: Record<string, { description: string; content?: Record<string, { schema: OperationSpec['body'] & object }> }> = {};
  for (const [status, response] of Object.entries(spec.responses)) {
    responses[status] = response.schema
      ? { description: response.description, content: { 'application/json': { schema: response.schema } } }
      : { description: response.description };
  }
  const errorStatuses = spec.access === 'public' ? [] : spec.body || spec.params ? [400, 401, 403, 404] : [401, 403];
  if (spec.maxBodyBytes) errorStatuses.push(413);
  for (const status of errorStatuses) {
    responses[status] ??= { description: ERROR_STATUSES[status], content: { 'application/json': { schema: ErrorBody } } };
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
