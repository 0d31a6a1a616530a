/**
 * Handler cold start: each Lambda entry is bundled by the function the CDK construct bundles
 * with (infra/bundling/function-bundle.ts: same options, code splitting and source maps
 * included) and imported in a fresh Node process per sample, run with the functions'
 * `NODE_OPTIONS`. The empty handler, bundled and run the same way, is the baseline: what Node
 * itself costs before any of our code runs; "over empty" is the figure issue 12 quotes.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { FUNCTION_NODE_OPTIONS, bundleFunction } from '../infra/bundling/function-bundle';
import { median, ms, printSkip, printTable, bytes, type Cell } from './report';

const run = promisify(execFile);

const SECTION = '1. Cold start: import time of each handler, bundled and run as deployed, in a fresh node process';
const SAMPLES = 7;

/**
 * The Lambda entry points, relative to the repository root, with the import time over the
 * empty module that issue 12 measured before its work ("old") and the goal it sets.
 */
const ENTRIES: Array<{ entry: string; old: number; goal: number }> = [
  { entry: 'functions/platform/api.ts', old: 40, goal: 60 },
  { entry: 'functions/email-settings/api.ts', old: 107, goal: 60 },
  { entry: 'functions/candidates/api.ts', old: 79, goal: 60 },
  { entry: 'functions/messages/api.ts', old: 102, goal: 60 },
  { entry: 'functions/messages/send-worker.ts', old: 90, goal: 120 },
  { entry: 'functions/inbound/receive.ts', old: 148, goal: 120 },
];

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

/**
 * Imports the bundle once and reports what it cost, then what loading, on top, the modules every
 * first request loads (argv[3], a JSON list: an API function's operation handlers) and then all
 * other modules our code imports on demand (argv[4]) costs; runs as its own process per sample.
 */
const PROBE = `
const cpuBefore = process.cpuUsage();
const started = performance.now();
const mod = await import(process.argv[2]);
const importMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
if (typeof mod.handler !== 'function') throw new Error('no handler export');
const readyMs = performance.now();
const load = async (chunks) => {
  const loadStarted = performance.now();
  for (const chunk of chunks) await import(chunk);
  return performance.now() - loadStarted;
};
const firstRequestMs = await load(JSON.parse(process.argv[3]));
const onDemandMs = firstRequestMs + (await load(JSON.parse(process.argv[4])));
process.stdout.write(JSON.stringify({ importMs, importCpuMs: (cpu.user + cpu.system) / 1000, readyMs, firstRequestMs, onDemandMs }));
process.exit(0);
`;

interface Sample {
  importMs: number;
  /** User + system CPU time of the import (all threads): less sensitive than wall time to other work on the machine. */
  importCpuMs: number;
  /** From process start (performance.timeOrigin) to the handler being ready. */
  readyMs: number;
  /** Loading, after the handler, what every first request loads (an API function's operation handlers). */
  firstRequestMs: number;
  /** Loading, after the handler, every module our code imports on demand (all routes' or ways' code). */
  onDemandMs: number;
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
    await measureBundles(root, tempRoot);
  } finally {
    // The esbuild service is a child process: stop it so the bench leaves nothing running.
    await esbuild.stop();
  }
}

/** The output files (relative to the project root) that loading `index.mjs` loads: its static import closure. */
function loadedAtStart(metafile: Metafile, outdir: string, root: string): string[] {
  const index = path.relative(root, path.join(outdir, 'index.mjs'));
  const loaded = new Set<string>();
  const visit = (file: string) => {
    if (loaded.has(file) || metafile.outputs[file] === undefined) return;
    loaded.add(file);
    for (const imported of metafile.outputs[file].imports) if (imported.kind === 'import-statement') visit(imported.path);
  };
  visit(index);
  return [...loaded];
}

/** The packages (or our top-level folders) that take most of the given output files, largest first. */
function heaviestPackages(metafile: Metafile, files: string[], count = 6): string {
  const byPackage = new Map<string, number>();
  for (const file of files) {
    for (const [input, { bytesInOutput }] of Object.entries(metafile.outputs[file].inputs)) {
      const inPackage = input.split('node_modules/').at(-1)!;
      const parts = inPackage.split('/');
      const name = inPackage === input ? parts.slice(0, 2).join('/') : parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...byPackage.entries()]
    .filter(([, size]) => size > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, size]) => `${name} ${bytes(size)}`)
    .join(', ');
}

const sizeOf = (root: string, files: string[]): number => files.reduce((sum, file) => sum + statSync(path.join(root, file)).size, 0);

