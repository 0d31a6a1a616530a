/**
 * How every Lambda of the backend is bundled and started: the one place for the esbuild
 * options, the runtime and `NODE_OPTIONS`. The CDK construct bundles each function through
 * `bundleFunction` (in a child process: CDK's local bundling is synchronous, esbuild's plugins
 * are not), and `npm run bench` bundles through the same function, so the cold start it
 * measures is the deployed one.
 *
 * Why not NodejsFunction's own bundling: it writes one file, so V8 compiles the code of every
 * route at cold start even when a route's modules are imported lazily. Here esbuild splits the
 * bundle at each dynamic `import()`: the entry and what it imports statically form `index.mjs`,
 * the rest lands in `chunks/` and is compiled only when a request needs it.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions, BuildResult, Plugin } from 'esbuild';

/** The repository root: entries are given relative to it (`functions/platform/api.ts`). */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..', '..');

/** The Lambda runtime every function runs on; the bundle targets the same Node version. */
export const FUNCTION_RUNTIME = 'nodejs22.x';

/**
 * Stack traces in the logs point into our sources (`shared/…ts:line`), not into minified
 * chunks. Node reads a chunk's map when it loads the chunk, so only what a request loads costs.
 */
export const FUNCTION_NODE_OPTIONS = '--enable-source-maps';

/** The handler a bundle exports, as Lambda names it: `index.mjs`, export `handler`. */
export const FUNCTION_HANDLER = 'index.handler';

/**
 * Built-in modules whose ESM import reads getters that load heavy internals: Node builds an
 * ES module facade over a built-in by reading every export, so `import { request } from
 * 'node:http'` (the AWS SDK's HTTP handler) also loads undici for `http.WebSocket`, and
 * `node:tls` builds the array of root certificates. Imports of these go through `require`
 * instead, which reads only what the code uses.
 */
const BUILTINS_THROUGH_REQUIRE = ['http', 'https', 'http2', 'tls', 'crypto'];
/** Lazy getters of those modules that the facade must not read. */
const COSTLY_GETTERS = new Set(['WebSocket', 'CloseEvent', 'MessageEvent', 'rootCertificates', 'webcrypto', 'subtle']);

const requireBuiltin = createRequire(import.meta.url);

const builtinsThroughRequire: Plugin = {
  name: 'builtins-through-require',
  setup(build) {
    const filter = new RegExp(`^(node:)?(${BUILTINS_THROUGH_REQUIRE.join('|')})$`);
    build.onResolve({ filter }, (args) =>
      args.kind === 'import-statement' ? { path: args.path.replace(/^node:/, ''), namespace: 'builtin-through-require' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'builtin-through-require' }, (args) => {
      // The names the built-in exports on the Node that bundles (the runtime's major version):
      // a name missing here fails the build ("No matching export"), never the function.
      const builtin = requireBuiltin(`node:${args.path}`) as Record<string, unknown>;
      const names = Object.keys(builtin).filter((name) => !COSTLY_GETTERS.has(name) && /^[A-Za-z_$][\w$]*$/.test(name));
      const contents = [`const builtin = require('node:${args.path}');`, 'export default builtin;', ...names.map((name) => `export const ${name} = builtin.${name};`)].join('\n');
      return { contents, loader: 'js', resolveDir: PROJECT_ROOT };
    });
  },
};

/** The esbuild options of one function's bundle. */
export function functionBuildOptions(entry: string, outdir: string): BuildOptions {
  return {
    entryPoints: [{ in: path.resolve(PROJECT_ROOT, entry), out: 'index' }],
    outdir,
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    splitting: true,
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    target: `node${FUNCTION_RUNTIME.replace(/^nodejs|\.x$/g, '')}`,
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: 'linked',
    sourcesContent: false,
    // The SDK is bundled: the code is tested against the version locked in package-lock.json,
    // and the runtime's bundled copy lags behind and changes underneath us.
    external: [],
    // CommonJS dependencies (nodemailer, mailparser…) call require() on built-ins.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    plugins: [builtinsThroughRequire],
    logLevel: 'warning',
    metafile: true,
  };
}

/** Bundles one function's entry (relative to the repository root) into `outdir`. */
export async function bundleFunction(entry: string, outdir: string): Promise<BuildResult<{ metafile: true }>> {
  const esbuild = await import('esbuild');
  return (await esbuild.build(functionBuildOptions(entry, outdir))) as BuildResult<{ metafile: true }>;
}

const THIS_FILE = fileURLToPath(import.meta.url);

/** `bundleFunction` in a child process, for CDK's synchronous local bundling; throws when it fails. */
export function bundleFunctionSync(entry: string, outdir: string): void {
  const result = spawnSync(process.execPath, ['--import', 'tsx', THIS_FILE, entry, outdir], { cwd: PROJECT_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`bundling ${entry} failed (exit ${result.status ?? result.signal})`);
}

if (process.argv[1] === THIS_FILE) {
  const [entry, outdir] = process.argv.slice(2);
  if (!entry || !outdir) throw new Error('usage: function-bundle.ts <entry> <outdir>');
  const esbuild = await import('esbuild');
  try {
    await bundleFunction(entry, outdir);
  } finally {
    await esbuild.stop();
  }
}
