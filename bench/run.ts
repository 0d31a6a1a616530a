/**
 * `npm run bench`: measures what DESIGN.md's quality bars name (handler cold start, the test
 * button's worst case, send throughput, inbound throughput and peak memory, a candidate
 * export's peak memory) and prints one
 * table per section. It measures only: no number here passes or fails anything.
 *
 * Every server it starts listens on 127.0.0.1 and is stopped before it exits; scratch files
 * go to a temporary folder that is removed at the end. `BENCH_ONLY=cold,button,send,inbound,volume,scale,export`
 * runs a subset.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchColdStart } from './cold-start';
import { benchExportMemory } from './export-memory';
import { benchInbound } from './inbound-throughput';
import { benchScale } from './scale';
import { errorText, printSkip } from './report';
import { benchSendThroughput } from './send-throughput';
import { benchSendingAtVolume } from './sending-at-volume';
import { benchTestButton } from './test-button';

const root = path.resolve(import.meta.dirname, '..');

interface Section {
  key: string;
  title: string;
  run: (tempDir: string) => Promise<void>;
}

const sections: Section[] = [
  { key: 'cold', title: '1. Cold start', run: (tempDir) => benchColdStart(root, tempDir) },
  { key: 'button', title: '2. Test button worst case', run: () => benchTestButton() },
  { key: 'send', title: '3. Send throughput', run: () => benchSendThroughput() },
  { key: 'inbound', title: '4. Inbound throughput and memory', run: (tempDir) => benchInbound(root, tempDir) },
  { key: 'volume', title: '5. Sending at volume', run: () => benchSendingAtVolume() },
  { key: 'scale', title: '6. Scale: many companies at once', run: () => benchScale() },
  { key: 'export', title: '7. Candidate export memory', run: (tempDir) => benchExportMemory(tempDir) },
];

async function main(): Promise<void> {
  const only = (process.env.BENCH_ONLY ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'recruiting-mail-bench-'));
  const started = performance.now();
  console.log(`recruiting-mail-backend bench: node ${process.version}, ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}`.trimEnd());
  try {
    for (const section of sections) {
      if (only.length > 0 && !only.includes(section.key)) continue;
      const sectionStarted = performance.now();
      try {
        await section.run(tempDir);
      } catch (error) {
        // One broken section must not hide the others' numbers.
        printSkip(section.title, `failed: ${errorText(error)}`);
      }
      console.log(`  (${section.title.replace(/^\d+\. /, '')}: ${((performance.now() - sectionStarted) / 1000).toFixed(1)} s)`);
    }
  } finally {
    rmSync(tempDir, { recursive: true, force: true });
  }
  console.log(`\nbench finished in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

await main();
// Sockets or timers still open here would be a leak in the bench or the code measured: name
// them. Closed handles leave the list a moment after their close callbacks, hence the pause.
await new Promise((resolve) => setTimeout(resolve, 200));
const leftovers = process.getActiveResourcesInfo().filter((resource) => !['TTYWrap', 'PipeWrap', 'FSReqCallback'].includes(resource));
if (leftovers.length > 0) console.log(`note: still open at the end: ${leftovers.join(', ')}`);
process.exit(0);
