import './zod';
import * as z from 'zod';
import { ENTITY_ID_PATTERN } from '../entity-id';

/** No control characters (CR/LF above all): such a value could smuggle a mail header. */
export const singleLine = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), 'must be a single line without control characters');

export const emailAddress = z
  .email({ message: 'must be a plain e-mail address like jobs@company.com' })
  .max(254)
  .openapi({ example: 'jobs@company.com' });

/** `main` (the company itself) or a sub-company id. */
export const scopeId = z
  .string()
  .regex(/^(main|[A-Za-z0-9][A-Za-z0-9._-]{0,63})$/, 'must be "main" or a sub-company id (letters, digits, ".", "_", "-"; at most 64)')
  .openapi({ example: 'main' });

export const entityId = z
  .string()
  .regex(ENTITY_ID_PATTERN, 'must be 1-128 letters, digits or . _ : @ -')
  .openapi({ example: 'cand-123' });

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'VALIDATION_FAILED' }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error');

/** What API Gateway answers itself (authorizer, throttling, payload limit, unknown route). */
export const GatewayMessageBody = z.object({ message: z.string().openapi({ example: 'Unauthorized' }) }).openapi('GatewayMessage');

export const HealthBody = z.object({ ok: z.literal(true) }).openapi('Health');

export const EgressIpsBody = z.object({ ips: z.array(z.string()) }).openapi('EgressIps');

export const pageQuery = z.object({
  cursor: z.string().max(2048).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});
