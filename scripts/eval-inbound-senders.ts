/**
 * Measures the original-sender resolver on the real-mail corpus in ../shared/corpora:
 * parses every message with parseInboundMail, resolves it with resolveOriginalSender and
 * compares with the manifest's expected_original_sender, per kind, beside a From-only baseline.
 *
 *   node --import tsx scripts/eval-inbound-senders.ts [--verbose]
 *
 * Exits 0 with a message when the corpus is absent (a fresh clone has no ../shared).
 * Exits 1 when any message gets a wrong (non-null, different) sender.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateSenderCorpus, formatSenderEvalTable } from '../shared/inbound/sender-eval';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const corpusDir = resolve(repoRoot, '..', 'shared', 'corpora');

if (!existsSync(resolve(corpusDir, 'manifest.json'))) {
  console.log(`No corpus at ${corpusDir}: nothing to evaluate (skipped).`);
  process.exit(0);
}

const verbose = process.argv.includes('--verbose');
const report = await evaluateSenderCorpus(corpusDir);
console.log(formatSenderEvalTable(report));
if (verbose || report.totals.resolver.wrong > 0) {
  for (const miss of report.misses) {
    if (!verbose && miss.outcome !== 'wrong') continue;
    console.log(`${miss.outcome.padEnd(10)} ${miss.kind.padEnd(18)} ${miss.file}`);
    console.log(`           expected ${miss.expected}, got ${miss.got ?? 'null'} (by ${miss.by})`);
    if (verbose) for (const line of miss.evidence) console.log(`             · ${line}`);
  }
}
process.exit(report.totals.resolver.wrong > 0 ? 1 : 0);
