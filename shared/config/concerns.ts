import * as z from 'zod/mini';
import { DEFAULT_COMPANY_API_RATE } from '../http/api-throttle';
import { IMAP_ALLOWED_PORTS } from '../imap-allowed-ports';
import { SMTP_ALLOWED_PORTS } from '../smtp-allowed-ports';
import { DEFAULT_PROVIDER_GUARD } from './default-provider-guard';
import { booleanOr, integerOr, lazySchema, listOr, numberOr, optionalString, readConfig, readerOf, requiredString, stringOr } from './env-fields';

/**
 * One reader per concern, each naming the environment variables it reads (beside the field of
 * the typed object each one fills) and giving the typed object the code uses. The readers take
 * the environment as an argument (process.env by default): the composition reads each once, at
 * cold start, and hands the result down.
 */
type Environment = Record<string, string | undefined>;

/** Which JWT claims name the caller's company and roles. */
export const apiAuthConfig = readerOf(() => ({
  tenantClaim: ['TENANT_CLAIM', stringOr('company_id')],
  rolesClaim: ['ROLES_CLAIM', stringOr('roles')],
}));
export type ApiAuthConfig = ReturnType<typeof apiAuthConfig>;

/** How many requests a company may make per second and at once, per warm container (shared/http/company-rate-limit.ts). */
export const companyApiRateConfig = readerOf(() => ({
  ratePerSecond: ['COMPANY_API_RATE_LIMIT', integerOr(DEFAULT_COMPANY_API_RATE.ratePerSecond, 1)],
  burst: ['COMPANY_API_BURST_LIMIT', integerOr(DEFAULT_COMPANY_API_RATE.burst, 1)],
}));
export type CompanyApiRateConfig = ReturnType<typeof companyApiRateConfig>;

/** The outbound SMTP policy as written (the destination guard checks ports and ranges). */
export const smtpPolicyConfig = readerOf(() => ({
  allowedPorts: ['SMTP_ALLOWED_PORTS', listOr(SMTP_ALLOWED_PORTS.map(String))],
  allowedPrivateCidrs: ['SMTP_ALLOWED_PRIVATE_CIDRS', listOr([])],
  allowPlaintext: ['SMTP_ALLOW_PLAINTEXT', booleanOr(false)],
  acceptUntrustedCertificatesInAllowedCidrs: ['SMTP_TLS_ACCEPT_UNTRUSTED_IN_ALLOWED_CIDRS', booleanOr(false)],
  extraCaFile: ['SMTP_TLS_EXTRA_CA_FILE', optionalString()],
  egressIps: ['EGRESS_IPS', listOr([])],
}));
export type SmtpPolicyConfig = ReturnType<typeof smtpPolicyConfig>;

/**
 * Reading company mailboxes over IMAP (capability 12): the ports the destination guard allows
 * (the private ranges, plaintext and certificate rules are the SMTP policy's), how a poll run is
 * bounded, the lease that keeps one poller per mailbox, and the poll queue (SQS on AWS).
 */
export const inboundImapConfig = readerOf(() => ({
  allowedPorts: ['IMAP_ALLOWED_PORTS', listOr(IMAP_ALLOWED_PORTS.map(String))],
  pollSeconds: ['INBOUND_IMAP_POLL_SECONDS', integerOr(60)],
  maxMessagesPerRun: ['INBOUND_IMAP_MAX_MESSAGES_PER_RUN', integerOr(50)],
  maxSecondsPerRun: ['INBOUND_IMAP_MAX_SECONDS_PER_RUN', integerOr(40)],
  leaseSeconds: ['INBOUND_IMAP_LEASE_SECONDS', integerOr(120)],
  pollQueueUrl: ['INBOUND_IMAP_POLL_QUEUE_URL', optionalString()],
}));
export type InboundImapConfig = ReturnType<typeof inboundImapConfig>;

/** How often a company may press the test button. */
export const smtpTestLimitsConfig = readerOf(() => ({
  testsPerMinute: ['SMTP_TESTS_PER_MINUTE', integerOr(60)],
  destinationsPerMinute: ['SMTP_TEST_DESTINATIONS_PER_MINUTE', integerOr(20)],
}));
export type SmtpTestLimitsConfig = ReturnType<typeof smtpTestLimitsConfig>;

/** Our reply domain, the platform's default sender and the domain of our Message-IDs (as written). */
export const mailDomainsConfig = readerOf(() => ({
  inboundDomain: ['INBOUND_DOMAIN', requiredString()],
  defaultFromAddress: ['DEFAULT_FROM_ADDRESS', requiredString()],
  defaultSenderDomain: ['DEFAULT_SENDER_DOMAIN', requiredString()],
}));
export type MailDomainsConfig = ReturnType<typeof mailDomainsConfig>;

