import {
  apiAuthConfig,
  companyApiRateConfig,
  defaultProviderConfig,
  inboundReconcileConfig,
  mailDomainsConfig,
  oauthEnvConfig,
  scopeLimitsConfig,
  secretsConfig,
  sendConfig,
  smtpPolicyConfig,
  smtpTestLimitsConfig,
  storageConfig,
  tableNameConfig,
  type ApiAuthConfig,
  type CompanyApiRateConfig,
  type DefaultProviderConfig,
  type InboundReconcileConfig,
  type MailDomainsConfig,
  type OAuthEnvConfig,
  type ScopeLimitsConfig,
  type SecretsConfig,
  type SendConfig,
  type SmtpPolicyConfig,
  type SmtpTestLimitsConfig,
  type StorageConfig,
} from './concerns';

/**
 * The typed configuration of each function, composed from the concerns it needs. Each is read
 * once per cold start by the function's entry (or the composition it calls) and handed to the
 * composition, which hands the parts to the use cases and adapters.
 */
type Environment = Record<string, string | undefined>;

/** Every API function: who the caller is, and how often a company may call. */
export interface ApiFunctionConfig {
  auth: ApiAuthConfig;
  companyRate: CompanyApiRateConfig;
}
export const apiFunctionConfig = (env: Environment = process.env): ApiFunctionConfig => ({ auth: apiAuthConfig(env), companyRate: companyApiRateConfig(env) });

/** The platform API: what it reports (egress IPs). */
export interface PlatformFunctionConfig extends ApiFunctionConfig {
  egressIps: string[];
}
export const platformFunctionConfig = (env: Environment = process.env): PlatformFunctionConfig => ({
  ...apiFunctionConfig(env),
  egressIps: smtpPolicyConfig(env).egressIps,
});

/** The messages API's use cases (queueing mail). */
export interface MessagesFunctionConfig {
  storage: StorageConfig;
  mail: MailDomainsConfig;
  send: SendConfig;
}
export const messagesFunctionConfig = (env: Environment = process.env): MessagesFunctionConfig => ({
  storage: storageConfig(env),
  mail: mailDomainsConfig(env),
  send: sendConfig(env),
});

/** The send worker: everything the messages API has, plus SMTP, secrets and OAuth. */
export interface SendWorkerFunctionConfig extends MessagesFunctionConfig {
  smtp: SmtpPolicyConfig;
  secrets: SecretsConfig;
  oauth: OAuthEnvConfig;
  defaultProvider: DefaultProviderConfig;
}
export const sendWorkerFunctionConfig = (env: Environment = process.env): SendWorkerFunctionConfig => ({
  ...messagesFunctionConfig(env),
  smtp: smtpPolicyConfig(env),
  secrets: secretsConfig(env),
  oauth: oauthEnvConfig(env),
  defaultProvider: defaultProviderConfig(env),
});

/** The sweeper: leases and staleness, and the queue it requeues to. */
export interface SweepFunctionConfig {
  tableName: string;
  send: SendConfig;
}
export const sweepFunctionConfig = (env: Environment = process.env): SweepFunctionConfig => ({ tableName: tableNameConfig(env), send: sendConfig(env) });

/** The email-settings API's use cases. */
export interface EmailSettingsFunctionConfig {
  tableName: string;
  mail: MailDomainsConfig;
  smtp: SmtpPolicyConfig;
  smtpTestLimits: SmtpTestLimitsConfig;
  scopeLimits: ScopeLimitsConfig;
  secrets: SecretsConfig;
  oauth: OAuthEnvConfig;
  defaultProvider: DefaultProviderConfig;
}
export const emailSettingsFunctionConfig = (env: Environment = process.env): EmailSettingsFunctionConfig => ({
  tableName: tableNameConfig(env),
  mail: mailDomainsConfig(env),
  smtp: smtpPolicyConfig(env),
  smtpTestLimits: smtpTestLimitsConfig(env),
  scopeLimits: scopeLimitsConfig(env),
  secrets: secretsConfig(env),
  oauth: oauthEnvConfig(env),
  defaultProvider: defaultProviderConfig(env),
});

/** The delivery-event function and the suppressions API: the table and the guard's thresholds. */
export interface SenderReputationFunctionConfig {
  tableName: string;
  defaultProvider: DefaultProviderConfig;
}
export const senderReputationFunctionConfig = (env: Environment = process.env): SenderReputationFunctionConfig => ({
  tableName: tableNameConfig(env),
  defaultProvider: defaultProviderConfig(env),
});

/** Inbound filing (receive) and the reconciler. */
export interface InboundFunctionConfig {
  storage: StorageConfig;
  mail: MailDomainsConfig;
  reconcile: InboundReconcileConfig;
  /** The key inbound addresses are derived with (an address names its scope). */
  secrets: SecretsConfig;
}
export const inboundFunctionConfig = (env: Environment = process.env): InboundFunctionConfig => ({
  storage: storageConfig(env),
  mail: mailDomainsConfig(env),
  reconcile: inboundReconcileConfig(env),
  secrets: secretsConfig(env),
});
