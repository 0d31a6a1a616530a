/**
 * Handler cold start: each Lambda entry is bundled the way the CDK construct bundles it
 * (infra/constructs/function-with-log-group.ts), minus the source map, and imported in a fresh
 * Node process per sample. The empty handler, bundled the same way, is the baseline: what
 * Node itself costs before any of our code runs.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { median, ms, percentile, printSkip, printTable, bytes, type Cell } from './report';

const run = promisify(execFile);

const SECTION = '1. Cold start: import time of each bundled handler in a fresh node process';
const SAMPLES = 5;

/** The Lambda entry points, relative to the repository root; optional ones may not exist yet. */
const ENTRIES: Array<{ entry: string; optional?: boolean }> = [
  { entry: 'functions/platform/api.ts' },
  { entry: 'functions/email-settings/api.ts' },
  { entry: 'functions/candidates/api.ts' },
  { entry: 'functions/messages/api.ts' },
  { entry: 'functions/messages/send-worker.ts' },
  { entry: 'functions/inbound/receive.ts', optional: true },
];

const CONSTRUCT_FILE = 'infra/constructs/function-with-log-group.ts';
const FALLBACK_BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/** The bundling options the construct gives NodejsFunction, read from its source so the two stay in step. */
function cdkBundling(root: string): { format: 'esm' | 'cjs'; banner: string | undefined; note: string } {
  const file = path.join(root, CONSTRUCT_FILE);
  if (!existsSync(file)) return { format: 'esm', banner: FALLBACK_BANNER, note: `${CONSTRUCT_FILE} not found: assumed ESM with the createRequire banner` };
  const source = readFileSync(file, 'utf8');
  const format = /OutputFormat\.CJS/.test(source) ? 'cjs' : 'esm';
  const banner = /banner:\s*(["'`])((?:(?!\1).)*)\1/.exec(source)?.[2];
  return { format, banner, note: `options from ${CONSTRUCT_FILE}: format ${format}, platform node, target node22, minify, bundled AWS SDK${banner ? ', banner' : ''}; no source map` };
}

/** The dummy configuration the handlers read at import time (nothing is contacted). */
function handlerEnvironment(tempDir: string): NodeJS.ProcessEnv {
  const keyFile = path.join(tempDir, 'local-master.key');
  // Created up front so every sample takes the same path (read, not create); it protects nothing.
  if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TABLE_NAME: 'bench-table',
    MAIL_BUCKET: 'bench-bucket',
    INBOUND_DOMAIN: 'inbound.bench.example',
    DEFAULT_FROM_ADDRESS: 'no-reply@mail.bench.example',
    DEFAULT_SENDER_DOMAIN: 'mail.bench.example',
    LOCAL_MASTER_KEY_FILE: keyFile,
    SEND_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/000000000000/bench-send',
    EGRESS_IPS: '198.51.100.7,198.51.100.8',
    JWT_ISSUER: 'https://issuer.bench.example',
    JWT_AUDIENCE: 'recruiting-mail',
    LOCAL_JWT_SECRET: 'bench-secret',
    AWS_REGION: 'eu-central-1',
    AWS_ACCESS_KEY_ID: 'AKIABENCHBENCHBENCH0',
    AWS_SECRET_ACCESS_KEY: 'bench-secret-access-key',
    POWERTOOLS_SERVICE_NAME: 'bench',
    LOG_LEVEL: 'WARN',
  };
}

/** Imports the bundle once and reports what it cost; runs as its own process per sample. */
const PROBE = `
const started = performance.now();
const mod = await import(process.argv[2]);
const importMs = performance.now() - started;
if (typeof mod.handler !== 'function') throw new Error('no handler export');
process.stdout.write(JSON.stringify({ importMs, readyMs: performance.now(), rss: process.memoryUsage().rss }));
process.exit(0);
`;

interface Sample {
  importMs: number;
  /** From process start (performance.timeOrigin) to the handler being ready. */
  readyMs: number;
  rss: number;
}

export async function benchColdStart(root: string, tempRoot: string): Promise<void> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    printSkip(SECTION, 'esbuild is not installed');
    return;
  }
  try {
    await measureBundles(esbuild, root, tempRoot);
  } finally {
    // The esbuild service is a child process: stop it so the bench leaves nothing running.
    await esbuild.stop();
  }
}

