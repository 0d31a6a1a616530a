import * as z from 'zod/mini';
import { SMTP_ALLOWED_PORTS } from '../smtp-allowed-ports';
import { booleanOr, integerOr, lazySchema, listOr, optionalString, readConfig, requiredString, stringOr } from './env-fields';

/**
 * One schema per concern, each naming the environment variables it reads and giving the typed
 * object the code uses. The readers take the environment as an argument (process.env by
 * default): the composition reads each once, at cold start, and hands the result down.
 */
type Environment = Record<string, string | undefined>;

const apiAuthSchema = lazySchema(() => z.pipe(z.object({ TENANT_CLAIM: stringOr('company_id'), ROLES_CLAIM: stringOr('roles') }), z.transform((env) => ({ tenantClaim: env.TENANT_CLAIM, rolesClaim: env.ROLES_CLAIM }))));
/** Which JWT claims name the caller's company and roles. */
export type ApiAuthConfig = z.output<ReturnType<typeof apiAuthSchema>>;
export const apiAuthConfig = (env: Environment = process.env): ApiAuthConfig => readConfig(apiAuthSchema(), env);

const smtpPolicySchema = lazySchema(() => z.pipe(z.object({
    SMTP_ALLOWED_PORTS: listOr(SMTP_ALLOWED_PORTS.map(String)),
    SMTP_ALLOWED_PRIVATE_CIDRS: listOr([]),
    SMTP_ALLOW_PLAINTEXT: booleanOr(false),
    SMTP_TLS_ACCEPT_UNTRUSTED_IN_ALLOWED_CIDRS: booleanOr(false),
    SMTP_TLS_EXTRA_CA_FILE: optionalString(),
    EGRESS_IPS: listOr([]),
  }), z.transform((env) => ({
    allowedPorts: env.SMTP_ALLOWED_PORTS,
    allowedPrivateCidrs: env.SMTP_ALLOWED_PRIVATE_CIDRS,
    allowPlaintext: env.SMTP_ALLOW_PLAINTEXT,
    acceptUntrustedCertificatesInAllowedCidrs: env.SMTP_TLS_ACCEPT_UNTRUSTED_IN_ALLOWED_CIDRS,
    extraCaFile: env.SMTP_TLS_EXTRA_CA_FILE,
    egressIps: env.EGRESS_IPS,
  }))));
/** The outbound SMTP policy as written (the destination guard checks ports and ranges). */
export type SmtpPolicyConfig = z.output<ReturnType<typeof smtpPolicySchema>>;
export const smtpPolicyConfig = (env: Environment = process.env): SmtpPolicyConfig => readConfig(smtpPolicySchema(), env);

const smtpTestLimitsSchema = lazySchema(() => z.pipe(z.object({ SMTP_TESTS_PER_MINUTE: integerOr(60), SMTP_TEST_DESTINATIONS_PER_MINUTE: integerOr(20) }), z.transform((env) => ({ testsPerMinute: env.SMTP_TESTS_PER_MINUTE, destinationsPerMinute: env.SMTP_TEST_DESTINATIONS_PER_MINUTE }))));
/** How often a company may press the test button. */
export type SmtpTestLimitsConfig = z.output<ReturnType<typeof smtpTestLimitsSchema>>;
export const smtpTestLimitsConfig = (env: Environment = process.env): SmtpTestLimitsConfig => readConfig(smtpTestLimitsSchema(), env);

const mailDomainsSchema = lazySchema(() => z.pipe(z.object({ INBOUND_DOMAIN: requiredString(), DEFAULT_FROM_ADDRESS: requiredString(), DEFAULT_SENDER_DOMAIN: requiredString() }), z.transform((env) => ({ inboundDomain: env.INBOUND_DOMAIN, defaultFromAddress: env.DEFAULT_FROM_ADDRESS, defaultSenderDomain: env.DEFAULT_SENDER_DOMAIN }))));
/** Our reply domain, the platform's default sender and the domain of our Message-IDs (as written). */
export type MailDomainsConfig = z.output<ReturnType<typeof mailDomainsSchema>>;
export const mailDomainsConfig = (env: Environment = process.env): MailDomainsConfig => readConfig(mailDomainsSchema(), env);

