/**
 * Child process of the inbound memory benchmark: parses one mail file in one way and prints
 * the process's peak RSS (the kernel's high-water mark, which catches peaks no timer could
 * sample during a synchronous parse) as JSON. One process per measurement, so that one parse's garbage does
 * not inflate the next one's peak.
 *
 *   node --import tsx bench/inbound-memory-probe.ts <mode> <file>
 */
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { MailParser, simpleParser, type AttachmentStream } from 'mailparser';
import { discardingSink } from './discarding-sink';

const PROBE_MODES = ['baseline', 'parseInboundMail (stream)', 'parseInboundMail (buffer)', 'MailParser (stream)', 'simpleParser (buffer)'] as const;
/** Import only as a type: importing this file runs the probe. */
export type ProbeMode = (typeof PROBE_MODES)[number];

export interface ProbeResult {
  mode: ProbeMode;
  /** Peak RSS while parsing (since the reset), or of the whole process when `peakReset` is false. */
  peakRssBytes: number;
  /** RSS with the modules loaded, just before the parse. */
  rssBeforeBytes: number;
  peakReset: boolean;
  durationMs: number;
  /** What the parse found, to show it did the work: attachment count and decoded bytes. */
  attachments: number;
  attachmentBytes: number;
}


type ParseInboundMail = typeof import('../shared/inbound/parse-inbound-mail').parseInboundMail;

async function probe(mode: ProbeMode, file: string, parseInboundMail: ParseInboundMail): Promise<Omit<ProbeResult, 'peakRssBytes' | 'rssBeforeBytes' | 'durationMs' | 'peakReset'>> {
  switch (mode) {
    case 'baseline':
      return { mode, attachments: 0, attachmentBytes: 0 };
    case 'parseInboundMail (stream)':
    case 'parseInboundMail (buffer)': {
      const source = mode === 'parseInboundMail (stream)' ? createReadStream(file) : readFileSync(file);
      const parsed = await parseInboundMail(source, discardingSink);
      return { mode, attachments: parsed.attachments.length, attachmentBytes: parsed.attachments.reduce((sum, item) => sum + item.size, 0) };
    }
    case 'MailParser (stream)': {
      const parser = new MailParser();
      let attachments = 0;
      let attachmentBytes = 0;
      parser.on('data', (data: AttachmentStream | { type: 'text' }) => {
        if (data.type !== 'attachment') return;
        attachments += 1;
        data.content.on('data', (chunk: Buffer) => (attachmentBytes += chunk.length));
        data.content.on('end', () => data.release?.());
      });
      const done = new Promise<void>((resolve, reject) => {
        parser.on('end', resolve);
        parser.on('error', reject);
      });
      createReadStream(file).pipe(parser);
      await done;
      return { mode, attachments, attachmentBytes };
    }
    case 'simpleParser (buffer)': {
      const parsed = await simpleParser(readFileSync(file));
      return { mode, attachments: parsed.attachments.length, attachmentBytes: parsed.attachments.reduce((sum, item) => sum + item.size, 0) };
    }
  }
}

/**
 * The peak resident set of this process. Linux's VmHWM belongs to the address space the exec
 * created (and can be reset, see below); getrusage's maxRSS is carried across fork and exec,
 * so a child of a large bench process would report the parent's size.
 */
function peakRss(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // Not Linux: fall back to getrusage below.
  }
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * Starts the high-water mark afresh (Linux: "5" to clear_refs), so that the peak is the
 * parse's, not that of loading TypeScript through tsx. False where that is not possible.
 */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

const [mode, file] = process.argv.slice(2) as [ProbeMode, string];
if (!PROBE_MODES.includes(mode) || !file) {
  console.error(`usage: inbound-memory-probe.ts <${PROBE_MODES.join('|')}> <file>`);
  process.exit(2);
}
// Every mode loads the same modules before the measurement starts.
const { parseInboundMail } = await import('../shared/inbound/parse-inbound-mail');
const peakReset = resetPeakRss();
const rssBeforeBytes = process.memoryUsage.rss();
const started = performance.now();
const outcome = await probe(mode, file, parseInboundMail);
const result: ProbeResult = {
  ...outcome,
  durationMs: performance.now() - started,
  rssBeforeBytes,
  peakRssBytes: peakRss(),
  peakReset,
};
process.stdout.write(JSON.stringify(result));
