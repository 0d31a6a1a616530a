/**
 * The bundling options and `NODE_OPTIONS` of the deployed functions, read from the source of
 * the construct that builds every Lambda (infra/constructs/function-with-log-group.ts), and
 * turned into esbuild options the way aws-cdk-lib's NodejsFunction turns them into its esbuild
 * command line. The construct stays the one place these facts are written; the bench follows
 * it, and says so when it meets an option it does not know how to reproduce.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BuildOptions } from 'esbuild';
import ts from 'typescript';

export const CONSTRUCT_FILE = 'infra/constructs/function-with-log-group.ts';

type Literal = string | number | boolean | Literal[] | { [key: string]: Literal };

export interface DeployedBundling {
  /** esbuild options equal to NodejsFunction's command line, minus entry and outfile. */
  esbuild: BuildOptions;
  /** The output file name NodejsFunction uses (`index.mjs` for ESM). */
  outFileName: string;
  /** `NODE_OPTIONS` the construct sets on every function, if any. */
  nodeOptions: string | undefined;
  /** One line per option, for the table's notes. */
  summary: string;
  /** Options the bench could not read or reproduce: the measurement differs from AWS by these. */
  gaps: string[];
}

/** The enums the construct may name, by the name it imports them under. */
async function knownEnums(): Promise<Record<string, Record<string, string>>> {
  const nodejs = await import('aws-cdk-lib/aws-lambda-nodejs');
  const lambda = await import('aws-cdk-lib/aws-lambda');
  const runtimes: Record<string, string> = {};
  for (const [name, value] of Object.entries(lambda.Runtime)) {
    if (value instanceof lambda.Runtime) runtimes[name] = value.name;
  }
  return {
    OutputFormat: nodejs.OutputFormat as unknown as Record<string, string>,
    SourceMapMode: nodejs.SourceMapMode as unknown as Record<string, string>,
    LogLevel: nodejs.LogLevel as unknown as Record<string, string>,
    Charset: nodejs.Charset as unknown as Record<string, string>,
    Runtime: runtimes,
  };
}

/** The value of a literal expression, or undefined when it is not one the bench can read. */
function evaluate(node: ts.Expression, enums: Record<string, Record<string, string>>): Literal | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isNumericLiteral(node)) return Number(node.text);
  if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (node.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node)) return evaluate(node.expression, enums);
  if (ts.isArrayLiteralExpression(node)) {
    const items = node.elements.map((element) => evaluate(element, enums));
    return items.every((item) => item !== undefined) ? (items as Literal[]) : undefined;
  }
  if (ts.isObjectLiteralExpression(node)) {
    const object: Record<string, Literal> = {};
    for (const property of node.properties) {
      if (!ts.isPropertyAssignment(property)) return undefined;
      const value = evaluate(property.initializer, enums);
      if (value === undefined) return undefined;
      object[propertyName(property.name)] = value;
    }
    return object;
  }
  if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
    return enums[node.expression.text]?.[node.name.text];
  }
  return undefined;
}

function propertyName(name: ts.PropertyName): string {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) ? name.text : name.getText();
}