const sendRetrySchema = lazySchema(() => z.pipe(z.object({
    SEND_MAX_SMTP_ATTEMPTS: integerOr(3),
    SEND_MAX_DEFAULT_ATTEMPTS: integerOr(5),
    SEND_RETRY_BASE_SECONDS: integerOr(30),
    SEND_LEASE_SECONDS: integerOr(120),
    SEND_QUEUED_STALE_SECONDS: integerOr(1200),
    SEND_QUEUE_URL: optionalString(),
  }), z.transform((env) => ({
    maxSmtpAttempts: env.SEND_MAX_SMTP_ATTEMPTS,
    maxDefaultAttempts: env.SEND_MAX_DEFAULT_ATTEMPTS,
    baseDelaySeconds: env.SEND_RETRY_BASE_SECONDS,
    leaseSeconds: env.SEND_LEASE_SECONDS,
    queuedStaleSeconds: env.SEND_QUEUED_STALE_SECONDS,
    queueUrl: env.SEND_QUEUE_URL,
  }))));
/** Sending: attempts, backoff, leases and the queue (SQS on AWS, in-process when unset). */
export type SendConfig = z.output<ReturnType<typeof sendRetrySchema>>;
export const sendConfig = (env: Environment = process.env): SendConfig => readConfig(sendRetrySchema(), env);

const inboundReconcileSchema = lazySchema(() => z.pipe(z.object({ INBOUND_RECONCILE_GRACE_SECONDS: integerOr(900), INBOUND_RECONCILE_WINDOW_SECONDS: integerOr(3 * 24 * 3600) }), z.transform((env) => ({ graceSeconds: env.INBOUND_RECONCILE_GRACE_SECONDS, windowSeconds: env.INBOUND_RECONCILE_WINDOW_SECONDS }))));
/** How far back the inbound reconciler looks, and how long it leaves a fresh mail alone. */
export type InboundReconcileConfig = z.output<ReturnType<typeof inboundReconcileSchema>>;
export const inboundReconcileConfig = (env: Environment = process.env): InboundReconcileConfig => readConfig(inboundReconcileSchema(), env);

const secretsSchema = lazySchema(() => z.pipe(z.object({ KMS_KEY_ID: optionalString(), LOCAL_MASTER_KEY_FILE: optionalString(), OAUTH_CLIENT_SECRETS_ARN: optionalString() }), z.transform((env) => ({ kmsKeyId: env.KMS_KEY_ID, localMasterKeyFile: env.LOCAL_MASTER_KEY_FILE, oauthClientSecretsArn: env.OAUTH_CLIENT_SECRETS_ARN }))));
/** Where secrets come from: KMS and Secrets Manager on AWS, a key file in local mode. */
export type SecretsConfig = z.output<ReturnType<typeof secretsSchema>>;
export const secretsConfig = (env: Environment = process.env): SecretsConfig => readConfig(secretsSchema(), env);

const storageSchema = lazySchema(() => z.pipe(z.object({ TABLE_NAME: requiredString(), MAIL_BUCKET: requiredString() }), z.transform((env) => ({ tableName: env.TABLE_NAME, mailBucket: env.MAIL_BUCKET }))));
/** The table and the mail bucket. */
export type StorageConfig = z.output<ReturnType<typeof storageSchema>>;
export const storageConfig = (env: Environment = process.env): StorageConfig => readConfig(storageSchema(), env);

