/**
 * Inbound: how fast `parseInboundMail` takes mail apart compared with bare mailparser
 * (`simpleParser`) on the same messages, and the peak memory of a ~30 MB message through each
 * way of parsing, measured in a fresh child process per parse.
 *
 * The inbound handler's own CPU time per mail is set beside parseInboundMail's on the same mails,
 * with the local stand-ins in a child process so that their work is not counted as the handler's.
 *
 * The mails are the shared real-world corpus (`../shared/corpora/eml`) when it is there (it is
 * read in place, never copied into the repository), otherwise ~50 generated ones.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { type EndToEndResult, measureInboundEndToEnd, TIME_LIMIT_MS } from './inbound-end-to-end';
import type { ProbeMode, ProbeResult } from './inbound-memory-probe';
import { bytes, errorText, ms, printSkip, printTable, rate, type Cell } from './report';
import { syntheticMails } from './synthetic-mail';
import { discardingSink } from './discarding-sink';

const run = promisify(execFile);

const THROUGHPUT_SECTION = '4a. Inbound throughput (the same mails through each path)';
const COST_SECTION = '4b. Inbound cost per mail: the handler\'s own CPU time against the bare streaming parse of the same mails';
const MEMORY_SECTION = '4c. Inbound peak memory for a ~30 MB message (fresh process per row)';
const MIN_MEASURE_MS = 2000;
const MAX_PASSES = 50;
const LARGE_BASE64_BYTES = 30 * 1024 * 1024;
const MEMORY_MODES: ProbeMode[] = ['baseline', 'parseInboundMail (stream)', 'parseInboundMail (buffer)', 'MailParser (stream)', 'simpleParser (buffer)'];


interface MailSet {
  mails: Buffer[];
  source: string;
}

async function loadMails(root: string): Promise<MailSet> {
  const corpus = path.resolve(root, '..', 'shared', 'corpora', 'eml');
  if (existsSync(corpus)) {
    const files = readdirSync(corpus)
      .filter((name) => name.endsWith('.eml'))
      .sort();
    if (files.length > 0) return { mails: files.map((name) => readFileSync(path.join(corpus, name))), source: `${files.length} real-world mails from ${path.relative(root, corpus)}` };
  }
  const mails = await syntheticMails(50);
  return { mails, source: `${mails.length} generated mails (no ../shared/corpora/eml here)` };
}

interface Throughput {
  perSecond: number;
  megabytesPerSecond: number;
  passes: number;
  failures: number;
  firstFailure?: string;
  /** CPU (user + system, all threads) and wall time per mail over the timed passes. */
  cpuMsPerMail: number;
  wallMsPerMail: number;
}

/** One warm-up pass, then whole passes over the set until at least MIN_MEASURE_MS have passed. */
async function measure(mails: Buffer[], parse: (mail: Buffer) => Promise<unknown>): Promise<Throughput> {
  const total = mails.reduce((sum, mail) => sum + mail.length, 0);
  let failures = 0;
  let firstFailure: string | undefined;
  const pass = async (count: boolean) => {
    for (const mail of mails) {
      try {
        await parse(mail);
      } catch (error) {
        if (!count) continue;
        failures += 1;
        firstFailure ??= errorText(error);
      }
    }
  };
  await pass(false);
  let passes = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  do {
    await pass(passes === 0);
    passes += 1;
  } while (performance.now() - started < MIN_MEASURE_MS && passes < MAX_PASSES);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const seconds = wallMs / 1000;
  const count = mails.length * passes;
  return {
    perSecond: count / seconds,
    megabytesPerSecond: (total * passes) / seconds / (1024 * 1024),
    passes,
    failures,
    firstFailure,
    cpuMsPerMail: (cpu.user + cpu.system) / 1000 / count,
    wallMsPerMail: wallMs / count,
  };
}

