/**
 * Deployment settings, read from CDK context (`cdk deploy -c key=value` or `cdk.json`) and
 * validated at synth time. Every problem is reported at once, each with the setting's name,
 * what was given and what is expected, so that a wrong `-c` fails before anything reaches AWS.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { z } from 'zod';
import { DEFAULT_API_THROTTLE, DEFAULT_COMPANY_API_RATE } from '../shared/http/api-throttle';
import { DEFAULT_PROVIDER_GUARD } from '../shared/config/default-provider-guard';
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
  apiThrottleRateLimit: DEFAULT_API_THROTTLE.rateLimit,
  apiThrottleBurstLimit: DEFAULT_API_THROTTLE.burstLimit,
  companyApiRateLimit: DEFAULT_COMPANY_API_RATE.ratePerSecond,
  companyApiBurstLimit: DEFAULT_COMPANY_API_RATE.burst,
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
  'companyApiRateLimit',
  'companyApiBurstLimit',
  'oauthMicrosoftClientId',
  'oauthGoogleClientId',
  'oauthRedirectUris',
  'oauthClientSecretArn',
  'corsAllowedOrigins',
  'defaultProviderMaxBounceRate',
  'defaultProviderMaxComplaintRate',
  'defaultProviderMinSends',
  'defaultProviderWindowDays',
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
  /** Each company's own limit, per warm container of an API function (shared/http/company-rate-limit.ts). */
  readonly companyApiRate: { readonly ratePerSecond: number; readonly burst: number };
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
  /** The per-company reputation guard of the default provider (env `DEFAULT_PROVIDER_*`). */
  readonly defaultProviderGuard: { readonly maxBounceRate: number; readonly maxComplaintRate: number; readonly minSends: number; readonly windowDays: number };
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

/** The checks across the OAuth settings. */
const OAUTH_RULES = 'oauthRules';
type ProblemPlace = ContextKey | typeof OAUTH_RULES;

/** Where each setting's problems stand in the list: the order of CONTEXT_KEYS, the OAuth rules after the OAuth settings. */
const PROBLEM_ORDER: readonly ProblemPlace[] = CONTEXT_KEYS.flatMap((key): ProblemPlace[] => (key === 'oauthClientSecretArn' ? [key, OAUTH_RULES] : [key]));
type Issues = { issues: z.core.$ZodRawIssue[] };

/** Records one problem: `place` orders it in the list, `line` is what the operator reads. */
function report(ctx: Issues, place: ProblemPlace, line: string): void {
  ctx.issues.push({ code: 'custom', message: line, path: [place], input: undefined });
}

/** A context value as text: numbers and booleans as `-c` gives them, blank as absent. */
function readText(ctx: Issues, key: ContextKey, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') {
    report(ctx, key, `${key}: expected a string, got ${JSON.stringify(value)}`);
    return undefined;
  }
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** `true` or `false` (any case); absent is false. */
function readFlag(ctx: Issues, key: ContextKey, raw: unknown): boolean {
  const value = (readText(ctx, key, raw) ?? 'false').toLowerCase();
  if (value !== 'true' && value !== 'false') report(ctx, key, `${key}: expected true or false, got "${value}"`);
  return value === 'true';
}

/** A whole number from `min` to `max`; `undefined` when absent or refused (the default applies). */
function readInteger(ctx: Issues, key: ContextKey, raw: unknown, min: number, max: number): number | undefined {
  const value = readText(ctx, key, raw);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    report(ctx, key, `${key}: expected a whole number from ${min} to ${max}, got "${value}"`);
    return undefined;
  }
  return parsed;
}

/** A rate from 0 to 1 (`0.04` is 4%); `undefined` when absent or refused (the default applies). */
function readRate(ctx: Issues, key: ContextKey, raw: unknown): number | undefined {
  const value = readText(ctx, key, raw);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0 || parsed >= 1) {
    report(ctx, key, `${key}: expected a rate between 0 and 1 (0.04 is 4%), got "${value}"`);
    return undefined;
  }
  return parsed;
}

