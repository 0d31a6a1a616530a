import { emailAddress } from './common-schemas';
import './zod';
import * as z from 'zod';
import { BOUNCE_TYPES, DELIVERY_STATUSES } from '../sender-reputation/message-delivery';

/** `defaultProvider` of the email settings: the company's standing with the shared SES account. */
export const DefaultProviderStatusBody = z
  .object({
    status: z.enum(['active', 'paused']).openapi({ description: '`paused`: mail through the default provider fails with `DEFAULT_PROVIDER_PAUSED`.' }),
    bounceRate: z.number().openapi({ description: 'Permanent bounces per recipient sent to through the default provider, over the window.' }),
    complaintRate: z.number().openapi({ description: 'Complaints per recipient, over the window.' }),
    since: z.string().nullable().openapi({ description: 'When the current status began (null: active, never paused within the window).' }),
  })
  .openapi('DefaultProviderStatus', { description: 'The same for every scope of the company: the guard is per company.' });

/** `delivery` of a message sent through the default provider (its SES events). */
export const MessageDeliveryBody = z
  .object({
    status: z.enum(DELIVERY_STATUSES),
    at: z.string(),
    bounceType: z.enum(BOUNCE_TYPES).optional(),
    diagnostic: z.string().optional(),
    recipient: z.string().optional(),
  })
  .openapi('MessageDelivery', { description: 'What SES reported after it took the message; null until its first event.' });

export const SuppressionAddressParams = z.object({ address: emailAddress });

export const SuppressionBody = z
  .object({
    address: z.string(),
    reason: z.enum(['bounce', 'complaint']),
    diagnostic: z.string().nullable(),
    messageId: z.string().nullable(),
    at: z.string(),
  })
  .openapi('Suppression');

export const SuppressionPage = z.object({ items: z.array(SuppressionBody), nextCursor: z.string().nullable() }).openapi('SuppressionPage');
