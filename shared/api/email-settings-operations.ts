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
  SaveInboundFailedBody,
  SaveInboundSucceededBody,
} from './email-settings-schemas';
import { ImapTestResultBody, PutInboundBody, TestInboundBody } from './inbound-mailbox-schemas';
import { defineOperations, withJsonBody } from './operation';

const SETTINGS_BODY_LIMIT = 16 * 1024;

/** Answers that several settings operations give, written once. */
const noInboundAddress = { 503: { description: '`SERVICE_UNAVAILABLE`: no inbound address could be allocated; try again' } } as const;
const changedMeanwhile = { 409: { description: '`CONFLICT`: the settings were changed by another request meanwhile; try again' } } as const;
const tooManyTests = { 429: { description: 'Too many tests for this company; retry after `Retry-After` seconds' } } as const;
/** What the two steps of connecting a mailbox with OAuth2 share. */
const oauthStep = { method: 'POST', access: 'admin', params: OAuthParams, maxBodyBytes: SETTINGS_BODY_LIMIT } as const;
/** A scope's first write creates it: within the company's scope limit. */
const SCOPE_LIMIT = '`SCOPE_LIMIT_REACHED`: a new sub-company scope beyond the number the operator allows per company (`MAX_SCOPES_PER_COMPANY`)';
const oauthNotConfigured = { 409: { description: `\`OAUTH_NOT_CONFIGURED\`: the operator has no OAuth client for this provider; or ${SCOPE_LIMIT}` } } as const;

export const platformOperations = defineOperations('platform', {
  health: {
    id: 'getHealth', method: 'GET', path: '/v1/health', access: 'public',
    summary: 'Liveness check',
    responses: { 200: withJsonBody('Up', HealthBody) },
  },
  openapi: {
    id: 'getOpenApi', method: 'GET', path: '/v1/openapi.json', access: 'public',
    summary: 'This OpenAPI document',
    responses: { 200: { description: 'OpenAPI 3.1 document' } },
  },
  egressIps: {
    id: 'getEgressIps', method: 'GET', path: '/v1/egress-ips', access: 'member',
    summary: 'The fixed IP addresses our connections to mail servers come from (to allowlist)',
    responses: { 200: withJsonBody('Egress IPs', EgressIpsBody) },
  },
  providers: {
    id: 'listEmailProviders', method: 'GET', path: '/v1/email-providers', tag: 'email-settings', access: 'member',
    summary: 'Provider presets (host, port, security) and hints',
    responses: { 200: withJsonBody('Presets', ProvidersBody) },
  },
});

