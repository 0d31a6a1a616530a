import type { RedirectResultCode, SendFailureCode } from '../error-catalogue';
import type { InboundPollState, StoredInbound } from '../inbound-mailbox/model';
import type { StoredCircuit } from '../outbound/circuit-breaker';
import type { OAuthFlow, OAuthProvider, SmtpLimits, SmtpResultCode, SmtpSecurity, SmtpStage } from '../smtp/types';

export type SettingsMode = 'default' | 'smtp';
export type SettingsStatus = 'unverified' | 'verified' | 'failing';
export type RedirectStatus = 'unverified' | 'pending' | 'verified' | 'failed';

/** The active SMTP configuration of a scope, as stored (the password only encrypted). */
export interface StoredSmtp {
  host: string;
  port: number;
  security: SmtpSecurity;
  username: string | null;
  fromAddress: string;
  fromName: string | null;
  passwordCiphertext: string | null;
  /** How the login works; records written before OAuth2 existed have none (`password`). */
  auth?: 'password' | 'oauth2';
  /** The OAuth2 connection, for `auth: oauth2` (capability 7); also the login of an `oauth2` IMAP mailbox. */
  oauth?: StoredOAuth | null;
  /** Grows with every change of the configuration; send failures name the revision they saw. */
  revision: number;
  /** Sending limits of the mailbox (capability 11); none stored means the provider's preset. */
  limits?: SmtpLimits;
  /** The largest message the server last announced (EHLO `SIZE`), seen by a test or a send. */
  sizeLimit?: number | null;
}

export type { OAuthFlow, OAuthProvider };

/** An OAuth2 connection as stored: the refresh token only encrypted (purpose `smtp-oauth`). */
export interface StoredOAuth {
  provider: OAuthProvider;
  flow: OAuthFlow;
  /** The mailbox it sends as (the XOAUTH2 user). */
  account: string;
  /** The customer's tenant (Microsoft app flow; for delegated Microsoft the id_token's `tid`). */
  tenantId: string | null;
  connectedAt: string;
  /** Delegated flow; the app flow stores no token (client credentials per send). */
  refreshTokenCiphertext: string | null;
  /** Grows with every refresh token written back, so an older one never replaces a newer. */
  tokenVersion: number;
  /** Granted with the IMAP scopes too (`inbound: true` at the start), so the mailbox can be read. */
  inbound?: boolean;
}

export interface LastTest {
  at: string;
  ok: boolean;
  stage: SmtpStage;
  code: SmtpResultCode;
  message: string;
}

export interface SendFailure {
  at: string;
  code: SendFailureCode;
  message: string;
  smtpResponse: string | null;
}

export interface RedirectState {
  status: RedirectStatus;
  token: string | null;
  sentAt: string | null;
  verifiedAt: string | null;
  hint: string | null;
  /** Why it failed, when known (`FORWARDING_BLOCKED`); records written before it have none. */
  code?: RedirectResultCode | null;
}

/** Everything stored for one scope (`main` or a sub-company) of one company. */
export interface ScopeSettings {
  companyId: string;
  scope: string;
  address: string | null;
  /** The company's name as candidates see it on mail through the default provider. */
  displayName: string | null;
  mode: SettingsMode;
  smtp: StoredSmtp | null;
  fallbackToDefault: boolean;
  status: SettingsStatus;
  lastTest: LastTest | null;
  failure: SendFailure | null;
  /** The circuit breaker of the SMTP server (circuit-breaker.ts); absent or of another revision: closed. */
  circuit?: StoredCircuit | null;
  inboundAddress: string;
  redirect: RedirectState;
  createdAt: string;
  updatedAt: string | null;
  /** How inbound mail arrives (capability 12); absent means `forward`. */
  inbound?: StoredInbound | null;
  /** The mailbox poller's last finding (written by the poller, never by a save). */
  inboundPoll?: InboundPollState | null;
  /** Optimistic-concurrency counter of the whole record. */
  version: number;
}

export const MAIN_SCOPE = 'main';