/** Sending: attempts, backoff, leases and the queue (SQS on AWS, in-process when unset). */
export const sendConfig = readerOf(() => ({
  maxSmtpAttempts: ['SEND_MAX_SMTP_ATTEMPTS', integerOr(3)],
  maxDefaultAttempts: ['SEND_MAX_DEFAULT_ATTEMPTS', integerOr(5)],
  maxInterruptedAttempts: ['SEND_MAX_INTERRUPTED_ATTEMPTS', integerOr(3)],
  baseDelaySeconds: ['SEND_RETRY_BASE_SECONDS', integerOr(30)],
  leaseSeconds: ['SEND_LEASE_SECONDS', integerOr(120)],
  queuedStaleSeconds: ['SEND_QUEUED_STALE_SECONDS', integerOr(1200)],
  queueUrl: ['SEND_QUEUE_URL', optionalString()],
  // The circuit breaker of company servers (shared/outbound/circuit-breaker.ts).
  circuitCooldownSeconds: ['SEND_CIRCUIT_COOLDOWN_SECONDS', integerOr(60)],
  circuitMaxCooldownSeconds: ['SEND_CIRCUIT_MAX_COOLDOWN_SECONDS', integerOr(900)],
  circuitMaxWaitSeconds: ['SEND_CIRCUIT_MAX_WAIT_SECONDS', integerOr(24 * 3600)],
  // The default provider's pace (send-pace.ts): 0 reads SES's MaxSendRate (GetSendQuota).
  defaultProviderMaxSendRate: ['SES_MAX_SEND_RATE', integerOr(0)],
}));
export type SendConfig = ReturnType<typeof sendConfig>;

/**
 * The mailboxes' shared limits (capability 11): the length of the "minute" window (60; shorter
 * only to test the same semantics quickly) and how long a connection lease lasts before a
 * crashed worker's slot frees itself (longer than a whole send, SEND_TIMEOUTS.total).
 */
export const mailboxLimitsConfig = readerOf(() => ({
  rateWindowSeconds: ['MAILBOX_RATE_WINDOW_SECONDS', integerOr(60)],
  connectionLeaseSeconds: ['MAILBOX_CONNECTION_LEASE_SECONDS', integerOr(120)],
}));
export type MailboxLimitsConfig = ReturnType<typeof mailboxLimitsConfig>;

/**
 * The default provider's configuration set (its events feed the delivery-event function) and
 * the per-company reputation guard's thresholds (DESIGN section 10; CDK context keys
 * `defaultProviderMaxBounceRate`, `defaultProviderMaxComplaintRate`, `defaultProviderMinSends`,
 * `defaultProviderWindowDays`).
 */
export const defaultProviderConfig = readerOf(() => ({
  configurationSet: ['DEFAULT_PROVIDER_CONFIGURATION_SET', optionalString()],
  maxBounceRate: ['DEFAULT_PROVIDER_MAX_BOUNCE_RATE', numberOr(DEFAULT_PROVIDER_GUARD.maxBounceRate)],
  maxComplaintRate: ['DEFAULT_PROVIDER_MAX_COMPLAINT_RATE', numberOr(DEFAULT_PROVIDER_GUARD.maxComplaintRate)],
  minSends: ['DEFAULT_PROVIDER_MIN_SENDS', integerOr(DEFAULT_PROVIDER_GUARD.minSends)],
  windowDays: ['DEFAULT_PROVIDER_WINDOW_DAYS', integerOr(DEFAULT_PROVIDER_GUARD.windowDays)],
}));
export type DefaultProviderConfig = ReturnType<typeof defaultProviderConfig>;

/** How far back the inbound reconciler looks, and how long it leaves a fresh mail alone. */
export const inboundReconcileConfig = readerOf(() => ({
  graceSeconds: ['INBOUND_RECONCILE_GRACE_SECONDS', integerOr(900)],
  windowSeconds: ['INBOUND_RECONCILE_WINDOW_SECONDS', integerOr(3 * 24 * 3600)],
}));
export type InboundReconcileConfig = ReturnType<typeof inboundReconcileConfig>;

/**
 * The data lifecycle (erasure, export, retention): its job queue (SQS on AWS, in-process when
 * unset), how long offboarding waits after retiring the inbound addresses, and how long an
 * unfinished erasure may stand still before the sweep queues it again.
 */
export const dataLifecycleConfig = readerOf(() => ({
  queueUrl: ['DATA_LIFECYCLE_QUEUE_URL', optionalString()],
  offboardingSettleSeconds: ['OFFBOARDING_SETTLE_SECONDS', integerOr(120)], // at least INBOUND_OWNER_MEMORY_SECONDS (60) on AWS
  erasureStaleSeconds: ['ERASURE_STALE_SECONDS', integerOr(900)],
}));
export type DataLifecycleConfig = ReturnType<typeof dataLifecycleConfig>;

