import { EgressIpsBody, HealthBody } from './common-schemas';
import {
  EmailSettingsBody,
  EmailSettingsList,
  ProvidersBody,
  PutEmailSettingsBody,
  SaveFailedBody,
  SaveSucceededBody,
  ScopeParams,
  SmtpTestResultBody,
  TestEmailSettingsBody,
  CompleteOAuthBody,
  OAuthParams,
  StartOAuthBody,
  StartOAuthResult,
} from './email-settings-schemas';
import { defineOperation } from './operation';

const SETTINGS_BODY_LIMIT = 16 * 1024;

export const platformOperations = {
  health: defineOperation({
    id: 'getHealth', method: 'GET', path: '/v1/health', tag: 'platform', access: 'public',
    summary: 'Liveness check',
    responses: { 200: { description: 'Up', schema: HealthBody } },
  }),
  openapi: defineOperation({
    id: 'getOpenApi', method: 'GET', path: '/v1/openapi.json', tag: 'platform', access: 'public',
    summary: 'This OpenAPI document',
    responses: { 200: { description: 'OpenAPI 3.1 document' } },
  }),
  egressIps: defineOperation({
    id: 'getEgressIps', method: 'GET', path: '/v1/egress-ips', tag: 'platform', access: 'member',
    summary: 'The fixed IP addresses our connections to mail servers come from (to allowlist)',
    responses: { 200: { description: 'Egress IPs', schema: EgressIpsBody } },
  }),
  providers: defineOperation({
    id: 'listEmailProviders', method: 'GET', path: '/v1/email-providers', tag: 'email-settings', access: 'member',
    summary: 'Provider presets (host, port, security) and hints',
    responses: { 200: { description: 'Presets', schema: ProvidersBody } },
  }),
};

export const emailSettingsOperations = {
  list: defineOperation({
    id: 'listEmailSettings', method: 'GET', path: '/v1/email-settings', tag: 'email-settings', access: 'member',
    summary: "All scopes of the caller's company",
    responses: {
      200: { description: 'Settings of every configured scope (always including main)', schema: EmailSettingsList },
      503: { description: '`SERVICE_UNAVAILABLE`: no inbound address could be allocated; try again' },
    },
  }),
  get: defineOperation({
    id: 'getEmailSettings', method: 'GET', path: '/v1/email-settings/{scope}', tag: 'email-settings', access: 'member',
    summary: 'One scope; never returns the password (`smtp.passwordSet` instead)',
    params: ScopeParams,
    responses: {
      200: { description: 'Settings', schema: EmailSettingsBody },
      503: { description: '`SERVICE_UNAVAILABLE`: no inbound address could be allocated; try again' },
    },
  }),
  put: defineOperation({
    id: 'putEmailSettings', method: 'PUT', path: '/v1/email-settings/{scope}', tag: 'email-settings', access: 'admin',
    summary: 'Save settings; `mode: smtp` is tested first and becomes active only if the test passes',
    params: ScopeParams, body: PutEmailSettingsBody, maxBodyBytes: SETTINGS_BODY_LIMIT,
    responses: {
      200: { description: 'Saved and active', schema: SaveSucceededBody },
      409: { description: '`CONFLICT`: the settings were changed by another request meanwhile; read them and try again' },
      422: { description: 'The test failed; the previous configuration stays active', schema: SaveFailedBody },
      429: { description: 'Too many tests for this company; retry after `Retry-After` seconds' },
      503: { description: '`SERVICE_UNAVAILABLE`: no inbound address could be allocated; try again' },
    },
  }),
  delete: defineOperation({
    id: 'deleteEmailSettings', method: 'DELETE', path: '/v1/email-settings/{scope}', tag: 'email-settings', access: 'admin',
    summary: 'Go back to the default provider (the stored SMTP settings and password are removed)',
    params: ScopeParams,
    responses: {
      200: { description: 'Settings now', schema: EmailSettingsBody },
      409: { description: '`CONFLICT`: the settings were changed by another request meanwhile; try again' },
      503: { description: '`SERVICE_UNAVAILABLE`: no inbound address could be allocated; try again' },
    },
  }),
  test: defineOperation({
    id: 'testEmailSettings', method: 'POST', path: '/v1/email-settings/{scope}/test', tag: 'email-settings', access: 'admin',
    summary: 'Run the SMTP conversation stage by stage against the saved settings (empty body) or unsaved ones',
    params: ScopeParams, body: TestEmailSettingsBody, maxBodyBytes: SETTINGS_BODY_LIMIT,
    responses: {
      200: { description: 'The test answer, whether ok or not', schema: SmtpTestResultBody },
      409: { description: '`CONFLICT`: the settings were changed by another request meanwhile; try again' },
      429: { description: 'Too many tests for this company; retry after `Retry-After` seconds' },
      503: { description: '`SERVICE_UNAVAILABLE`: no inbound address could be allocated; try again' },
    },
  }),
  redirectTest: defineOperation({
    id: 'sendRedirectTest', method: 'POST', path: '/v1/email-settings/{scope}/redirect-test', tag: 'email-settings', access: 'admin',
    summary: "Send a tokened test mail to the scope's address; `redirect.status` turns `verified` when the forwarding brings it back",
    params: ScopeParams,
    responses: {
      202: { description: 'Sent; the settings now show `redirect.status: pending`', schema: EmailSettingsBody },
      409: { description: '`CONFLICT`: the settings were changed by another request meanwhile; try again' },
      429: { description: 'Too many redirect tests; retry after `Retry-After` seconds' },
      503: { description: '`SERVICE_UNAVAILABLE`: the default provider did not take the test mail; `redirect.status` is `failed` with the reason in our words (the provider\'s own text is logged, not returned)' },
    },
  }),
  oauthStart: defineOperation({
    id: 'startOAuthConnect', method: 'POST', path: '/v1/email-settings/{scope}/oauth/{provider}/start', tag: 'email-settings', access: 'admin',
    summary: 'Start connecting a Microsoft or Google mailbox with OAuth2: the URL to send the browser to, and a single-use state (10 min)',
    params: OAuthParams, body: StartOAuthBody, maxBodyBytes: SETTINGS_BODY_LIMIT,
    responses: {
      200: { description: 'Where to send the browser', schema: StartOAuthResult },
      400: { description: 'Invalid body, or a redirect URI the operator does not allow' },
      409: { description: '`OAUTH_NOT_CONFIGURED`: the operator has no OAuth client for this provider' },
    },
  }),
  oauthComplete: defineOperation({
    id: 'completeOAuthConnect', method: 'POST', path: '/v1/email-settings/{scope}/oauth/{provider}/complete', tag: 'email-settings', access: 'admin',
    summary: 'Finish the sign-in: exchange the code, test over XOAUTH2, and activate only if the test passes',
    params: OAuthParams, body: CompleteOAuthBody, maxBodyBytes: SETTINGS_BODY_LIMIT,
    responses: {
      200: { description: 'Connected and active', schema: SaveSucceededBody },
      400: { description: 'Unknown, used, expired or foreign `state`' },
      409: { description: '`OAUTH_NOT_CONFIGURED`' },
      422: { description: 'The test failed (stage `oauth` or later); the previous configuration stays active', schema: SaveFailedBody },
      429: { description: 'Too many tests for this company; retry after `Retry-After` seconds' },
    },
  }),
};
