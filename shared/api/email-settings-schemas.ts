import { OAUTH_FLOWS, OAUTH_PROVIDERS, SMTP_RESULT_CODES, SMTP_SECURITY, SMTP_STAGES } from '../smtp/types';
import { emailAddress, scopeId, singleLine } from './common-schemas';
import { DefaultProviderStatusBody } from './sender-reputation-schemas';
import './zod';
import * as z from 'zod';

export const ScopeParams = z.object({ scope: scopeId });

const hostname = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9._:[\]-]+$/, 'must be a host name or IP address')
  .openapi({ example: 'smtp.office365.com' });

export const SmtpSettingsInput = z
  .object({
    host: hostname,
    port: z.number().int().min(1).max(65535).openapi({ example: 587 }),
    security: z.enum(SMTP_SECURITY).openapi({ description: '`ssl` = implicit TLS (465), `starttls` (587), `none` only where the operator allows it' }),
    username: singleLine(320).optional(),
    password: z.string().max(1024).optional().openapi({ description: 'Write-only. Omit to keep the stored password (same host and username only).' }),
    fromAddress: emailAddress.optional().openapi({ description: 'Defaults to the scope address.' }),
    fromName: singleLine(100).optional(),
  })
  .strict()
  .openapi('SmtpSettingsInput');

export const PutEmailSettingsBody = z
  .object({
    address: emailAddress.optional().openapi({ description: "The company's own recruiting address." }),
    displayName: singleLine(100)
      .optional()
      .openapi({ description: 'The company name candidates see on mail sent through the default provider ("<name> Recruiting").' }),
    mode: z.enum(['default', 'smtp']),
    smtp: SmtpSettingsInput.optional(),
    fallbackToDefault: z.boolean().optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.mode === 'smtp' && !body.smtp) {
      ctx.addIssue({ code: 'custom', path: ['smtp'], message: 'is required when mode is "smtp"' });
    }
  })
  .openapi('PutEmailSettings');

export const TestEmailSettingsBody = z
  .object({
    smtp: SmtpSettingsInput.optional().openapi({ description: 'Unsaved settings to try; omit to test the saved ones.' }),
    sendTestMessage: z
      .object({ to: emailAddress.optional() })
      .strict()
      .optional()
      .openapi({ description: 'Also send a real test message (default recipient: the from address).' }),
  })
  .strict()
  .openapi('TestEmailSettings');

const SettingsAdvice = z
  .object({ severity: z.enum(['error', 'warning']), code: z.string(), field: z.string(), message: z.string(), hint: z.string() })
  .openapi('SettingsAdvice');

export const SmtpTestResultBody = z
  .object({
    ok: z.boolean(),
    stage: z.enum(SMTP_STAGES),
    code: z.enum(SMTP_RESULT_CODES),
    message: z.string(),
    hint: z.string().nullable(),
    smtpResponse: z.string().nullable(),
    durationMs: z.number().int(),
    egressIps: z.array(z.string()),
    transcript: z.array(z.string()),
    warnings: z.array(SettingsAdvice),
  })
  .openapi('SmtpTestResult');

const LastTest = z
  .object({ at: z.string(), ok: z.boolean(), stage: z.enum(SMTP_STAGES), code: z.enum(SMTP_RESULT_CODES), message: z.string() })
  .openapi('LastTest');

const OAuthView = z
  .object({
    provider: z.enum(OAUTH_PROVIDERS),
    flow: z.enum(OAUTH_FLOWS).openapi({ description: '`delegated`: a user signed in; `app`: Microsoft app-only access for a shared mailbox.' }),
    account: z.string().openapi({ description: 'The mailbox mail is sent as.' }),
    tenantId: z.string().nullable(),
    connectedAt: z.string(),
    connected: z.literal(true),
  })
  .openapi('OAuthConnection', { description: 'Tokens are write-only and never shown.' });

