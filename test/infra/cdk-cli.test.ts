import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

/** The README's deploy example, as an operator types it. */
const README_CONTEXT = [
  'inboundDomain=inbound.acme-recruiting.com',
  'defaultSenderDomain=mail.acme-recruiting.com',
  'defaultFromAddress=no-reply@mail.acme-recruiting.com',
  'jwtIssuer=https://login.acme-recruiting.com/',
  'jwtAudience=recruiting-mail-api',
  'alarmEmail=ops@acme-recruiting.com',
];

const outDirs: string[] = [];
after(() => outDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/**
 * `cdk synth` offline: no AWS credentials, profile or region in the environment, no version
 * check or notices, and no instance-metadata lookup (nothing may leave this machine).
 */
function synth(context: string[]) {
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-out-'));
  outDirs.push(outdir);
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && name !== 'CDK_DEFAULT_ACCOUNT'));
  const args = ['synth', '--quiet', '--no-notices', '--output', outdir, ...context.flatMap((item) => ['-c', item])];
  const run = spawnSync(join('node_modules', '.bin', 'cdk'), args, {
    env: { ...env, HOME: outdir, AWS_EC2_METADATA_DISABLED: 'true', CDK_DISABLE_VERSION_CHECK: '1' },
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { ...run, outdir };
}

/**
 * Every Lambda's asset is a split bundle Lambda can load: `index.mjs` exporting `handler`, and
 * chunks that all parse and link (a chunk only a later request loads must not fail then).
 */
function assertFunctionAssetsLoad(outdir: string, template: { Resources: Record<string, { Type: string; Properties: any }> }): void {
  // Ours are bundled assets; CDK's own inline helpers (the bucket-notification handler) are not.
  const functions = Object.values(template.Resources).filter(
    (resource) => resource.Type === 'AWS::Lambda::Function' && resource.Properties.Handler === 'index.handler' && resource.Properties.Code?.S3Key !== undefined,
  );
  assert.ok(functions.length >= 8, `expected the backend's functions, found ${functions.length}`);
  for (const fn of functions) {
    const asset = join(outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
    assert.ok(existsSync(join(asset, 'index.mjs')), `${asset}/index.mjs`);
    const chunks = existsSync(join(asset, 'chunks')) ? readdirSync(join(asset, 'chunks')).filter((name) => name.endsWith('.mjs')) : [];
    const load = [
      `const { handler } = await import(${JSON.stringify(join(asset, 'index.mjs'))});`,
      "if (typeof handler !== 'function') throw new Error('no handler export');",
      `for (const chunk of ${JSON.stringify(chunks.map((name) => join(asset, 'chunks', name)))}) await import(chunk);`,
    ].join('\n');
    // The function's own environment; values CloudFormation resolves at deploy get stand-ins.
    const variables = Object.entries((fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : name.endsWith('_URL') ? 'https://sqs.eu-central-1.amazonaws.com/000000000000/resolved-at-deploy' : 'resolved-at-deploy',
    ]);
    const env = { PATH: process.env.PATH, AWS_REGION: 'eu-central-1', ...Object.fromEntries(variables) };
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', load], { encoding: 'utf8', env, timeout: 60_000 });
    assert.equal(run.status, 0, `${fn.Properties.Description} (${Object.keys(env).join(" ")}): ${run.stderr.slice(-600)}`);
  }
}

describe('npx cdk synth (the CLI, offline, without credentials)', () => {
  it('synthesizes the README example', () => {
    const run = synth(README_CONTEXT);
    assert.equal(run.status, 0, run.stderr);
    const template = JSON.parse(readFileSync(join(run.outdir, 'RecruitingMailBackend.template.json'), 'utf8'));
    assert.ok(template.Outputs.ApiUrl && template.Outputs.EgressIps && template.Outputs.InboundMxRecord);
    const rules = Object.values(template.Resources as Record<string, { Type: string; Properties: { Rule?: { Recipients?: string[] } } }>).filter(
      (resource) => resource.Type === 'AWS::SES::ReceiptRule',
    );
    assert.deepEqual(rules[0].Properties.Rule?.Recipients, ['inbound.acme-recruiting.com']);
    assertFunctionAssetsLoad(run.outdir, template);
  });

  it('refuses a synth without context (a real deployment needs real values), listing what to pass', () => {
    const run = synth([]);
    assert.notEqual(run.status, 0);
    const output = run.stderr + run.stdout;
    for (const key of ['inboundDomain', 'defaultSenderDomain', 'defaultFromAddress', 'jwtIssuer', 'jwtAudience']) {
      assert.match(output, new RegExp(`- ${key}: missing; .*-c ${key}=`), output);
    }
    assert.match(output, /npx cdk synth -c example=true/);
  });

  it('refuses invalid settings with a message naming the setting', () => {
    const run = synth([...README_CONTEXT, 'natGateways=7']);
    assert.notEqual(run.status, 0);
    assert.match(run.stderr + run.stdout, /natGateways/);
  });
});
