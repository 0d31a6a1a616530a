/** Validation of the deployment settings (CDK context): defaults, parsing, clear messages. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DeploymentConfigError, EXAMPLE_CONTEXT, parseDeploymentConfig, unknownContextKeys } from '../../infra/config';

const problemsOf = (raw: Record<string, unknown>): string[] => {
  try {
    parseDeploymentConfig(raw);
  } catch (error) {
    assert.ok(error instanceof DeploymentConfigError);
    return [...error.problems];
  }
  assert.fail('expected a DeploymentConfigError');
};

/** The README's deploy example: real-looking values, accepted without example=true. */
const REAL_CONTEXT = {
  inboundDomain: 'inbound.acme-recruiting.com',
  defaultSenderDomain: 'mail.acme-recruiting.com',
  defaultFromAddress: 'no-reply@mail.acme-recruiting.com',
  jwtIssuer: 'https://login.acme-recruiting.com/',
  jwtAudience: 'recruiting-mail-api',
};

describe('deployment settings', () => {
  it('without context and without example=true: refused, with the list of what to pass', () => {
    const problems = problemsOf({});
    assert.deepEqual(
      problems.map((problem) => problem.split(':')[0]),
      ['inboundDomain', 'defaultSenderDomain', 'defaultFromAddress', 'jwtIssuer', 'jwtAudience'],
    );
    assert.ok(problems.every((problem) => /missing; .* e\.g\. -c \w+=/.test(problem)), problems.join('\n'));
    try {
      parseDeploymentConfig({});
    } catch (error) {
      assert.match((error as Error).message, /npx cdk synth -c example=true/);
    }
  });

  it('refuses example values (the documented ones, reserved example domains) unless example=true', () => {
    const problems = problemsOf({ ...EXAMPLE_CONTEXT });
    assert.deepEqual(problems.map((problem) => problem.split(':')[0]), ['inboundDomain', 'defaultSenderDomain', 'defaultFromAddress', 'jwtIssuer']);
    assert.ok(problems.every((problem) => problem.includes('is an example value')));
    const reserved = problemsOf({ ...REAL_CONTEXT, inboundDomain: 'inbound.acme.test', jwtIssuer: 'https://auth.example.org/' });
    assert.deepEqual(reserved.map((problem) => problem.split(':')[0]), ['inboundDomain', 'jwtIssuer']);
    assert.equal(parseDeploymentConfig({ ...EXAMPLE_CONTEXT, example: 'true' }).example, true);
  });

  it('activateReceiptRuleSet is false unless set to true; example and it accept only true/false', () => {
    assert.equal(parseDeploymentConfig(REAL_CONTEXT).activateReceiptRuleSet, false);
    assert.equal(parseDeploymentConfig({ ...REAL_CONTEXT, activateReceiptRuleSet: 'true' }).activateReceiptRuleSet, true);
    assert.equal(parseDeploymentConfig({ ...REAL_CONTEXT, activateReceiptRuleSet: true }).activateReceiptRuleSet, true);
    assert.deepEqual(problemsOf({ ...REAL_CONTEXT, activateReceiptRuleSet: 'yes' }), ['activateReceiptRuleSet: expected true or false, got "yes"']);
  });

  it('with example=true and no context: the documented examples and the defaults, each example reported', () => {
    const config = parseDeploymentConfig({ example: 'true' });
    assert.equal(config.inboundDomain, EXAMPLE_CONTEXT.inboundDomain);
    assert.equal(config.tenantClaim, 'company_id');
    assert.equal(config.rolesClaim, 'roles');
    assert.equal(config.natGateways, 1);
    assert.deepEqual(config.egressEipAllocationIds, []);
    assert.equal(config.logRetention, RetentionDays.ONE_MONTH);
    assert.equal(config.dataRemovalPolicy, RemovalPolicy.RETAIN);
    assert.equal(config.alarmEmail, undefined);
    assert.deepEqual(config.examplesUsed, ['inboundDomain', 'defaultSenderDomain', 'defaultFromAddress', 'jwtIssuer', 'jwtAudience']);
  });

  it('corsAllowedOrigins: the local default list unless given; origins only, each problem named', () => {
    assert.deepEqual(parseDeploymentConfig(REAL_CONTEXT).corsAllowedOrigins, ['http://localhost:5173', 'http://localhost:3001']);
    assert.deepEqual(parseDeploymentConfig({ ...REAL_CONTEXT, corsAllowedOrigins: 'https://app.acme.com, https://admin.acme.com:8443/' }).corsAllowedOrigins, [
      'https://app.acme.com',
      'https://admin.acme.com:8443',
    ]);
    const problems = problemsOf({ ...REAL_CONTEXT, corsAllowedOrigins: 'https://app.acme.com/path,*,ftp://x.y' });
    assert.equal(problems.length, 3, problems.join('\n'));
    assert.ok(problems.every((problem) => problem.startsWith('corsAllowedOrigins: ')));
  });

  it('parses -c strings: lists, numbers, policies', () => {
    const config = parseDeploymentConfig({
      ...REAL_CONTEXT,
      jwtAudience: 'web, mobile',
      egressEipAllocationIds: 'eipalloc-0123456789abcdef0 , eipalloc-0fedcba9876543210',
      logRetentionDays: '90',
      dataRemovalPolicy: 'DESTROY',
      alarmEmail: 'ops@example.com',
    });
    assert.deepEqual(config.jwtAudience, ['web', 'mobile']);
    assert.deepEqual(config.egressEipAllocationIds, ['eipalloc-0123456789abcdef0', 'eipalloc-0fedcba9876543210']);
    assert.equal(config.natGateways, 2, 'one NAT gateway per allocation id');
    assert.equal(config.logRetention, RetentionDays.THREE_MONTHS);
    assert.equal(config.dataRemovalPolicy, RemovalPolicy.DESTROY);
    assert.deepEqual(config.examplesUsed, []);
  });

  it("the default provider's guard: the documented defaults, -c strings, and out-of-range values refused", () => {
    assert.deepEqual(parseDeploymentConfig(REAL_CONTEXT).defaultProviderGuard, { maxBounceRate: 0.04, maxComplaintRate: 0.0008, minSends: 50, windowDays: 7 });
    const given = parseDeploymentConfig({
      ...REAL_CONTEXT,
      defaultProviderMaxBounceRate: '0.03',
      defaultProviderMaxComplaintRate: '0.0005',
      defaultProviderMinSends: '200',
      defaultProviderWindowDays: '14',
    });
    assert.deepEqual(given.defaultProviderGuard, { maxBounceRate: 0.03, maxComplaintRate: 0.0005, minSends: 200, windowDays: 14 });
    const problems = problemsOf({ ...REAL_CONTEXT, defaultProviderMaxBounceRate: '4%', defaultProviderMaxComplaintRate: '1.5', defaultProviderMinSends: '0', defaultProviderWindowDays: 'week' });
    assert.deepEqual(
      problems.map((problem) => problem.split(':')[0]),
      ['defaultProviderMaxBounceRate', 'defaultProviderMaxComplaintRate', 'defaultProviderMinSends', 'defaultProviderWindowDays'],
    );
  });

  it('reports every problem at once, naming the setting and what was given', () => {
    const problems = problemsOf({
      inboundDomain: 'not a domain',
      defaultSenderDomain: 'mail.example.com',
      defaultFromAddress: 'no-reply@other.example.com',
      jwtIssuer: 'http://auth.example.com',
      egressEipAllocationIds: 'eip-123',
      natGateways: '3',
      logRetentionDays: '31',
      dataRemovalPolicy: 'snapshot',
      alarmEmail: 'ops',
      tenantClaim: 'company id',
    });
    const expectations = [
      /^inboundDomain: .*"not a domain"/,
      /^defaultFromAddress: must be an address at defaultSenderDomain \(mail\.example\.com\)/,
      /^jwtIssuer: expected the https URL/,
      /^egressEipAllocationIds: "eip-123" is not an Elastic IP allocation id/,
      /^natGateways: expected a whole number from 1 to 2, got "3"/,
      /^logRetentionDays: CloudWatch Logs accepts only .*got 31/,
      /^dataRemovalPolicy: expected "retain" .* got "snapshot"/,
      /^alarmEmail: expected an e-mail address, got "ops"/,
      /^tenantClaim: expected a JWT claim name, got "company id"/,
    ];
    for (const expectation of expectations) {
      assert.ok(problems.some((problem) => expectation.test(problem)), `no problem matches ${expectation}:\n${problems.join('\n')}`);
    }
  });

  it('NAT count must match the given allocation ids', () => {
    const problems = problemsOf({ ...REAL_CONTEXT, egressEipAllocationIds: 'eipalloc-0123456789abcdef0', natGateways: 2 });
    assert.deepEqual(problems, [
      'natGateways: 2 NAT gateways need exactly 2 egressEipAllocationIds, got 1 (omit natGateways to use one NAT gateway per given allocation id)',
    ]);
    assert.deepEqual(problemsOf({ ...REAL_CONTEXT, egressEipAllocationIds: 'eipalloc-0123456789abcdef0,eipalloc-0123456789abcdef0' }), [
      'egressEipAllocationIds: the same allocation id is listed twice (each NAT gateway needs its own)',
    ]);
  });

  it('the error message lists the problems, one a line', () => {
    assert.throws(() => parseDeploymentConfig({ ...REAL_CONTEXT, natGateways: 'two' }), {
      name: 'DeploymentConfigError',
      message: [
        'Invalid deployment settings (CDK context):',
        '  - natGateways: expected a whole number from 1 to 2, got "two"',
        'Pass each with -c name=value (see "Deploying to AWS" in the README).',
        'To synthesize the documented example offline instead (never deployable): npx cdk synth -c example=true',
      ].join('\n'),
    });
  });

  it('flags unknown context keys but not CDK flags', () => {
    assert.deepEqual(
      unknownContextKeys({ inboundDomain: 'x', inbounDomain: 'typo', '@aws-cdk/core:checkSecretUsage': true, 'aws:cdk:enable-path-metadata': true }),
      ['inbounDomain'],
    );
  });
});
