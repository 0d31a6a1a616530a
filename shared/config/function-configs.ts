import {
  apiAuthConfig,
  inboundImapConfig,
  inboundReconcileConfig,
  mailDomainsConfig,
  oauthEnvConfig,
  secretsConfig,
  sendConfig,
  smtpPolicyConfig,
  smtpTestLimitsConfig,
  storageConfig,
  tableNameConfig,
  type ApiAuthConfig,
  type InboundImapConfig,
  type InboundReconcileConfig,
  type MailDomainsConfig,
  type OAuthEnvConfig,
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

/** Every API function: who the caller is. */
export interface ApiFunctionConfig {
  auth: ApiAuthConfig;
}
export const apiFunctionConfig = (env: Environment = process.env): ApiFunctionConfig => ({ auth: apiAuthConfig(env) });

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
}
export const sendWorkerFunctionConfig = (env: Environment = process.env): SendWorkerFunctionConfig => ({
  ...messagesFunctionConfig(env),
  smtp: smtpPolicyConfig(env),
  secrets: secretsConfig(env),
  oauth: oauthEnvConfig(env),
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
  secrets: SecretsConfig;
  oauth: OAuthEnvConfig;
  imap: InboundImapConfig;
}
export const emailSettingsFunctionConfig = (env: Environment = process.env): EmailSettingsFunctionConfig => ({
  tableName: tableNameConfig(env),
  mail: mailDomainsConfig(env),
  smtp: smtpPolicyConfig(env),
  smtpTestLimits: smtpTestLimitsConfig(env),
  secrets: secretsConfig(env),
  oauth: oauthEnvConfig(env),
  imap: inboundImapConfig(env),
});

/** Inbound filing (receive) and the reconciler. */
export interface InboundFunctionConfig {
  storage: StorageConfig;
  mail: MailDomainsConfig;
  reconcile: InboundReconcileConfig;
}
export const inboundFunctionConfig = (env: Environment = process.env): InboundFunctionConfig => ({
  storage: storageConfig(env),
  mail: mailDomainsConfig(env),
  reconcile: inboundReconcileConfig(env),
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