export const emailSettingsOperations = defineOperations('email-settings', {
  list: {
    id: 'listEmailSettings', method: 'GET', path: '/v1/email-settings', access: 'member',
    summary: "All scopes of the caller's company",
    responses: { 200: withJsonBody('Settings of every configured scope (always including main)', EmailSettingsList) },
  },
  get: {
    id: 'getEmailSettings', method: 'GET', path: '/v1/email-settings/{scope}', access: 'member',
    summary: 'One scope; never returns the password (`smtp.passwordSet` instead). Reads only: a scope never configured answers with its inbound address, and is stored with its first write',
    params: ScopeParams,
    responses: { 200: withJsonBody('Settings', EmailSettingsBody) },
  },
  put: {
    id: 'putEmailSettings', method: 'PUT', path: '/v1/email-settings/{scope}', access: 'admin',
    summary: 'Save settings; `mode: smtp` is tested first and becomes active only if the test passes',
    params: ScopeParams, body: PutEmailSettingsBody, maxBodyBytes: SETTINGS_BODY_LIMIT,
    responses: {
      200: withJsonBody('Saved and active', SaveSucceededBody),
      409: { description: `\`CONFLICT\`: the settings were changed by another request meanwhile; read them and try again; or ${SCOPE_LIMIT}` },
      422: withJsonBody('The test failed; the previous configuration stays active', SaveFailedBody),
      ...tooManyTests,
      ...noInboundAddress,
    },
  },
  delete: {
    id: 'deleteEmailSettings', method: 'DELETE', path: '/v1/email-settings/{scope}', access: 'admin',
    summary: 'Go back to the default provider (the stored SMTP settings and password are removed)',
    params: ScopeParams,
    responses: { 200: withJsonBody('Settings now', EmailSettingsBody), ...changedMeanwhile, ...noInboundAddress },
  },
  test: {
    id: 'testEmailSettings', method: 'POST', path: '/v1/email-settings/{scope}/test', access: 'admin',
    summary: 'Run the SMTP conversation stage by stage against the saved settings (empty body) or unsaved ones',
    params: ScopeParams, body: TestEmailSettingsBody, maxBodyBytes: SETTINGS_BODY_LIMIT,
    responses: { 200: withJsonBody('The test answer, whether ok or not', SmtpTestResultBody), ...changedMeanwhile, ...tooManyTests, ...noInboundAddress },
  },
  redirectTest: {
    id: 'sendRedirectTest', method: 'POST', path: '/v1/email-settings/{scope}/redirect-test', access: 'admin',
    summary: "Send a tokened test mail to the scope's address; `redirect.status` turns `verified` when the forwarding brings it back",
    params: ScopeParams,
    responses: {
      202: withJsonBody('Sent; the settings now show `redirect.status: pending`', EmailSettingsBody),
      409: { description: `\`CONFLICT\`: the settings were changed by another request meanwhile; try again; or ${SCOPE_LIMIT}` },
      429: { description: 'Too many redirect tests; retry after `Retry-After` seconds' },
      503: { description: '`SERVICE_UNAVAILABLE`: the default provider did not take the test mail; `redirect.status` is `failed` with the reason in our words (the provider\'s own text is logged, not returned)' },
    },
  },
  putInbound: {
    id: 'putInboundSettings', method: 'PUT', path: '/v1/email-settings/{scope}/inbound', access: 'admin',
    summary: 'How inbound mail arrives: `forward` (a forwarding rule) or `imap` (we read the mailbox); an IMAP mailbox is tested first and becomes active only if the test passes',
    params: ScopeParams, body: PutInboundBody, maxBodyBytes: SETTINGS_BODY_LIMIT,
    responses: {
      200: withJsonBody('Saved and active', SaveInboundSucceededBody),
      ...changedMeanwhile,
      422: withJsonBody('The test failed; the previous inbound mode stays active', SaveInboundFailedBody),
      ...tooManyTests,
      ...noInboundAddress,
    },
  },
  inboundTest: {
    id: 'testInboundSettings', method: 'POST', path: '/v1/email-settings/{scope}/inbound-test', access: 'admin',
    summary: 'Sign in to the IMAP mailbox stage by stage and open the folder: the saved mailbox (empty body) or an unsaved one',
    params: ScopeParams, body: TestInboundBody, maxBodyBytes: SETTINGS_BODY_LIMIT,
    responses: { 200: withJsonBody('The test answer, whether ok or not', ImapTestResultBody), ...tooManyTests, ...noInboundAddress },
  },
  oauthStart: {
    ...oauthStep, id: 'startOAuthConnect', path: '/v1/email-settings/{scope}/oauth/{provider}/start', body: StartOAuthBody,
    summary: 'Start connecting a Microsoft or Google mailbox with OAuth2: the URL to send the browser to, and a single-use state (10 min)',
    responses: { 200: withJsonBody('Where to send the browser', StartOAuthResult), 400: { description: 'Invalid body, or a redirect URI the operator does not allow' }, ...oauthNotConfigured },
  },
  oauthComplete: {
    ...oauthStep, id: 'completeOAuthConnect', path: '/v1/email-settings/{scope}/oauth/{provider}/complete', body: CompleteOAuthBody,
    summary: 'Finish the sign-in: exchange the code, test over XOAUTH2, and activate only if the test passes',
    responses: {
      200: withJsonBody('Connected and active', SaveSucceededBody),
      400: { description: 'Unknown, used, expired or foreign `state`' },
      ...oauthNotConfigured,
      422: withJsonBody('The test failed (stage `oauth` or later); the previous configuration stays active', SaveFailedBody),
      ...tooManyTests,
    },
  },
});