const signed = (value: number): string => (Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${ms(value)}` : '-');

async function measureBundles(root: string, tempRoot: string): Promise<void> {
  const tempDir = path.join(tempRoot, 'cold-start');
  mkdirSync(tempDir, { recursive: true });
  const probe = path.join(tempDir, 'probe.mjs');
  writeFileSync(probe, PROBE);
  const emptyEntry = path.join(tempDir, 'empty-handler.ts');
  writeFileSync(emptyEntry, 'export const handler = async () => ({ statusCode: 200 });\n');
  const env = { ...handlerEnvironment(tempDir), NODE_OPTIONS: FUNCTION_NODE_OPTIONS };

  const targets: Array<{ name: string; entry: string; old?: number; goal?: number }> = [{ name: '(empty handler)', entry: emptyEntry }];
  const notes: string[] = [`as deployed: bundled by infra/bundling/function-bundle.ts (the construct's bundler), NODE_OPTIONS '${FUNCTION_NODE_OPTIONS}'`];
  for (const { entry, old, goal } of ENTRIES) {
    if (existsSync(path.join(root, entry))) targets.push({ name: entry, entry, old, goal });
    else notes.push(`${entry}: missing, skipped`);
  }

  const rows: Cell[][] = [];
  const heaviest: string[] = [];
  let baseline: Sample | undefined;
  for (const [index, target] of targets.entries()) {
    const outdir = path.join(tempDir, `bundle-${index}`);
    const outfile = path.join(outdir, 'index.mjs');
    const buildStarted = performance.now();
    let atStart: string[];
    let onDemand: string[];
    let ownOnDemand: string[];
    let firstRequest: string[];
    try {
      const { metafile } = await bundleFunction(target.entry, outdir);
      const code = Object.keys(metafile.outputs).filter((file) => file.endsWith('.mjs'));
      atStart = loadedAtStart(metafile, outdir, root);
      onDemand = code.filter((file) => !atStart.includes(file));
      // Our own lazily imported modules (route handlers, ways of sending), not the SDK's optional credential providers.
      ownOnDemand = onDemand.filter((file) => metafile.outputs[file].entryPoint?.includes('node_modules/') === false);
      firstRequest = ownOnDemand.filter((file) => metafile.outputs[file].entryPoint?.endsWith('operation-handlers.ts'));
      if (index > 0) heaviest.push(`${target.name}: ${heaviestPackages(metafile, atStart)}`);
    } catch (error) {
      rows.push([target.name, 'build failed', ...Array(12).fill('-')]);
      notes.push(`${target.name}: ${String((error as Error).message).split('\n')[0]}`);
      continue;
    }
    const buildMs = performance.now() - buildStarted;
    const mapSize = bytes(sizeOf(root, atStart.map((file) => `${file}.map`).filter((file) => existsSync(path.join(root, file)))));
    const samples: Sample[] = [];
    let failure: string | undefined;
    for (let sample = 0; sample < SAMPLES; sample += 1) {
      try {
        const absolute = (files: string[]) => JSON.stringify(files.map((file) => path.join(root, file)));
        const rest = ownOnDemand.filter((file) => !firstRequest.includes(file));
        const { stdout } = await run(process.execPath, [probe, outfile, absolute(firstRequest), absolute(rest)], { env, cwd: tempDir, timeout: 30_000 });
        samples.push(JSON.parse(stdout) as Sample);
      } catch (error) {
        failure = String((error as { stderr?: string }).stderr || (error as Error).message)
          .split('\n')
          .find((line) => /error/i.test(line)) ?? 'import failed';
        break;
      }
    }
    if (failure !== undefined) {
      rows.push([target.name, bytes(sizeOf(root, atStart)), bytes(sizeOf(root, onDemand)), mapSize, ms(buildMs), 'import failed', ...Array(8).fill('-')]);
      notes.push(`${target.name}: ${failure.trim()}`);
      continue;
    }
    const p50 = (pick: (sample: Sample) => number) => median(samples.map(pick));
    const sampleP50: Sample = {
      importMs: p50((s) => s.importMs),
      importCpuMs: p50((s) => s.importCpuMs),
      readyMs: p50((s) => s.readyMs),
      firstRequestMs: p50((s) => s.firstRequestMs),
      onDemandMs: p50((s) => s.onDemandMs),
    };
    if (index === 0) baseline = sampleP50;
    const overEmpty = baseline === undefined || index === 0 ? Number.NaN : sampleP50.importMs - baseline.importMs;
    rows.push([
      target.name,
      bytes(sizeOf(root, atStart)),
      bytes(sizeOf(root, onDemand)),
      mapSize,
      ms(buildMs),
      ms(sampleP50.importMs),
      index === 0 ? '-' : ms(overEmpty),
      target.old === undefined ? '-' : ms(target.old),
      target.old === undefined ? '-' : signed(overEmpty - target.old),
      target.goal === undefined ? '-' : `<= ${target.goal} ms`,
      baseline === undefined || index === 0 ? '-' : ms(sampleP50.importCpuMs - baseline.importCpuMs),
      ms(sampleP50.readyMs),
      firstRequest.length === 0 ? '-' : `+${ms(sampleP50.firstRequestMs)}`,
      ownOnDemand.length === 0 ? '-' : `+${ms(sampleP50.onDemandMs)}`,
    ]);
  }
  const load = os.loadavg().map((value) => value.toFixed(2)).join(' ');
  notes.push(
    `median of ${SAMPLES} samples, one fresh \`node\` ${process.version} process per sample; import = dynamic import() of the bundle;`,
    'over empty = import p50 minus the empty handler\'s (the measure of issue 12); old = issue 12\'s figure before its work;',
    'cpu over empty = user+system CPU of the import minus the empty handler\'s (steadier than wall time on a busy machine);',
    `ready = from process start to the handler exported. Dummy env (nothing contacted). Load average now: ${load} on ${os.cpus().length} CPU(s).`,
  );
  notes.push(
    'at start = index.mjs and the chunks it imports statically (what a cold start compiles); on demand = chunks loaded by a request that needs them;',
    'map = source maps of the files loaded at start (Node reads them as it loads each file);',
    'first request = after the handler, importing what every first request loads (an API function\'s operation handlers; a route\'s own modules come on top);',
    'all later = after the handler, importing every module our code loads on demand (all routes\' modules, both ways of sending): the most the first requests add.',
    'largest parts of what loads at start (bytes of minified output by package):',
    ...heaviest.map((line) => `  ${line}`),
  );
  printTable(
    SECTION,
    ['handler', 'at start', 'on demand', 'map', 'build', 'import p50', 'over empty', 'old', 'change', 'goal', 'cpu over empty', 'ready p50', 'first request', 'all later'],
    rows,
    notes,
  );
}
