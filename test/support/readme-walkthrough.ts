/**
 * Reads the README's walk-through (the `sh` blocks under "A walk through the API") into steps of
 * commands, so that a test can send the very requests a newcomer copies: `curl` with `-H`, `-X`,
 * `-d`, `-o` and `-w` as curl sends them, `ls`, and `npm run <script> -- <args>` (the project's
 * own scripts). Shell variables set in the section (`API`, `H` on the first block's first line,
 * kept for the blocks after it) and `$TOKEN` are expanded;
 * comments are dropped. Commands before a block's first numbered step form a step titled ''.
 */
import { readFileSync } from 'node:fs';

export interface CurlCommand {
  kind: 'curl';
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** `-o`: where curl writes the body (`/dev/null`: nowhere). */
  output?: string;
  /** `-w`: what curl prints after the transfer, e.g. `%{redirect_url}\n`. */
  writeOut?: string;
  /** The command as written in the README, for messages. */
  source: string;
}

export interface ListCommand {
  kind: 'ls';
  path: string;
  source: string;
}

/** `npm run <script> -- <args>`: one of the project's scripts, run as npm runs it. */
export interface NpmRunCommand {
  kind: 'npm-run';
  script: string;
  args: string[];
  source: string;
}

export interface WalkthroughStep {
  /** The step's number and title, as in `# 4. A candidate…`. */
  title: string;
  commands: (CurlCommand | ListCommand | NpmRunCommand)[];
}

export interface ReadWalkthroughOptions {
  /** Which `sh` block of the section: 0 (default) is the walk-through, 1 the OAuth2 connect steps. */
  block?: number;
}

export function readWalkthrough(readmePath: string, variables: { TOKEN: string }, options: ReadWalkthroughOptions = {}): WalkthroughStep[] {
  const readme = readFileSync(readmePath, 'utf8');
  const start = readme.indexOf('## A walk through the API');
  if (start < 0) throw new Error('README: no "A walk through the API" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]);
  const wanted = options.block ?? 0;
  if (blocks.length <= wanted) throw new Error(`README: the walk-through section has ${blocks.length} sh block(s), not ${wanted + 1}`);

  // Variables set in a block hold for the blocks after it, as in the reader's shell.
  const vars: Record<string, string> = { TOKEN: variables.TOKEN };
  let steps: WalkthroughStep[] = [];
  for (const block of blocks.slice(0, wanted + 1)) steps = readBlock(block, vars);
  return steps;
}

function readBlock(block: string, vars: Record<string, string>): WalkthroughStep[] {
  const steps: WalkthroughStep[] = [];
  for (const line of logicalLines(block)) {
    const heading = /^#\s*(\d+\..*)$/.exec(line);
    if (heading) {
      steps.push({ title: heading[1].trim(), commands: [] });
      continue;
    }
    if (line.startsWith('#')) continue;
    const words = shellWords(line, vars);
    if (words.length === 0) continue;
    if (words.every((word) => /^[A-Z_]+=/.test(word))) {
      // `API=…; H="…"`: assignments, expanded in order.
      for (const assignment of line.split(/;\s*/)) {
        const [name, ...rest] = assignment.split('=');
        vars[name.trim()] = shellWords(rest.join('='), vars).join(' ');
      }
      continue;
    }
    if (steps.length === 0) steps.push({ title: '', commands: [] });
    steps.at(-1)!.commands.push(toCommand(words, line));
  }
  return steps;
}

function toCommand(words: string[], source: string): CurlCommand | ListCommand | NpmRunCommand {
  const [program, ...args] = words;
  if (program === 'ls') return { kind: 'ls', path: args.at(-1) ?? '.', source };
  if (program === 'npm' && args[0] === 'run' && args[1] !== undefined) {
    const rest = args.slice(2);
    return { kind: 'npm-run', script: args[1], args: rest[0] === '--' ? rest.slice(1) : rest, source };
  }
  if (program !== 'curl') throw new Error(`README walk-through: unexpected command ${program}`);
  const command: CurlCommand = { kind: 'curl', method: 'GET', url: '', headers: {}, source };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-s') continue;
    if (arg === '-H') {
      const [name, ...value] = args[++i].split(':');
      command.headers[name.trim().toLowerCase()] = value.join(':').trim();
    } else if (arg === '-X') {
      command.method = args[++i];
    } else if (arg === '-d') {
      command.body = args[++i];
    } else if (arg === '-o') {
      command.output = args[++i];
    } else if (arg === '-w') {
      command.writeOut = args[++i];
    } else if (arg.startsWith('-')) {
      throw new Error(`README walk-through: curl option ${arg} is not understood by the test`);
    } else {
      command.url = arg;
    }
  }
  if (command.body !== undefined) {
    // What curl does with -d: POST unless -X says otherwise, and a form content type.
    if (!source.includes(' -X ')) command.method = 'POST';
    command.headers['content-type'] ??= 'application/x-www-form-urlencoded';
  }
  return command;
}

/** Joins `\` continuations and multi-line quoted strings; drops trailing `# comments`. */
function logicalLines(block: string): string[] {
  const lines: string[] = [];
  let pending = '';
  for (const raw of block.split('\n')) {
    const text = pending ? `${pending}\n${raw}` : raw;
    if (text.trimEnd().endsWith('\\')) {
      pending = text.trimEnd().slice(0, -1);
      continue;
    }
    if (unbalancedQuote(text)) {
      pending = text;
      continue;
    }
    pending = '';
    const trimmed = text.trim();
    lines.push(trimmed.startsWith('#') ? trimmed : stripComment(trimmed));
  }
  return lines.filter((line) => line !== '');
}

function unbalancedQuote(text: string): boolean {
  let quote: string | null = null;
  for (const char of text) {
    if (quote) {
      if (char === quote) quote = null;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === '#') {
      return false;
    }
  }
  return quote !== null;
}

function stripComment(text: string): string {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quote) {
      if (char === quote) quote = null;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      return text.slice(0, i).trim();
    }
  }
  return text.trim();
}

/** Splits a command line into words as sh does for these simple cases: quotes, `$VAR` expansion outside single quotes. */
function shellWords(text: string, vars: Record<string, string>): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: string | null = null;
  const expand = (source: string) =>
    source.replace(/\$([A-Z_]+)/g, (_match, name: string) => {
      if (vars[name] === undefined) throw new Error(`README walk-through: $${name} is not set`);
      return vars[name];
    });
  let chunk = '';
  const flush = () => {
    current += quote === "'" ? chunk : expand(chunk);
    chunk = '';
  };
  for (const char of text) {
    if (quote) {
      if (char === quote) {
        flush();
        quote = null;
      } else {
        chunk += char;
      }
    } else if (char === "'" || char === '"') {
      flush();
      quote = char;
      inWord = true;
    } else if (char === ';' || /\s/.test(char)) {
      flush();
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      chunk += char;
      inWord = true;
    }
  }
  flush();
  if (inWord) words.push(current);
  return words;
}