async function benchThroughput(root: string, tempDir: string): Promise<void> {
  let parseInboundMail: typeof import('../shared/inbound/parse-inbound-mail').parseInboundMail;
  let simpleParser: typeof import('mailparser').simpleParser;
  try {
    ({ parseInboundMail } = await import('../shared/inbound/parse-inbound-mail'));
    ({ simpleParser } = await import('mailparser'));
  } catch (error) {
    printSkip(THROUGHPUT_SECTION, `shared/inbound/parse-inbound-mail.ts or mailparser could not be loaded (${(error as Error).message.split('\n')[0]})`);
    return;
  }
  const { mails, source } = await loadMails(root);
  const totalBytes = mails.reduce((sum, mail) => sum + mail.length, 0);
  const ours = await measure(mails, (mail) => parseInboundMail(mail, discardingSink));
  const bare = await measure(mails, (mail) => simpleParser(mail));
  const row = (name: string, result: Throughput, ratio: string): Cell[] => [
    name,
    rate(result.perSecond),
    rate(result.megabytesPerSecond),
    result.passes,
    result.failures,
    ratio,
  ];
  const notes = [
    `${source}, ${bytes(totalBytes)} in all (mean ${bytes(Math.round(totalBytes / mails.length))}); one warm-up pass, then passes for >= ${MIN_MEASURE_MS / 1000} s.`,
    'parseInboundMail streams attachments to a sink that reads and discards them; simpleParser keeps everything in memory.',
  ];
  if (ours.firstFailure) notes.push(`parseInboundMail failures, first: ${ours.firstFailure}`);
  if (bare.firstFailure) notes.push(`simpleParser failures, first: ${bare.firstFailure}`);
  const rows = [row('parseInboundMail', ours, `${(ours.perSecond / bare.perSecond).toFixed(2)}×`), row('mailparser simpleParser', bare, '1.00×')];
  let endToEnd: EndToEndResult | null = null;
  try {
    endToEnd = await measureInboundEndToEnd(root, tempDir, mails);
    if (endToEnd === null) {
      notes.push('functions/inbound/receive.ts is missing: no end-to-end row.');
    } else {
      rows.unshift([
        'inbound handler, end to end',
        rate(endToEnd.perSecond),
        rate(endToEnd.megabytesPerSecond),
        1,
        endToEnd.failures,
        `${(endToEnd.perSecond / bare.perSecond).toFixed(3)}×`,
      ]);
      notes.push(
        `end to end: functions/inbound/receive.ts with SES events for the first ${endToEnd.measured} of the mails (one pass, at most ${TIME_LIMIT_MS / 1000} s of handler time, after a warm-up),`,
        `to ${endToEnd.recipient} on the local stand-ins (dynalite + s3rver in a child process): S3 read, parse, attachments to S3, DynamoDB writes.`,
      );
      if (endToEnd.firstFailure) notes.push(`end-to-end failures, first: ${endToEnd.firstFailure}`);
    }
  } catch (error) {
    notes.push(`end to end skipped: ${errorText(error).split('\n')[0]}`);
  }
  printTable(THROUGHPUT_SECTION, ['path', 'msg/s', 'MB/s', 'passes', 'failed', 'vs simpleParser'], rows, notes);
  if (endToEnd === null) {
    printSkip(COST_SECTION, 'no end-to-end measure (see 4a)');
    return;
  }
  const sameMails = mails.slice(0, endToEnd.measured);
  const parse = await measure(sameMails, (mail) => parseInboundMail(mail, discardingSink));
  const ratio = endToEnd.handlerCpuMs / parse.cpuMsPerMail;
  const goal = '<= 2.00×';
  printTable(
    COST_SECTION,
    ['path', 'CPU/mail', 'wall/mail', 'vs parse (CPU)', 'goal'],
    [
      ['inbound handler (this process)', ms(endToEnd.handlerCpuMs), ms(endToEnd.handlerWallMs), `${ratio.toFixed(2)}×`, goal],
      ['parseInboundMail (stream, bare)', ms(parse.cpuMsPerMail), ms(parse.wallMsPerMail), '1.00×', '-'],
      ['stand-ins (child process)', ms(endToEnd.standInsCpuMs), '-', '-', '-'],
    ],
    [
      `the same ${sameMails.length} mails (${bytes(sameMails.reduce((sum, mail) => sum + mail.length, 0))}); CPU = user + system time of the process (all its threads) from process.cpuUsage.`,
      'handler: process.cpuUsage around each handler call, stand-ins in a child process (not counted); one pass after a warm-up on other mails.',
      `parse: parseInboundMail to a discarding sink, passes for >= ${MIN_MEASURE_MS / 1000} s after a warm-up pass.`,
      'stand-ins: the child\'s CPU over the measured pass, including storing the raw mails (an upper bound). Wall time waits for them.',
      `AWS requests per mail (handler): ${Object.entries(endToEnd.requestsPerMail).map(([command, count]) => `${command} ${count.toFixed(2)}`).join(', ') || 'none'}.`,
      'Most of the handler\'s CPU is the AWS SDK\'s per-request work (middleware, signing, HTTP: about 1 ms a request here) and, with the',
      'X-Ray SDK loaded as on Lambda, its async hook on every promise; the parse is a small part. On Lambda add the X-Ray subsegments.',
    ],
  );
}

