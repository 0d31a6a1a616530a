/**
 * Deployment settings, read from CDK context (`cdk deploy -c key=value` or `cdk.json`) and
 * validated at synth time. Every problem is reported at once, each with the setting's name,
 * what was given and what is expected, so that a wrong `-c` fails before anything reaches AWS.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { DEFAULT_CORS_ALLOWED_ORIGINS, parseCorsOrigins } from '../shared/http/cors-policy';

/**
 * The documented example context: `cdk synth -c example=true` uses these values for what is not
 * given, so the app synthesizes offline from a fresh clone. Without `example=true` a missing
 * required setting, or an example value (these, or any reserved example domain), is refused with
 * the list of what to pass; an example template carries a rule that makes CloudFormation refuse
 * to deploy it.
 */
export const EXAMPLE_CONTEXT = {
  inboundDomain: 'inbound.example.com',
  defaultSenderDomain: 'mail.example.com',
  defaultFromAddress: 'no-reply@mail.example.com',
  jwtIssuer: 'https://auth.example.com/',
  jwtAudience: 'recruiting-mail-api',
} as const;

/** Settings with a real default (not an example): used as they are. */
export const DEFAULT_CONTEXT = {
  stackName: 'RecruitingMailBackend',
  tenantClaim: 'company_id',
  rolesClaim: 'roles',
  natGateways: 1,
  logRetentionDays: 30,
  dataRemovalPolicy: 'retain',
  apiThrottleRateLimit: 50,
  apiThrottleBurstLimit: 100,
} as const;

/** Every context key the app reads; an unknown key is most likely a typo and is reported. */
export const CONTEXT_KEYS = [
  'example',
  'activateReceiptRuleSet',
  'stackName',
  'inboundDomain',
  'defaultSenderDomain',
  'defaultFromAddress',
  'jwtIssuer',
  'jwtAudience',
  'tenantClaim',
  'rolesClaim',
  'egressEipAllocationIds',
  'natGateways',
  'alarmEmail',
  'logRetentionDays',
  'dataRemovalPolicy',
  'apiThrottleRateLimit',
  'apiThrottleBurstLimit',
  'oauthMicrosoftClientId',
  'oauthGoogleClientId',
  'oauthRedirectUris',
  'oauthClientSecretArn',
  'corsAllowedOrigins',
] as const;

export type ContextKey = (typeof CONTEXT_KEYS)[number];

export interface DeploymentConfig {
  readonly stackName: string;
  /** Domain whose MX points at SES receiving; each scope's inbound address lives here. */
  readonly inboundDomain: string;
  /** Domain verified in SES for the default provider (DKIM records are output). */
  readonly defaultSenderDomain: string;
  readonly defaultFromAddress: string;
  readonly jwtIssuer: string;
  readonly jwtAudience: readonly string[];
  readonly tenantClaim: string;
  readonly rolesClaim: string;
  /** Existing Elastic IP allocation ids for the NAT gateways; empty = allocate new, retained EIPs. */
  readonly egressEipAllocationIds: readonly string[];
  readonly natGateways: number;
  readonly alarmEmail?: string;
  readonly logRetention: RetentionDays;
  readonly dataRemovalPolicy: RemovalPolicy.RETAIN | RemovalPolicy.DESTROY;
  readonly apiThrottle: { readonly rateLimit: number; readonly burstLimit: number };
  /** OAuth2 sign-in (capability 7); null when no client id is given (start answers OAUTH_NOT_CONFIGURED). */
  readonly oauth: {
    readonly microsoftClientId?: string;
    readonly googleClientId?: string;
    readonly redirectUris: readonly string[];
    readonly clientSecretArn?: string;
  } | null;
  /** Synthesized with `-c example=true`: the documented example, never to be deployed. */
  readonly example: boolean;
  /**
   * Make this stack's SES receipt rule set the account's active one (one per account and
   * region: it replaces the active one). Default false: the operator activates or merges it.
   */
  readonly activateReceiptRuleSet: boolean;
  /** Browser origins allowed to call the API (API Gateway's corsPreflight). */
  readonly corsAllowedOrigins: readonly string[];
  /** Settings that fell back to EXAMPLE_CONTEXT (the stack warns about each). */
  readonly examplesUsed: readonly string[];
}

