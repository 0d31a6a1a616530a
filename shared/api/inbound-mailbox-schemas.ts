/** Request and response schemas of inbound mail's way in (DESIGN capability 12). */
import { IMAP_RESULT_CODES } from '../error-catalogue';
import { IMAP_AUTH, IMAP_STAGES } from '../inbound-mailbox/model';
import { SMTP_SECURITY } from '../smtp/types';
import { singleLine } from './common-schemas';
import './zod';
import * as z from 'zod';

export const ImapSettingsInput = z
  .object({
    host: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[A-Za-z0-9._:[\]-]+$/, 'must be a host name or IP address')
      .optional()
      .openapi({ example: 'imap.example.com', description: 'Required with `auth: password`; with `oauth2` the provider\'s server by default (outlook.office365.com, imap.gmail.com).' }),
    port: z.number().int().min(1).max(65535).optional().openapi({ example: 993 }),
    security: z.enum(SMTP_SECURITY).optional().openapi({ description: '`ssl` = implicit TLS (993), `starttls` (143), `none` only where the operator allows it' }),
    username: singleLine(320).optional().openapi({ description: 'The login (usually the mailbox address). With `oauth2` the connected account is used.' }),
    password: z.string().max(1024).optional().openapi({ description: 'Write-only. Omit to keep the stored password (same host and username only).' }),
    auth: z.enum(IMAP_AUTH).openapi({ description: '`oauth2`: the scope\'s Microsoft or Google connection (start it with `"inbound": true`).' }),
    folder: singleLine(200).optional().openapi({ description: 'The folder to read (default `INBOX`).' }),
    backfillDays: z.number().int().min(0).max(365).optional().openapi({ description: 'How many days back the first poll files mail (default 7; 0 = only mail arriving from now on).' }),
  })
  .strict()
  .openapi('ImapSettingsInput');

export const PutInboundBody = z
  .discriminatedUnion('mode', [z.object({ mode: z.literal('forward') }).strict(), z.object({ mode: z.literal('imap'), imap: ImapSettingsInput }).strict()])
  .openapi('PutInboundSettings', { description: '`forward`: the mailbox forwards to the inbound address; `imap`: we read the mailbox.' });

export const TestInboundBody = z
  .object({ imap: ImapSettingsInput.optional().openapi({ description: 'An unsaved mailbox to try; omit to test the saved one.' }) })
  .strict()
  .openapi('TestInboundSettings');

export const ImapTestResultBody = z
  .object({
    ok: z.boolean(),
    stage: z.enum(IMAP_STAGES),
    code: z.enum(IMAP_RESULT_CODES),
    message: z.string(),
    hint: z.string().nullable(),
    serverResponse: z.string().nullable(),
    durationMs: z.number().int(),
    egressIps: z.array(z.string()),
    transcript: z.array(z.string()),
  })
  .openapi('ImapTestResult');

export const InboundView = z
  .object({
    mode: z.enum(['forward', 'imap']),
    imap: z
      .object({
        host: z.string(),
        port: z.number().int(),
        security: z.enum(SMTP_SECURITY),
        username: z.string(),
        auth: z.enum(IMAP_AUTH),
        passwordSet: z.boolean(),
        folder: z.string(),
        backfillDays: z.number().int(),
      })
      .nullable(),
    lastPollAt: z.string().nullable().openapi({ description: 'The last poll that read the mailbox.' }),
    status: z.enum(['active', 'failing']).nullable().openapi({ description: 'IMAP only: `failing` while the mailbox cannot be read (sending is not affected).' }),
    failure: z
      .object({ at: z.string(), code: z.enum(IMAP_RESULT_CODES), message: z.string(), hint: z.string().nullable() })
      .nullable(),
  })
  .openapi('InboundSettings');