/** Every `name: value` property assignment in the file, in source order. */
function propertyAssignments(source: ts.SourceFile, name: string): ts.PropertyAssignment[] {
  const found: ts.PropertyAssignment[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isPropertyAssignment(node) && propertyName(node.name) === name) found.push(node);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** What NodejsFunction does with each bundling prop (aws-cdk-lib/aws-lambda-nodejs/lib/bundling.js, buildEsbuildArgs). */
function toEsbuild(props: Record<string, Literal>, runtimeName: string | undefined, gaps: string[]): BuildOptions {
  const options: BuildOptions = { bundle: true, platform: 'node' };
  const handled = new Set<string>();
  const take = <T extends Literal>(key: string): T | undefined => {
    handled.add(key);
    return props[key] as T | undefined;
  };
  // Where the bundling runs changes nothing in the output: the local esbuild is the one measured.
  take('forceDockerBundling');
  take('dockerImage');

  const runtimeTarget = runtimeName && /^nodejs(\d+)/.exec(runtimeName)?.[1];
  options.target = take<string>('target') ?? (runtimeTarget ? `node${runtimeTarget}` : undefined);
  if (options.target === undefined) gaps.push('no target and no readable runtime: esbuild default target used');
  const format = take<string>('format');
  if (format !== undefined) options.format = format as BuildOptions['format'];
  options.minify = take<boolean>('minify') === true;

  const sourceMap = take<boolean>('sourceMap');
  const sourceMapMode = take<string>('sourceMapMode');
  if (sourceMapMode ?? sourceMap) {
    // `--sourcemap` (mode default) is esbuild's linked map: a .map file and a sourceMappingURL comment.
    options.sourcemap = sourceMapMode === undefined || sourceMapMode === 'default' ? 'linked' : (sourceMapMode as BuildOptions['sourcemap']);
  }
  const sourcesContent = take<boolean>('sourcesContent');
  if (sourcesContent === false) options.sourcesContent = false;

  // With the SDK bundled there are no default externals (Node 18+ runtimes otherwise leave @aws-sdk/* out).
  const bundleAwsSdk = take<boolean>('bundleAwsSDK') === true;
  const externals = (take<string[]>('externalModules') as string[] | undefined) ?? (bundleAwsSdk ? [] : ['@aws-sdk/*']);
  const nodeModules = (take<string[]>('nodeModules') as string[] | undefined) ?? [];
  if (nodeModules.length > 0) gaps.push(`nodeModules ${nodeModules.join(', ')} are installed beside the bundle on AWS: here they stay external and resolve from this repo's node_modules`);
  const external = [...externals, ...nodeModules];
  if (external.length > 0) options.external = external;

  const loader = take<Record<string, string>>('loader');
  if (loader) options.loader = loader as BuildOptions['loader'];
  const define = take<Record<string, string>>('define');
  if (define) options.define = define as Record<string, string>;
  const keepNames = take<boolean>('keepNames');
  if (keepNames) options.keepNames = true;
  const tsconfig = take<string>('tsconfig');
  if (tsconfig) options.tsconfig = tsconfig;
  take('metafile'); // only writes a file beside the bundle
  take('logLevel'); // only what esbuild prints
  const banner = take<string>('banner');
  if (banner) options.banner = { js: banner };
  const footer = take<string>('footer');
  if (footer) options.footer = { js: footer };
  const mainFields = take<string[]>('mainFields');
  if (mainFields) options.mainFields = mainFields as string[];
  const inject = take<string[]>('inject');
  if (inject) options.inject = inject as string[];
  const charset = take<string>('charset');
  if (charset) options.charset = charset as BuildOptions['charset'];

  for (const key of Object.keys(props)) {
    if (!handled.has(key)) gaps.push(`bundling option ${key} is not reproduced by the bench`);
  }
  return options;
}

export async function readDeployedBundling(root: string): Promise<DeployedBundling> {
  const file = path.join(root, CONSTRUCT_FILE);
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const enums = await knownEnums();
  const gaps: string[] = [];

  const bundlingNodes = propertyAssignments(source, 'bundling');
  if (bundlingNodes.length !== 1) throw new Error(`${CONSTRUCT_FILE}: expected one \`bundling:\` property, found ${bundlingNodes.length}`);
  const bundlingNode = bundlingNodes[0].initializer;
  if (!ts.isObjectLiteralExpression(bundlingNode)) throw new Error(`${CONSTRUCT_FILE}: \`bundling\` is not an object literal`);
  const props: Record<string, Literal> = {};
  for (const property of bundlingNode.properties) {
    if (!ts.isPropertyAssignment(property)) {
      gaps.push(`bundling: \`${property.getText().slice(0, 40)}\` is not a plain property`);
      continue;
    }
    const value = evaluate(property.initializer, enums);
    if (value === undefined) gaps.push(`bundling option ${propertyName(property.name)} = \`${property.initializer.getText()}\` could not be read`);
    else props[propertyName(property.name)] = value;
  }

  const runtimeNode = propertyAssignments(source, 'runtime')[0];
  const runtimeName = runtimeNode ? evaluate(runtimeNode.initializer, enums) : undefined;

  const nodeOptionsNodes = propertyAssignments(source, 'NODE_OPTIONS');
  let nodeOptions: string | undefined;
  if (nodeOptionsNodes.length > 1) gaps.push('NODE_OPTIONS is set in more than one place: the first is used');
  if (nodeOptionsNodes.length > 0) {
    const value = evaluate(nodeOptionsNodes[0].initializer, enums);
    if (typeof value === 'string') nodeOptions = value;
    else gaps.push(`NODE_OPTIONS = \`${nodeOptionsNodes[0].initializer.getText()}\` could not be read`);
  }

  const esbuild = toEsbuild(props, typeof runtimeName === 'string' ? runtimeName : undefined, gaps);
  const outFileName = esbuild.format === 'esm' ? 'index.mjs' : 'index.js';
  const summary = [
    `format ${esbuild.format ?? 'esbuild default'}`,
    `target ${esbuild.target ?? '-'}`,
    esbuild.minify ? 'minify' : 'no minify',
    esbuild.sourcemap ? `source map ${esbuild.sourcemap}${esbuild.sourcesContent === false ? ' without sources' : ''}` : 'no source map',
    esbuild.external ? `external ${esbuild.external.join(' ')}` : 'AWS SDK bundled',
    esbuild.mainFields ? `main fields ${esbuild.mainFields.join(',')}` : undefined,
    esbuild.banner ? 'banner' : undefined,
    `NODE_OPTIONS ${nodeOptions === undefined ? 'unset' : `'${nodeOptions}'`}`,
  ]
    .filter(Boolean)
    .join(', ');
  return { esbuild, outFileName, nodeOptions, summary, gaps };
}