/** How many sub-company scopes (besides `main`) a company may create. */
export const scopeLimitsConfig = readerOf(() => ({
  maxScopesPerCompany: ['MAX_SCOPES_PER_COMPANY', integerOr(100)],
}));
export type ScopeLimitsConfig = ReturnType<typeof scopeLimitsConfig>;

/** Where secrets come from: KMS and Secrets Manager on AWS, a key file in local mode. */
export const secretsConfig = readerOf(() => ({
  kmsKeyId: ['KMS_KEY_ID', optionalString()],
  localMasterKeyFile: ['LOCAL_MASTER_KEY_FILE', optionalString()],
  oauthClientSecretsArn: ['OAUTH_CLIENT_SECRETS_ARN', optionalString()],
  /** The KMS HMAC key inbound addresses are derived with. */
  inboundAddressKeyId: ['INBOUND_ADDRESS_KEY_ID', optionalString()],
}));
export type SecretsConfig = ReturnType<typeof secretsConfig>;

/** The table and the mail bucket. */
export const storageConfig = readerOf(() => ({
  tableName: ['TABLE_NAME', requiredString()],
  mailBucket: ['MAIL_BUCKET', requiredString()],
}));
export type StorageConfig = ReturnType<typeof storageConfig>;

const tableNameSchema = lazySchema(() => z.pipe(z.object({ TABLE_NAME: requiredString() }), z.transform((env) => env.TABLE_NAME)));
const mailBucketSchema = lazySchema(() => z.pipe(z.object({ MAIL_BUCKET: requiredString() }), z.transform((env) => env.MAIL_BUCKET)));
/** The table's name alone, for the adapters built without a composition (tests, scripts). */
export const tableNameConfig = (env: Environment = process.env): string => readConfig(tableNameSchema(), env);
/** The mail bucket's name alone, as tableNameConfig. */
export const mailBucketConfig = (env: Environment = process.env): string => readConfig(mailBucketSchema(), env);

/** S3 client options (path-style URLs for the local s3rver). */
export const s3ClientConfig = readerOf(() => ({ forcePathStyle: ['S3_FORCE_PATH_STYLE', booleanOr(false)] }));

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
const observabilitySchema = lazySchema(() => z.pipe(z.object({ POWERTOOLS_SERVICE_NAME: z.optional(z.string()), LOG_LEVEL: z.optional(z.string()) }), z.transform((env) => ({
    serviceName: env.POWERTOOLS_SERVICE_NAME ?? 'recruiting-mail',
    logLevel: (env.LOG_LEVEL ?? 'INFO') as (typeof LOG_LEVELS)[number],
  }))));
/** The service name of logs, traces and metrics, and the log level. */
export type ObservabilityConfig = z.output<ReturnType<typeof observabilitySchema>>;
export const observabilityConfig = (env: Environment = process.env): ObservabilityConfig => readConfig(observabilitySchema(), env);

/** The OAuth2 clients as written; oauth/oauth-config.ts checks URLs and SMTP triples (errors name the variable). */
export const oauthEnvConfig = readerOf(() => ({
  microsoftClientId: ['OAUTH_MICROSOFT_CLIENT_ID', optionalString()],
  microsoftClientSecret: ['OAUTH_MICROSOFT_CLIENT_SECRET', optionalString()],
  microsoftAuthority: ['OAUTH_MICROSOFT_AUTHORITY', stringOr('https://login.microsoftonline.com')],
  microsoftSmtp: ['OAUTH_MICROSOFT_SMTP', stringOr('smtp.office365.com:587:starttls')],
  googleClientId: ['OAUTH_GOOGLE_CLIENT_ID', optionalString()],
  googleClientSecret: ['OAUTH_GOOGLE_CLIENT_SECRET', optionalString()],
  googleAuthUrl: ['OAUTH_GOOGLE_AUTH_URL', stringOr('https://accounts.google.com/o/oauth2/v2/auth')],
  googleTokenUrl: ['OAUTH_GOOGLE_TOKEN_URL', stringOr('https://oauth2.googleapis.com/token')],
  googleSmtp: ['OAUTH_GOOGLE_SMTP', stringOr('smtp.gmail.com:465:ssl')],
  microsoftImap: ['OAUTH_MICROSOFT_IMAP', stringOr('outlook.office365.com:993:ssl')],
  googleImap: ['OAUTH_GOOGLE_IMAP', stringOr('imap.gmail.com:993:ssl')],
  redirectUris: ['OAUTH_REDIRECT_URIS', listOr([])],
}));
export type OAuthEnvConfig = ReturnType<typeof oauthEnvConfig>;