/**
 * Writes a message whose attachment is `base64Bytes` of base64 (random content, 76-character
 * lines), without ever holding it in memory.
 */
function writeLargeMail(file: string, base64Bytes: number): { size: number; decodedBytes: number } {
  const fd = openSync(file, 'w');
  const boundary = 'bench-boundary-7f3a';
  try {
    writeSync(
      fd,
      [
        'From: "Jane Doe" <jane.doe@candidate.example>',
        'To: jobs@acme.example',
        'Subject: My portfolio',
        'Date: Tue, 02 Jun 2026 09:30:00 +0000',
        'Message-ID: <large-portfolio@candidate.example>',
        'MIME-Version: 1.0',
        `Content-Type: multipart/mixed; boundary="${boundary}"`,
        '',
        `--${boundary}`,
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Hello, please find my portfolio attached.',
        `--${boundary}`,
        'Content-Type: application/pdf; name="portfolio.pdf"',
        'Content-Disposition: attachment; filename="portfolio.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        '',
      ].join('\r\n'),
    );
    const lineBytes = 57; // 57 bytes encode to one 76-character base64 line
    const linesPerChunk = 4096;
    const lines = Math.ceil(base64Bytes / 78);
    let decodedBytes = 0;
    for (let written = 0; written < lines; written += linesPerChunk) {
      const count = Math.min(linesPerChunk, lines - written);
      const raw = randomBytes(lineBytes * count);
      decodedBytes += raw.length;
      const encoded = raw.toString('base64');
      let chunk = '';
      for (let offset = 0; offset < encoded.length; offset += 76) chunk += `${encoded.slice(offset, offset + 76)}\r\n`;
      writeSync(fd, chunk);
    }
    writeSync(fd, `--${boundary}--\r\n`);
    return { size: statSync(file).size, decodedBytes };
  } finally {
    closeSync(fd);
  }
}

async function benchMemory(root: string, tempDir: string): Promise<void> {
  const parserFile = path.join(root, 'shared', 'inbound', 'parse-inbound-mail.ts');
  if (!existsSync(parserFile)) {
    printSkip(MEMORY_SECTION, 'shared/inbound/parse-inbound-mail.ts is not written yet');
    return;
  }
  const mailFile = path.join(tempDir, 'large-mail.eml');
  const { size, decodedBytes } = writeLargeMail(mailFile, LARGE_BASE64_BYTES);
  const probe = path.join(root, 'bench', 'inbound-memory-probe.ts');
  const rows: Cell[][] = [];
  const notes: string[] = [];
  let peakReset = true;
  for (const mode of MEMORY_MODES) {
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', probe, mode, mailFile], {
        cwd: root,
        timeout: 120_000,
        maxBuffer: 1024 * 1024,
      });
      const result = JSON.parse(stdout) as ProbeResult;
      peakReset &&= result.peakReset;
      const parsed = mode !== 'baseline';
      rows.push([
        mode,
        bytes(result.peakRssBytes),
        bytes(result.rssBeforeBytes),
        bytes(result.peakRssBytes - result.rssBeforeBytes),
        parsed ? ms(result.durationMs) : '-',
        parsed ? `${result.attachments} / ${bytes(result.attachmentBytes)}` : '-',
      ]);
    } catch (error) {
      rows.push([mode, 'failed', '-', '-', '-', '-']);
      notes.push(`${mode}: ${String((error as { stderr?: string }).stderr || errorText(error)).trim().split('\n').slice(-1)[0]}`);
    }
  }
  notes.unshift(
    `message ${bytes(size)}: one base64 attachment of ${bytes(decodedBytes)} decoded (random bytes) plus a short text part.`,
    peakReset
      ? 'peak = high-water RSS of the child (VmHWM) from just before the parse, with the modules already loaded; growth = peak - RSS before.'
      : 'peak = high-water RSS of the whole child process (it could not be reset here: it includes loading the modules through tsx).',
    'Attachment sinks read and discard the data; simpleParser keeps the whole mail and attachment in memory.',
  );
  printTable(MEMORY_SECTION, ['parse', 'peak RSS', 'RSS before', 'growth', 'time', 'attachments'], rows, notes);
}

export async function benchInbound(root: string, tempDir: string): Promise<void> {
  await benchThroughput(root, tempDir);
  await benchMemory(root, tempDir);
}
