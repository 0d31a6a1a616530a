import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import type { OperationResult, OperationSpec } from '../api/operation';
import type { ApiFunctionConfig } from '../config/function-configs';
import { AppError } from '../errors';
import { logger } from '../logger';
import { onFirstUse } from '../on-first-use';
import { callerFromEvent, type Caller } from './caller';
import { createCompanyRateLimiter, type CompanyRateLimiter } from './company-rate-limit';
import { errorResponse, issuesFromZod, jsonResponse } from './responses';

type Infer<T> = T extends z.ZodType ? z.infer<T> : Record<string, never>;

export interface ApiRequest<S extends OperationSpec> {
  /** The verified caller; for `public` operations it is null. */
  caller: S['access'] extends 'public' ? Caller | null : Caller;
  params: Infer<S['params']>;
  query: Infer<S['query']>;
  body: Infer<S['body']>;
  /** Request headers, names lowercased (those the spec declares were validated by its schema). */
  headers: Record<string, string> & (S['headers'] extends z.ZodType ? z.infer<S['headers']> : unknown);
}

export interface ApiResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Serves one operation: its result is one of the operation's declared responses. */
export type OperationHandler<S extends OperationSpec> = (request: ApiRequest<S>) => Promise<OperationResult<S>>;

/** A handler for each operation of a group (a missing one does not compile). */
export type OperationHandlers<G extends Record<string, OperationSpec>> = { [K in keyof G]: OperationHandler<G[K]> };

export interface BoundOperation {
  spec: OperationSpec;
  handle: (request: ApiRequest<OperationSpec>) => Promise<ApiResult>;
}

/** Pairs an operation's spec with the function that serves it. */
export function operation<S extends OperationSpec>(spec: S, handle: OperationHandler<NoInfer<S>>): BoundOperation {
  return { spec, handle: handle as unknown as BoundOperation['handle'] };
}

/** Pairs every operation of a group (one Lambda function's, see shared/api/operations.ts) with its handler. */
export function bindOperations<G extends Record<string, OperationSpec>>(group: G, handlers: OperationHandlers<G>): BoundOperation[] {
  return Object.keys(group).map((key) => operation(group[key], handlers[key] as unknown as OperationHandler<OperationSpec>));
}

/**
 * Handlers whose module is imported on the first request that needs it, not at cold start:
 * the use cases, their adapters and the SDK clients those build stay out of the function's
 * start-up. The module is loaded once and kept; a failed load is tried again on the next request.
 */
export function lazyHandlers<G extends Record<string, OperationSpec>>(group: G, load: () => Promise<OperationHandlers<G>>): OperationHandlers<G> {
  const module = onFirstUse(load);
  const handlers: Partial<Record<keyof G, OperationHandler<OperationSpec>>> = {};
  for (const key of Object.keys(group) as Array<keyof G>) {
    handlers[key] = async (request) => ((await module.get())[key] as unknown as OperationHandler<OperationSpec>)(request);
  }
  return handlers as unknown as OperationHandlers<G>;
}

const DEFAULT_BODY_LIMIT = 64 * 1024;

/**
 * Builds the Lambda handler for a set of operations: routes by API Gateway's `routeKey`,
 * checks the caller's role, counts the company's requests (`429 RATE_LIMITED` beyond its rate,
 * shared/http/company-rate-limit.ts), validates path, query and body against the operation's schemas,
 * and maps errors to `{"error": {...}}` (never a stack trace).
 */
export function createApiHandler(operations: BoundOperation[], config: ApiFunctionConfig) {
  const byRouteKey = new Map(operations.map((op) => [`${op.spec.method} ${op.spec.path}`, op]));
  const companyRate = createCompanyRateLimiter(config.companyRate);

  const dispatch = async (event: APIGatewayProxyEventV2WithJWTAuthorizer): Promise<APIGatewayProxyStructuredResultV2> => {
    const op = byRouteKey.get(event.routeKey);
    if (!op) throw new AppError('NOT_FOUND', `No route for ${event.routeKey}`);
    const request = parseRequest(op.spec, event, config, companyRate);
    const result = await op.handle(request);
    return jsonResponse(result.status, result.body, result.headers);
  };

  return middy<APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Error, Context>(dispatch)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      // Registered last so that it sees every error.
      onError: async (request) => {
        const error = request.error;
        if (error instanceof AppError) {
          if (error.status >= 500) logger.error('request failed', { code: error.code, error });
          request.response = errorResponse(error);
          return;
        }
        logger.error('unexpected error', { error: error as Error });
        request.response = errorResponse(new AppError('INTERNAL', 'Internal error'));
      },
    });
}

function parseRequest(
  spec: OperationSpec,
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  config: ApiFunctionConfig,
  companyRate: CompanyRateLimiter,
): ApiRequest<OperationSpec> {
  const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v ?? '']));
  const caller = authorize(spec, event, config);
  // Counted before any work, invalid requests included: a runaway loop sends those too.
  if (caller) companyRate.admit(caller.companyId);
  // The declared header schemas are applied like the others (an over-long Idempotency-Key is a 400).
  validate(spec.headers, headers, 'header');
  const params = validate(spec.params, event.pathParameters ?? {}, 'path');
  const query = validate(spec.query, event.queryStringParameters ?? {}, 'query');
  const body = spec.body ? validate(spec.body, readJsonBody(spec, event), '') : {};
  return { caller: caller as Caller, params, query, body, headers } as ApiRequest<OperationSpec>;
}

function authorize(spec: OperationSpec, event: APIGatewayProxyEventV2WithJWTAuthorizer, config: ApiFunctionConfig): Caller | null {
  if (spec.access === 'public') return null;
  const caller = callerFromEvent(event, config.auth);
  if (!caller) throw new AppError('UNAUTHORIZED', 'A valid bearer token with a company claim is required');
  const allowed = spec.access === 'admin' ? caller.roles.includes('admin') : caller.roles.length > 0;
  if (!allowed) {
    throw new AppError('FORBIDDEN', spec.access === 'admin' ? 'Only admins may do this' : 'The token carries no role of this product');
  }
  return caller;
}

function readJsonBody(spec: OperationSpec, event: APIGatewayProxyEventV2WithJWTAuthorizer): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return {};
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  const limit = spec.maxBodyBytes ?? DEFAULT_BODY_LIMIT;
  if (raw.byteLength > limit) {
    throw new AppError('PAYLOAD_TOO_LARGE', `The request body is ${raw.byteLength} bytes; at most ${limit} are accepted here`, {
      limitBytes: limit,
    });
  }
  const text = raw.toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError('INVALID_JSON', `The request body is not valid JSON: ${(error as Error).message}`);
  }
}

function validate(schema: z.ZodType | undefined, value: unknown, where: string): any {
  if (!schema) return {};
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new AppError('VALIDATION_FAILED', `Invalid ${where || 'request body'}`, issuesFromZod(parsed.error, where));
}