const tableNameSchema = lazySchema(() => z.pipe(z.object({ TABLE_NAME: requiredString() }), z.transform((env) => env.TABLE_NAME)));
const mailBucketSchema = lazySchema(() => z.pipe(z.object({ MAIL_BUCKET: requiredString() }), z.transform((env) => env.MAIL_BUCKET)));
/** The table's name alone, for the adapters built without a composition (tests, scripts). */
export const tableNameConfig = (env: Environment = process.env): string => readConfig(tableNameSchema(), env);
/** The mail bucket's name alone, as tableNameConfig. */
export const mailBucketConfig = (env: Environment = process.env): string => readConfig(mailBucketSchema(), env);

const s3ClientSchema = lazySchema(() => z.pipe(z.object({ S3_FORCE_PATH_STYLE: booleanOr(false) }), z.transform((env) => ({ forcePathStyle: env.S3_FORCE_PATH_STYLE }))));
/** S3 client options (path-style URLs for the local s3rver). */
export const s3ClientConfig = (env: Environment = process.env) => readConfig(s3ClientSchema(), env);

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
const observabilitySchema = lazySchema(() => z.pipe(z.object({ POWERTOOLS_SERVICE_NAME: z.optional(z.string()), LOG_LEVEL: z.optional(z.string()) }), z.transform((env) => ({
    serviceName: env.POWERTOOLS_SERVICE_NAME ?? 'recruiting-mail',
    logLevel: (env.LOG_LEVEL ?? 'INFO') as (typeof LOG_LEVELS)[number],
  }))));
/** The service name of logs, traces and metrics, and the log level. */
export type ObservabilityConfig = z.output<ReturnType<typeof observabilitySchema>>;
export const observabilityConfig = (env: Environment = process.env): ObservabilityConfig => readConfig(observabilitySchema(), env);

const oauthSchema = lazySchema(() => z.pipe(z.object({
    OAUTH_MICROSOFT_CLIENT_ID: optionalString(),
    OAUTH_MICROSOFT_CLIENT_SECRET: optionalString(),
    OAUTH_MICROSOFT_AUTHORITY: stringOr('https://login.microsoftonline.com'),
    OAUTH_MICROSOFT_SMTP: stringOr('smtp.office365.com:587:starttls'),
    OAUTH_GOOGLE_CLIENT_ID: optionalString(),
    OAUTH_GOOGLE_CLIENT_SECRET: optionalString(),
    OAUTH_GOOGLE_AUTH_URL: stringOr('https://accounts.google.com/o/oauth2/v2/auth'),
    OAUTH_GOOGLE_TOKEN_URL: stringOr('https://oauth2.googleapis.com/token'),
    OAUTH_GOOGLE_SMTP: stringOr('smtp.gmail.com:465:ssl'),
    OAUTH_REDIRECT_URIS: listOr([]),
  }), z.transform((env) => ({
    microsoftClientId: env.OAUTH_MICROSOFT_CLIENT_ID,
    microsoftClientSecret: env.OAUTH_MICROSOFT_CLIENT_SECRET,
    microsoftAuthority: env.OAUTH_MICROSOFT_AUTHORITY,
    microsoftSmtp: env.OAUTH_MICROSOFT_SMTP,
    googleClientId: env.OAUTH_GOOGLE_CLIENT_ID,
    googleClientSecret: env.OAUTH_GOOGLE_CLIENT_SECRET,
    googleAuthUrl: env.OAUTH_GOOGLE_AUTH_URL,
    googleTokenUrl: env.OAUTH_GOOGLE_TOKEN_URL,
    googleSmtp: env.OAUTH_GOOGLE_SMTP,
    redirectUris: env.OAUTH_REDIRECT_URIS,
  }))));
/** The OAuth2 clients as written; oauth/oauth-config.ts checks URLs and SMTP triples (errors name the variable). */
export type OAuthEnvConfig = z.output<ReturnType<typeof oauthSchema>>;
export const oauthEnvConfig = (env: Environment = process.env): OAuthEnvConfig => readConfig(oauthSchema(), env);
