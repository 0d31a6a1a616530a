import type { z } from 'zod';

/**
 * What the HTTP API promises for one route: who may call it and the schemas of its input and
 * output. The handler factory validates with these schemas, and the OpenAPI document is
 * generated from them, so both always agree.
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
  responses: Record<number, { description: string; schema?: z.ZodType }>;
}

export const defineOperation = <const T extends OperationSpec>(spec: T): T => spec;