/** Thrown with every problem found, one per line. */
export class DeploymentConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      [
        'Invalid deployment settings (CDK context):',
        ...problems.map((p) => `  - ${p}`),
        'Pass each with -c name=value (see "Deploying to AWS" in the README).',
        'To synthesize the documented example offline instead (never deployable): npx cdk synth -c example=true',
      ].join('\n'),
    );
    this.name = 'DeploymentConfigError';
  }
}

/** RFC 2606 / 6761 names: example.com/.net/.org and the .example, .test, .invalid, .localhost TLDs. */
const EXAMPLE_DOMAIN = /(^|\.)(example\.(com|net|org)|[^.]+\.(example|test|invalid|localhost))$|^(example|test|invalid|localhost)$/i;

/** What each required setting looks like, for the list of what to pass. */
const REQUIRED_HINTS: Record<keyof typeof EXAMPLE_CONTEXT, string> = {
  inboundDomain: 'the domain of inbound addresses, e.g. -c inboundDomain=inbound.acme-recruiting.com',
  defaultSenderDomain: "the default provider's SES sender domain, e.g. -c defaultSenderDomain=mail.acme-recruiting.com",
  defaultFromAddress: 'the From of default-provider mail at that domain, e.g. -c defaultFromAddress=no-reply@mail.acme-recruiting.com',
  jwtIssuer: 'the https URL of your token issuer, e.g. -c jwtIssuer=https://login.acme-recruiting.com/',
  jwtAudience: 'the audience(s) your tokens carry, e.g. -c jwtAudience=recruiting-mail-api',
};

const DOMAIN = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const CLAIM = /^[A-Za-z0-9_:./-]{1,128}$/;
const ALLOCATION_ID = /^eipalloc-[0-9a-f]{8,17}$/;
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
/** The stack is environment-agnostic (synth needs no credentials), which gives the VPC two AZs. */
const MAX_NAT_GATEWAYS = 2;
const RETENTION_VALUES = Object.values(RetentionDays).filter(
  (value): value is RetentionDays => typeof value === 'number' && value !== RetentionDays.INFINITE,
);

/** Reads and validates the settings from a construct node's context (usually the App's). */
export function readDeploymentConfig(node: Node): DeploymentConfig {
  const raw: Partial<Record<ContextKey, unknown>> = {};
  for (const key of CONTEXT_KEYS) raw[key] = node.tryGetContext(key);
  return parseDeploymentConfig(raw);
}