async function measureBundles(esbuild: typeof import('esbuild'), root: string, tempRoot: string): Promise<void> {
  const tempDir = path.join(tempRoot, 'cold-start');
  mkdirSync(tempDir, { recursive: true });
  const bundling = cdkBundling(root);
  const probe = path.join(tempDir, 'probe.mjs');
  writeFileSync(probe, PROBE);
  const emptyEntry = path.join(tempDir, 'empty-handler.ts');
  writeFileSync(emptyEntry, 'export const handler = async () => ({ statusCode: 200 });\n');
  const env = handlerEnvironment(tempDir);

  const targets: Array<{ name: string; file: string }> = [{ name: '(empty handler)', file: emptyEntry }];
  const notes: string[] = [bundling.note];
  for (const { entry, optional } of ENTRIES) {
    const file = path.join(root, entry);
    if (existsSync(file)) targets.push({ name: entry, file });
    else notes.push(`${entry}: ${optional ? 'not written yet' : 'missing'}, skipped`);
  }

  const rows: Cell[][] = [];
  let baseline = Number.NaN;
  for (const [index, target] of targets.entries()) {
    const outfile = path.join(tempDir, `bundle-${index}`, bundling.format === 'esm' ? 'index.mjs' : 'index.js');
    const buildStarted = performance.now();
    try {
      await esbuild.build({
        entryPoints: [target.file],
        outfile,
        bundle: true,
        platform: 'node',
        target: 'node22',
        format: bundling.format,
        mainFields: ['module', 'main'],
        minify: true,
        sourcemap: false,
        ...(bundling.banner ? { banner: { js: bundling.banner } } : {}),
        absWorkingDir: root,
        logLevel: 'silent',
      });
    } catch (error) {
      rows.push([target.name, 'build failed', '-', '-', '-', '-', '-', '-']);
      notes.push(`${target.name}: ${String((error as Error).message).split('\n')[0]}`);
      continue;
    }
    const buildMs = performance.now() - buildStarted;
    const samples: Sample[] = [];
    let failure: string | undefined;
    for (let sample = 0; sample < SAMPLES; sample += 1) {
      try {
        const { stdout } = await run(process.execPath, [probe, outfile], { env, cwd: tempDir, timeout: 30_000 });
        samples.push(JSON.parse(stdout) as Sample);
      } catch (error) {
        failure = String((error as { stderr?: string }).stderr || (error as Error).message)
          .split('\n')
          .find((line) => /error/i.test(line)) ?? 'import failed';
        break;
      }
    }
    if (failure !== undefined) {
      rows.push([target.name, bytes(statSync(outfile).size), ms(buildMs), 'import failed', '-', '-', '-', '-']);
      notes.push(`${target.name}: ${failure.trim()}`);
      continue;
    }
    const imports = samples.map((sample) => sample.importMs);
    const importMedian = median(imports);
    if (index === 0) baseline = importMedian;
    rows.push([
      target.name,
      bytes(statSync(outfile).size),
      ms(buildMs),
      ms(importMedian),
      ms(percentile(imports, 90)),
      index === 0 ? '-' : ms(importMedian - baseline),
      ms(median(samples.map((sample) => sample.readyMs))),
      bytes(median(samples.map((sample) => sample.rss))),
    ]);
  }
  notes.push(
    `${SAMPLES} samples each, one fresh \`node\` ${process.version} process per sample; import = dynamic import() of the bundle,`,
    'ready = from process start to the handler exported; rss after the import. Dummy env (nothing contacted).',
  );
  printTable(SECTION, ['handler', 'bundle', 'build', 'import p50', 'import p90', 'vs empty', 'ready p50', 'rss p50'], rows, notes);
}
