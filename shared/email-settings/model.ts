import type { SmtpResultCode, SmtpSecurity, SmtpStage } from '../smtp/types';

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
  /** Grows with every change of the configuration; send failures name the revision they saw. */
  revision: number;
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
  code: string;
  message: string;
  smtpResponse: string | null;
}

export interface RedirectState {
  status: RedirectStatus;
  token: string | null;
  sentAt: string | null;
  verifiedAt: string | null;
  hint: string | null;
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
  inboundAddress: string;
  redirect: RedirectState;
  createdAt: string;
  updatedAt: string | null;
  /** Optimistic-concurrency counter of the whole record. */
  version: number;
}

export const MAIN_SCOPE = 'main';
