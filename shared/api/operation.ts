import type { z } from 'zod';

/** One answer an operation declares: its description and, for a JSON body, its schema. */
export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
}

/**
 * What the HTTP API promises for one route: who may call it and the schemas of its input and
 * output. The handler factory validates with these schemas, the handler's results are checked
 * against the declared responses by the compiler, the route tables of CDK and of the local
 * server are derived from them (shared/api/operations.ts), and the OpenAPI document is
 * generated from them, so all of these always agree.
 */
export interface OperationSpec {
  id: string;
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  summary: string;
  tag: string;
  /** `public`: no token; `member`: admin or recruiter of the company; `admin`: admin only. */
  access: 'public' | 'member' | 'admin';
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Largest accepted request body in bytes (as sent, before any base64 decoding). */
  maxBodyBytes?: number;
  /** Request headers the operation reads (names lowercase), documented in OpenAPI. */
  headers?: z.ZodObject;
  responses: { [Status in HttpStatus]?: ResponseSpec };
}

/** The statuses an operation may declare (a literal union, so that handlers' results keep theirs). */
export type HttpStatus = 200 | 201 | 202 | 204 | 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 502 | 503;

export const defineOperation = <const T extends OperationSpec>(spec: T): T => spec;

/**
 * The operations of one group (one Lambda function's, see shared/api/operations.ts), each under
 * the group's OpenAPI tag unless it names its own.
 */
export const defineOperations = <const G extends Record<string, Omit<OperationSpec, 'tag'> & { tag?: string }>>(tag: string, group: G) =>
  Object.fromEntries(Object.entries(group).map(([key, spec]) => [key, { tag, ...spec }])) as { [K in keyof G]: G[K] & { tag: string } };

/** A response with a JSON body that `schema` describes. */
export const withJsonBody = <Schema extends z.ZodType>(description: string, schema: Schema) => ({ description, schema });

/** The body a response's schema accepts; a response declared without a schema is not described. */
type ResponseBody<R> = R extends { schema: infer Schema extends z.ZodType } ? { body: z.input<Schema> } : { body?: unknown };

/**
 * What a handler of the operation may return: one of the declared statuses, with a body its
 * schema accepts (`z.input`, i.e. before defaults and transforms). A status the spec does not
 * declare does not compile.
 */
export type OperationResult<S extends OperationSpec> = {
  [Status in keyof S['responses'] & HttpStatus]: { status: Status; headers?: Record<string, string> } & ResponseBody<S['responses'][Status]>;
}[keyof S['responses'] & HttpStatus];