/** Validates raw context values (strings from `-c`, or JSON values from cdk.json). */
export function parseDeploymentConfig(raw: Partial<Record<ContextKey, unknown>>): DeploymentConfig {
  const problems: string[] = [];
  const examplesUsed: string[] = [];

  const text = (key: ContextKey): string | undefined => {
    const value = raw[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (typeof value !== 'string') {
      problems.push(`${key}: expected a string, got ${JSON.stringify(value)}`);
      return undefined;
    }
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  };

  const flag = (key: ContextKey): boolean => {
    const value = (text(key) ?? 'false').toLowerCase();
    if (value !== 'true' && value !== 'false') problems.push(`${key}: expected true or false, got "${value}"`);
    return value === 'true';
  };
  const example = flag('example');
  const activateReceiptRuleSet = flag('activateReceiptRuleSet');

  const withExample = (key: keyof typeof EXAMPLE_CONTEXT): string => {
    const value = text(key);
    if (value !== undefined) {
      const domain = key === 'jwtIssuer' ? hostOf(value) : key === 'jwtAudience' ? undefined : value.split('@').pop()!;
      const isExample = value === EXAMPLE_CONTEXT[key] || (domain !== undefined && EXAMPLE_DOMAIN.test(domain));
      if (isExample && !example) problems.push(`${key}: "${value}" is an example value; pass your own: ${REQUIRED_HINTS[key]}`);
      return value;
    }
    if (!example) problems.push(`${key}: missing; ${REQUIRED_HINTS[key]}`);
    examplesUsed.push(key);
    return EXAMPLE_CONTEXT[key];
  };

  const integer = (key: ContextKey, fallback: number, min: number, max: number): number => {
    const value = text(key);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      problems.push(`${key}: expected a whole number from ${min} to ${max}, got "${value}"`);
      return fallback;
    }
    return parsed;
  };

  const list = (key: ContextKey): string[] =>
    (text(key) ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);

  const stackName = text('stackName') ?? DEFAULT_CONTEXT.stackName;
  if (!STACK_NAME.test(stackName)) {
    problems.push(`stackName: expected letters, digits and hyphens starting with a letter (max 64), got "${stackName}"`);
  }

  const inboundDomain = withExample('inboundDomain').toLowerCase();
  if (!DOMAIN.test(inboundDomain)) {
    problems.push(`inboundDomain: expected a domain name such as inbound.example.com, got "${inboundDomain}"`);
  }

  const defaultSenderDomain = withExample('defaultSenderDomain').toLowerCase();
  if (!DOMAIN.test(defaultSenderDomain)) {
    problems.push(`defaultSenderDomain: expected a domain name such as mail.example.com, got "${defaultSenderDomain}"`);
  }

  const defaultFromAddress = withExample('defaultFromAddress');
  if (!EMAIL.test(defaultFromAddress)) {
    problems.push(`defaultFromAddress: expected an e-mail address such as no-reply@${defaultSenderDomain}, got "${defaultFromAddress}"`);
  } else if (defaultFromAddress.split('@')[1]!.toLowerCase() !== defaultSenderDomain) {
    // SES send permission is granted on the default sender domain's identity only.
    problems.push(`defaultFromAddress: must be an address at defaultSenderDomain (${defaultSenderDomain}), got "${defaultFromAddress}"`);
  }

  const jwtIssuer = withExample('jwtIssuer');
  let issuerUrl: URL | undefined;
  try {
    issuerUrl = new URL(jwtIssuer);
  } catch {
    issuerUrl = undefined;
  }
  if (issuerUrl === undefined || issuerUrl.protocol !== 'https:') {
    problems.push(`jwtIssuer: expected the https URL of the token issuer (API Gateway's JWT authorizer requires https), got "${jwtIssuer}"`);
  }

  const jwtAudience = (text('jwtAudience') === undefined ? [withExample('jwtAudience')] : list('jwtAudience'));
  if (jwtAudience.length === 0) problems.push('jwtAudience: expected at least one audience (comma-separated)');

  const tenantClaim = text('tenantClaim') ?? DEFAULT_CONTEXT.tenantClaim;
  if (!CLAIM.test(tenantClaim)) problems.push(`tenantClaim: expected a JWT claim name, got "${tenantClaim}"`);
  const rolesClaim = text('rolesClaim') ?? DEFAULT_CONTEXT.rolesClaim;
  if (!CLAIM.test(rolesClaim)) problems.push(`rolesClaim: expected a JWT claim name, got "${rolesClaim}"`);

  const egressEipAllocationIds = list('egressEipAllocationIds');
  for (const id of egressEipAllocationIds) {
    if (!ALLOCATION_ID.test(id)) {
      problems.push(`egressEipAllocationIds: "${id}" is not an Elastic IP allocation id (eipalloc- followed by 8 or 17 hex digits)`);
    }
  }
  if (new Set(egressEipAllocationIds).size !== egressEipAllocationIds.length) {
    problems.push('egressEipAllocationIds: the same allocation id is listed twice (each NAT gateway needs its own)');
  }

  const natDefault = egressEipAllocationIds.length > 0 ? egressEipAllocationIds.length : DEFAULT_CONTEXT.natGateways;
  const natGateways = integer('natGateways', natDefault, 1, MAX_NAT_GATEWAYS);
  if (egressEipAllocationIds.length > 0 && egressEipAllocationIds.length !== natGateways) {
    problems.push(
      `natGateways: ${natGateways} NAT gateways need exactly ${natGateways} egressEipAllocationIds, got ${egressEipAllocationIds.length}` +
        ' (omit natGateways to use one NAT gateway per given allocation id)',
    );
  }

  const alarmEmail = text('alarmEmail');
  if (alarmEmail !== undefined && !EMAIL.test(alarmEmail)) {
    problems.push(`alarmEmail: expected an e-mail address, got "${alarmEmail}"`);
  }

  const retentionDays = integer('logRetentionDays', DEFAULT_CONTEXT.logRetentionDays, 1, 3653);
  const logRetention = RETENTION_VALUES.find((value) => value === retentionDays);
  if (logRetention === undefined) {
    problems.push(`logRetentionDays: CloudWatch Logs accepts only ${RETENTION_VALUES.join(', ')}; got ${retentionDays}`);
  }

  const removal = (text('dataRemovalPolicy') ?? DEFAULT_CONTEXT.dataRemovalPolicy).toLowerCase();
  if (removal !== 'retain' && removal !== 'destroy') {
    problems.push(`dataRemovalPolicy: expected "retain" (keep table, bucket, key and logs when the stack is deleted) or "destroy", got "${removal}"`);
  }

  const rateLimit = integer('apiThrottleRateLimit', DEFAULT_CONTEXT.apiThrottleRateLimit, 1, 10_000);
  const burstLimit = integer('apiThrottleBurstLimit', DEFAULT_CONTEXT.apiThrottleBurstLimit, 1, 5_000);

  const microsoftClientId = text('oauthMicrosoftClientId');
  const googleClientId = text('oauthGoogleClientId');
  const oauthRedirectUris = list('oauthRedirectUris');
  const clientSecretArn = text('oauthClientSecretArn');
  for (const uri of oauthRedirectUris) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(uri);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'https:' && !['localhost', '127.0.0.1'].includes(parsed.hostname))) {
      problems.push(`oauthRedirectUris: "${uri}" must be an https URL of the frontend (http only for localhost)`);
    }
  }
  if (clientSecretArn !== undefined && !/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/.test(clientSecretArn)) {
    problems.push(`oauthClientSecretArn: expected the complete ARN of a Secrets Manager secret, got "${clientSecretArn}"`);
  }
  const oauthWanted = microsoftClientId !== undefined || googleClientId !== undefined;
  if (oauthWanted && oauthRedirectUris.length === 0) problems.push('oauthRedirectUris: at least one redirect URI is needed when an OAuth client id is set');
  if (!oauthWanted && (oauthRedirectUris.length > 0 || clientSecretArn !== undefined)) {
    problems.push('oauthMicrosoftClientId / oauthGoogleClientId: oauthRedirectUris or oauthClientSecretArn is set but no OAuth client id');
  }
  const cors = parseCorsOrigins(text('corsAllowedOrigins') ?? DEFAULT_CORS_ALLOWED_ORIGINS.join(','));
  for (const problem of cors.problems) problems.push(`corsAllowedOrigins: ${problem}`);

  if (problems.length > 0) throw new DeploymentConfigError(problems);

  return {
    stackName,
    inboundDomain,
    defaultSenderDomain,
    defaultFromAddress,
    jwtIssuer,
    jwtAudience,
    tenantClaim,
    rolesClaim,
    egressEipAllocationIds,
    natGateways,
    alarmEmail,
    logRetention: logRetention!,
    dataRemovalPolicy: removal === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    apiThrottle: { rateLimit, burstLimit },
    oauth: oauthWanted ? { microsoftClientId, googleClientId, redirectUris: oauthRedirectUris, clientSecretArn } : null,
    corsAllowedOrigins: cors.origins,
    example,
    activateReceiptRuleSet,
    examplesUsed,
  };
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

/** Unknown context keys that look like ours (camelCase, not a CDK feature flag). */
export function unknownContextKeys(context: Record<string, unknown>): string[] {
  const known = new Set<string>(CONTEXT_KEYS);
  return Object.keys(context).filter((key) => !key.includes(':') && !key.startsWith('aws-cdk') && !key.startsWith('@') && !known.has(key));
}