export const EmailSettingsBody = z
  .object({
    scope: scopeId,
    address: z.string().nullable(),
    displayName: z.string().nullable(),
    mode: z.enum(['default', 'smtp']),
    smtp: z
      .object({
        host: z.string(),
        port: z.number().int(),
        security: z.enum(SMTP_SECURITY),
        username: z.string().nullable(),
        fromAddress: z.string(),
        fromName: z.string().nullable(),
        passwordSet: z.boolean(),
        auth: z.enum(['password', 'oauth2']).openapi({ description: '`oauth2`: SASL XOAUTH2 with a Microsoft or Google sign-in (see `oauth`).' }),
        oauth: OAuthView.nullable(),
      })
      .nullable(),
    fallbackToDefault: z.boolean(),
    status: z.enum(['unverified', 'verified', 'failing']),
    lastTest: LastTest.nullable(),
    failure: z
      .object({ at: z.string(), code: z.string(), message: z.string(), smtpResponse: z.string().nullable() })
      .nullable()
      .openapi({ description: 'Set when sending through this server failed with a configuration-type error.' }),
    route: z
      .enum(['smtp', 'company', 'default'])
      .openapi({ description: "Where this scope's mail goes now: its own server, the company's (main) server, or the default provider." }),
    inboundAddress: z.string(),
    redirect: z
      .object({
        status: z.enum(['unverified', 'pending', 'verified', 'failed']),
        sentAt: z.string().nullable(),
        verifiedAt: z.string().nullable(),
        hint: z.string().nullable(),
      })
      .openapi('RedirectStatus'),
    warnings: z.array(SettingsAdvice).openapi({
      description: 'Advice about the settings as saved, e.g. `FROM_DIFFERS_FROM_ADDRESS` when an OAuth2 sign-in made another account the From address.',
    }),
    defaultProvider: DefaultProviderStatusBody,
    updatedAt: z.string().nullable(),
  })
  .openapi('EmailSettings');

export const EmailSettingsList = z.object({ items: z.array(EmailSettingsBody) }).openapi('EmailSettingsList');

export const SaveFailedBody = z
  .object({
    error: z.object({ code: z.literal('SMTP_TEST_FAILED'), message: z.string() }),
    test: SmtpTestResultBody,
    settings: EmailSettingsBody.openapi({ description: 'The settings that stay active.' }),
  })
  .openapi('SaveEmailSettingsFailed');

export const SaveSucceededBody = EmailSettingsBody.extend({ test: SmtpTestResultBody.nullable() }).openapi('SaveEmailSettingsResult');

export const ProvidersBody = z
  .object({
    items: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        host: z.string().nullable(),
        port: z.number().int().nullable(),
        security: z.enum(SMTP_SECURITY).nullable(),
        hints: z.array(z.string()),
      }),
    ),
  })
  .openapi('EmailProviders');

export const OAuthParams = z.object({ scope: scopeId, provider: z.enum(OAUTH_PROVIDERS) });

export const StartOAuthBody = z
  .object({
    redirectUri: z.string().url().max(2000).openapi({ description: "Where the provider sends the browser back; one of the operator's OAUTH_REDIRECT_URIS." }),
    flow: z.enum(OAUTH_FLOWS).optional().openapi({ description: '`delegated` (default): a user signs in; `app`: Microsoft admin consent for a shared mailbox.' }),
    tenantId: singleLine(100).optional().openapi({ description: "App flow: the customer's Microsoft tenant (id or domain)." }),
    mailbox: emailAddress.optional().openapi({ description: 'App flow: the shared mailbox to send as.' }),
    loginHint: singleLine(320).optional(),
  })
  .strict()
  .openapi('StartOAuth');

export const StartOAuthResult = z
  .object({ authorizationUrl: z.string(), state: z.string(), expiresAt: z.string() })
  .openapi('StartOAuthResult');

export const CompleteOAuthBody = z
  .union([
    z.object({ code: z.string().min(1).max(4096), state: z.string().min(1).max(200) }).strict(),
    z.object({ state: z.string().min(1).max(200), tenant: singleLine(100), adminConsent: z.literal(true) }).strict(),
  ])
  .openapi('CompleteOAuth', { description: '`{ code, state }` from the authorization redirect, or `{ state, tenant, adminConsent: true }` from the admin-consent redirect.' });