/** A comma-separated list, blanks dropped. */
function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/**
 * A required setting: the given value (refused when it is an example), or when absent the
 * example value, which only `example=true` accepts.
 */
function readRequired(ctx: Issues, key: keyof typeof EXAMPLE_CONTEXT, value: string | undefined, example: boolean): RequiredSetting {
  if (value !== undefined) {
    const domain = key === 'jwtIssuer' ? urlOf(value)?.hostname : key === 'jwtAudience' ? undefined : value.split('@').pop()!;
    const isExample = value === EXAMPLE_CONTEXT[key] || (domain !== undefined && EXAMPLE_DOMAIN.test(domain));
    if (isExample && !example) report(ctx, key, `${key}: "${value}" is an example value; pass your own: ${REQUIRED_HINTS[key]}`);
    return { value, fromExample: false };
  }
  if (!example) report(ctx, key, `${key}: missing; ${REQUIRED_HINTS[key]}`);
  return { value: EXAMPLE_CONTEXT[key], fromExample: true };
}

interface RequiredSetting {
  value: string;
  /** Absent, so the example value stands in (the stack warns). */
  fromExample: boolean;
}

function urlOf(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** One setting: its raw context value, read and checked on its own. */
const setting = <T>(read: (raw: unknown, ctx: Issues) => T) => z.unknown().transform((raw, ctx) => read(raw, ctx));

/** A setting with a default that must match `pattern`. */
const matching = (key: ContextKey, fallback: string, pattern: RegExp, expected: string) =>
  setting((raw, ctx) => {
    const value = readText(ctx, key, raw) ?? fallback;
    if (!pattern.test(value)) report(ctx, key, `${key}: expected ${expected}, got "${value}"`);
    return value;
  });

/** A required domain name, lower-cased. */
const requiredDomain = (key: 'inboundDomain' | 'defaultSenderDomain', example: boolean, sample: string) =>
  setting((raw, ctx) => {
    const given = readRequired(ctx, key, readText(ctx, key, raw), example);
    const value = given.value.toLowerCase();
    if (!DOMAIN.test(value)) report(ctx, key, `${key}: expected a domain name such as ${sample}, got "${value}"`);
    return { ...given, value };
  });

/** Every setting, each checked on its own; `example` says whether example values may stand in. */
function settingsSchema(example: boolean) {
  return z.object({
    activateReceiptRuleSet: setting((raw, ctx) => readFlag(ctx, 'activateReceiptRuleSet', raw)),
    stackName: matching('stackName', DEFAULT_CONTEXT.stackName, STACK_NAME, 'letters, digits and hyphens starting with a letter (max 64)'),
    inboundDomain: requiredDomain('inboundDomain', example, 'inbound.example.com'),
    defaultSenderDomain: requiredDomain('defaultSenderDomain', example, 'mail.example.com'),
    // Its domain is checked against defaultSenderDomain in `checkAcrossSettings`.
    defaultFromAddress: setting((raw, ctx) => readRequired(ctx, 'defaultFromAddress', readText(ctx, 'defaultFromAddress', raw), example)),
    jwtIssuer: setting((raw, ctx) => {
      const given = readRequired(ctx, 'jwtIssuer', readText(ctx, 'jwtIssuer', raw), example);
      if (urlOf(given.value)?.protocol !== 'https:') {
        report(ctx, 'jwtIssuer', `jwtIssuer: expected the https URL of the token issuer (API Gateway's JWT authorizer requires https), got "${given.value}"`);
      }
      return given;
    }),
    jwtAudience: setting((raw, ctx) => {
      const value = readText(ctx, 'jwtAudience', raw);
      if (value === undefined) {
        const given = readRequired(ctx, 'jwtAudience', undefined, example);
        return { value: [given.value], fromExample: given.fromExample };
      }
      const audiences = splitList(value);
      if (audiences.length === 0) report(ctx, 'jwtAudience', 'jwtAudience: expected at least one audience (comma-separated)');
      return { value: audiences, fromExample: false };
    }),
    tenantClaim: matching('tenantClaim', DEFAULT_CONTEXT.tenantClaim, CLAIM, 'a JWT claim name'),
    rolesClaim: matching('rolesClaim', DEFAULT_CONTEXT.rolesClaim, CLAIM, 'a JWT claim name'),
    egressEipAllocationIds: setting((raw, ctx) => {
      const ids = splitList(readText(ctx, 'egressEipAllocationIds', raw));
      for (const id of ids) {
        if (!ALLOCATION_ID.test(id)) {
          report(ctx, 'egressEipAllocationIds', `egressEipAllocationIds: "${id}" is not an Elastic IP allocation id (eipalloc- followed by 8 or 17 hex digits)`);
        }
      }
      if (new Set(ids).size !== ids.length) {
        report(ctx, 'egressEipAllocationIds', 'egressEipAllocationIds: the same allocation id is listed twice (each NAT gateway needs its own)');
      }
      return ids;
    }),
    // Its default (one per allocation id) and the count check are in `checkAcrossSettings`.
    natGateways: setting((raw, ctx) => readInteger(ctx, 'natGateways', raw, 1, MAX_NAT_GATEWAYS)),
    alarmEmail: setting((raw, ctx) => {
      const value = readText(ctx, 'alarmEmail', raw);
      if (value !== undefined && !EMAIL.test(value)) report(ctx, 'alarmEmail', `alarmEmail: expected an e-mail address, got "${value}"`);
      return value;
    }),
    logRetentionDays: setting((raw, ctx) => {
      const days = readInteger(ctx, 'logRetentionDays', raw, 1, 3653) ?? DEFAULT_CONTEXT.logRetentionDays;
      const retention = RETENTION_VALUES.find((value) => value === days);
      if (retention === undefined) report(ctx, 'logRetentionDays', `logRetentionDays: CloudWatch Logs accepts only ${RETENTION_VALUES.join(', ')}; got ${days}`);
      return retention;
    }),
    dataRemovalPolicy: setting((raw, ctx) => {
      const value = (readText(ctx, 'dataRemovalPolicy', raw) ?? DEFAULT_CONTEXT.dataRemovalPolicy).toLowerCase();
      if (value !== 'retain' && value !== 'destroy') {
        report(ctx, 'dataRemovalPolicy', `dataRemovalPolicy: expected "retain" (keep table, bucket, key and logs when the stack is deleted) or "destroy", got "${value}"`);
      }
      return value === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    }),
    apiThrottleRateLimit: setting((raw, ctx) => readInteger(ctx, 'apiThrottleRateLimit', raw, 1, 10_000) ?? DEFAULT_CONTEXT.apiThrottleRateLimit),
    apiThrottleBurstLimit: setting((raw, ctx) => readInteger(ctx, 'apiThrottleBurstLimit', raw, 1, 5_000) ?? DEFAULT_CONTEXT.apiThrottleBurstLimit),
    companyApiRateLimit: setting((raw, ctx) => readInteger(ctx, 'companyApiRateLimit', raw, 1, 10_000) ?? DEFAULT_CONTEXT.companyApiRateLimit),
    companyApiBurstLimit: setting((raw, ctx) => readInteger(ctx, 'companyApiBurstLimit', raw, 1, 10_000) ?? DEFAULT_CONTEXT.companyApiBurstLimit),
    oauthMicrosoftClientId: setting((raw, ctx) => readText(ctx, 'oauthMicrosoftClientId', raw)),
    oauthGoogleClientId: setting((raw, ctx) => readText(ctx, 'oauthGoogleClientId', raw)),
    oauthRedirectUris: setting((raw, ctx) => {
      const uris = splitList(readText(ctx, 'oauthRedirectUris', raw));
      for (const uri of uris) {
        const parsed = urlOf(uri);
        if (!parsed || (parsed.protocol !== 'https:' && !['localhost', '127.0.0.1'].includes(parsed.hostname))) {
          report(ctx, 'oauthRedirectUris', `oauthRedirectUris: "${uri}" must be an https URL of the frontend (http only for localhost)`);
        }
      }
      return uris;
    }),
    oauthClientSecretArn: setting((raw, ctx) => {
      const value = readText(ctx, 'oauthClientSecretArn', raw);
      if (value !== undefined && !/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/.test(value)) {
        report(ctx, 'oauthClientSecretArn', `oauthClientSecretArn: expected the complete ARN of a Secrets Manager secret, got "${value}"`);
      }
      return value;
    }),
    corsAllowedOrigins: setting((raw, ctx) => {
      const cors = parseCorsOrigins(readText(ctx, 'corsAllowedOrigins', raw) ?? DEFAULT_CORS_ALLOWED_ORIGINS.join(','));
      for (const problem of cors.problems) report(ctx, 'corsAllowedOrigins', `corsAllowedOrigins: ${problem}`);
      return cors.origins;
    }),
    defaultProviderMaxBounceRate: setting((raw, ctx) => readRate(ctx, 'defaultProviderMaxBounceRate', raw) ?? DEFAULT_PROVIDER_GUARD.maxBounceRate),
    defaultProviderMaxComplaintRate: setting((raw, ctx) => readRate(ctx, 'defaultProviderMaxComplaintRate', raw) ?? DEFAULT_PROVIDER_GUARD.maxComplaintRate),
    defaultProviderMinSends: setting((raw, ctx) => readInteger(ctx, 'defaultProviderMinSends', raw, 1, 1_000_000) ?? DEFAULT_PROVIDER_GUARD.minSends),
    defaultProviderWindowDays: setting((raw, ctx) => readInteger(ctx, 'defaultProviderWindowDays', raw, 1, 90) ?? DEFAULT_PROVIDER_GUARD.windowDays),
  });
}

type Settings = z.output<ReturnType<typeof settingsSchema>>;

/** The rules that involve more than one setting. */
function checkAcrossSettings(settings: Settings, ctx: Issues): void {
  const { defaultFromAddress, defaultSenderDomain, egressEipAllocationIds } = settings;
  // SES send permission is granted on the default sender domain's identity only.
  if (!EMAIL.test(defaultFromAddress.value)) {
    report(ctx, 'defaultFromAddress', `defaultFromAddress: expected an e-mail address such as no-reply@${defaultSenderDomain.value}, got "${defaultFromAddress.value}"`);
  } else if (defaultFromAddress.value.split('@')[1]!.toLowerCase() !== defaultSenderDomain.value) {
    report(ctx, 'defaultFromAddress', `defaultFromAddress: must be an address at defaultSenderDomain (${defaultSenderDomain.value}), got "${defaultFromAddress.value}"`);
  }

  const nat = natGatewaysOf(settings);
  if (egressEipAllocationIds.length > 0 && egressEipAllocationIds.length !== nat) {
    report(
      ctx,
      'natGateways',
      `natGateways: ${nat} NAT gateways need exactly ${nat} egressEipAllocationIds, got ${egressEipAllocationIds.length}` +
        ' (omit natGateways to use one NAT gateway per given allocation id)',
    );
  }

  const oauthWanted = oauthClientIdGiven(settings);
  if (oauthWanted && settings.oauthRedirectUris.length === 0) {
    report(ctx, OAUTH_RULES, 'oauthRedirectUris: at least one redirect URI is needed when an OAuth client id is set');
  }
  if (!oauthWanted && (settings.oauthRedirectUris.length > 0 || settings.oauthClientSecretArn !== undefined)) {
    report(ctx, OAUTH_RULES, 'oauthMicrosoftClientId / oauthGoogleClientId: oauthRedirectUris or oauthClientSecretArn is set but no OAuth client id');
  }
}

/** OAuth2 is wanted when a client id of either provider is given. */
function oauthClientIdGiven({ oauthMicrosoftClientId, oauthGoogleClientId }: Settings): boolean {
  return oauthMicrosoftClientId !== undefined || oauthGoogleClientId !== undefined;
}

/** NAT gateways: as given, else one per given Elastic IP, else the default. */
function natGatewaysOf({ natGateways, egressEipAllocationIds }: Settings): number {
  return natGateways ?? (egressEipAllocationIds.length > 0 ? egressEipAllocationIds.length : DEFAULT_CONTEXT.natGateways);
}

function toDeploymentConfig(settings: Settings, example: boolean): DeploymentConfig {
  const required = {
    inboundDomain: settings.inboundDomain,
    defaultSenderDomain: settings.defaultSenderDomain,
    defaultFromAddress: settings.defaultFromAddress,
    jwtIssuer: settings.jwtIssuer,
    jwtAudience: settings.jwtAudience,
  };
  return {
    stackName: settings.stackName,
    inboundDomain: settings.inboundDomain.value,
    defaultSenderDomain: settings.defaultSenderDomain.value,
    defaultFromAddress: settings.defaultFromAddress.value,
    jwtIssuer: settings.jwtIssuer.value,
    jwtAudience: settings.jwtAudience.value,
    tenantClaim: settings.tenantClaim,
    rolesClaim: settings.rolesClaim,
    egressEipAllocationIds: settings.egressEipAllocationIds,
    natGateways: natGatewaysOf(settings),
    alarmEmail: settings.alarmEmail,
    logRetention: settings.logRetentionDays!,
    dataRemovalPolicy: settings.dataRemovalPolicy,
    apiThrottle: { rateLimit: settings.apiThrottleRateLimit, burstLimit: settings.apiThrottleBurstLimit },
    companyApiRate: { ratePerSecond: settings.companyApiRateLimit, burst: settings.companyApiBurstLimit },
    oauth: oauthClientIdGiven(settings)
      ? {
          microsoftClientId: settings.oauthMicrosoftClientId,
          googleClientId: settings.oauthGoogleClientId,
          redirectUris: settings.oauthRedirectUris,
          clientSecretArn: settings.oauthClientSecretArn,
        }
      : null,
    corsAllowedOrigins: settings.corsAllowedOrigins,
    defaultProviderGuard: {
      maxBounceRate: settings.defaultProviderMaxBounceRate,
      maxComplaintRate: settings.defaultProviderMaxComplaintRate,
      minSends: settings.defaultProviderMinSends,
      windowDays: settings.defaultProviderWindowDays,
    },
    example,
    activateReceiptRuleSet: settings.activateReceiptRuleSet,
    examplesUsed: Object.entries(required)
      .filter(([, given]) => given.fromExample)
      .map(([key]) => key),
  };
}

/**
 * Validates raw context values (strings from `-c`, or JSON values from cdk.json): `example`
 * first (it decides whether example values may stand in), then every setting on its own, then
 * the rules across settings. All problems are reported together, in the order of the settings.
 */
export function parseDeploymentConfig(raw: Partial<Record<ContextKey, unknown>>): DeploymentConfig {
  const exampleIssues: Issues = { issues: [] };
  const example = readFlag(exampleIssues, 'example', raw.example);
  const schema = settingsSchema(example).superRefine(checkAcrossSettings, { when: () => true });
  // Every key present (absent ones as undefined), so that each setting's defaults and checks run.
  const parsed = schema.safeParse(Object.fromEntries(CONTEXT_KEYS.map((key) => [key, raw[key]])));
  const issues = [...exampleIssues.issues, ...(parsed.success ? [] : parsed.error.issues)];
  if (issues.length > 0) {
    const place = (issue: { path?: readonly PropertyKey[] }) => PROBLEM_ORDER.indexOf(issue.path?.[0] as ProblemPlace);
    throw new DeploymentConfigError(issues.sort((a, b) => place(a) - place(b)).map((issue) => String(issue.message)));
  }
  return toDeploymentConfig(parsed.data!, example);
}

/** Unknown context keys that look like ours (camelCase, not a CDK feature flag). */
export function unknownContextKeys(context: Record<string, unknown>): string[] {
  const known = new Set<string>(CONTEXT_KEYS);
  return Object.keys(context).filter((key) => !key.includes(':') && !key.startsWith('aws-cdk') && !key.startsWith('@') && !known.has(key));
}
