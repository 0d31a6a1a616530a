import {
  apiAuthConfig,
  companyApiRateConfig,
  defaultProviderConfig,
  dataLifecycleConfig,
  type DataLifecycleConfig,
  inboundImapConfig,
  inboundReconcileConfig,
  mailboxLimitsConfig,
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
  type InboundImapConfig,
  type InboundReconcileConfig,
  type MailDomainsConfig,
  type MailboxLimitsConfig,
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
  mailboxLimits: MailboxLimitsConfig;
  secrets: SecretsConfig;
  oauth: OAuthEnvConfig;
  defaultProvider: DefaultProviderConfig;
}
export const sendWorkerFunctionConfig = (env: Environment = process.env): SendWorkerFunctionConfig => ({
  ...messagesFunctionConfig(env),
  smtp: smtpPolicyConfig(env),
  mailboxLimits: mailboxLimitsConfig(env),
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
  imap: InboundImapConfig;
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
  imap: inboundImapConfig(env),
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

/** The data lifecycle's API, worker and scheduled functions. */
export interface DataLifecycleFunctionConfig {
  storage: StorageConfig;
  lifecycle: DataLifecycleConfig;
}
export const dataLifecycleFunctionConfig = (env: Environment = process.env): DataLifecycleFunctionConfig => ({
  storage: storageConfig(env),
  lifecycle: dataLifecycleConfig(env),
});

/** The mailbox poll dispatcher (lists IMAP mailboxes, fans out) and the poll function (reads one mailbox, files its mail). */
export interface InboundMailboxFunctionConfig extends InboundFunctionConfig {
  smtp: SmtpPolicyConfig;
  secrets: SecretsConfig;
  oauth: OAuthEnvConfig;
  imap: InboundImapConfig;
}
export const inboundMailboxFunctionConfig = (env: Environment = process.env): InboundMailboxFunctionConfig => ({
  ...inboundFunctionConfig(env),
  smtp: smtpPolicyConfig(env),
  secrets: secretsConfig(env),
  oauth: oauthEnvConfig(env),
  imap: inboundImapConfig(env),
});

/** The poll dispatcher on AWS: the index it lists and the queue it fills (locally it polls in-process, with the poller's configuration). */
export interface MailboxDispatchFunctionConfig {
  tableName: string;
  imap: InboundImapConfig;
}
export const mailboxDispatchFunctionConfig = (env: Environment = process.env): MailboxDispatchFunctionConfig => ({
  tableName: tableNameConfig(env),
  imap: inboundImapConfig(env),
});
