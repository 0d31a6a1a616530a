import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { parseInboundMail, type AttachmentSink } from './parse-inbound-mail';
import { resolveOriginalSender, type ResolveSenderContext } from './resolve-original-sender';

/**
 * Scores resolveOriginalSender against a corpus laid out as ../shared/corpora is
 * (manifest.json + eml/). Shared by scripts/eval-inbound-senders.ts and the corpus test so
 * both measure the same thing.
 */

export interface CorpusEntry {
  file: string;
  kind: string;
  expected_original_sender: string | null;
  header_from: string | null;
}

export interface Score {
  correct: number;
  wrong: number;
  unassigned: number;
}

export interface KindReport {
  kind: string;
  messages: number;
  withExpected: number;
  resolver: Score;
  fromOnly: Score;
  /** Messages without an expected sender for which the resolver still named one. */
  namedWithoutExpected: number;
}

export interface Miss {
  file: string;
  kind: string;
  expected: string;
  got: string | null;
  by: string;
  outcome: 'wrong' | 'unassigned';
  evidence: string[];
}

export interface SenderEvalReport {
  kinds: KindReport[];
  totals: KindReport;
  misses: Miss[];
}

/** The envelope of the wrapped forwards in the corpus comes from this mailbox (see its README). */
export const CORPUS_CONTEXT: ResolveSenderContext = {
  companyAddresses: ['jobs@company.example'],
  ourDomains: ['inbound.localhost'],
};

/** Discards attachment content: the eval measures sender resolution only. */
const discardingSink: AttachmentSink = {
  async put(name, _contentType, content) {
    let size = 0;
    await new Promise<void>((done, fail) => {
      content
        .pipe(
          new Writable({
            write(chunk: Buffer, _encoding, next) {
              size += chunk.length;
              next();
            },
          }),
        )
        .on('finish', done)
        .on('error', fail);
    });
    return { key: name, size };
  },
};

const emptyScore = (): Score => ({ correct: 0, wrong: 0, unassigned: 0 });

function score(target: Score, expected: string, got: string | null): 'correct' | 'wrong' | 'unassigned' {
  const outcome = got === null ? 'unassigned' : got.toLowerCase() === expected ? 'correct' : 'wrong';
  target[outcome] += 1;
  return outcome;
}

export async function evaluateSenderCorpus(
  corpusDir: string,
  context: ResolveSenderContext = CORPUS_CONTEXT,
): Promise<SenderEvalReport> {
  const manifest = JSON.parse(await readFile(resolve(corpusDir, 'manifest.json'), 'utf8')) as CorpusEntry[];
  const byKind = new Map<string, KindReport>();
  const misses: Miss[] = [];
  const totals: KindReport = {
    kind: 'all',
    messages: 0,
    withExpected: 0,
    resolver: emptyScore(),
    fromOnly: emptyScore(),
    namedWithoutExpected: 0,
  };

  for (const entry of manifest) {
    const kind =
      byKind.get(entry.kind) ??
      byKind
        .set(entry.kind, {
          kind: entry.kind,
          messages: 0,
          withExpected: 0,
          resolver: emptyScore(),
          fromOnly: emptyScore(),
          namedWithoutExpected: 0,
        })
        .get(entry.kind)!;
    const raw = await readFile(resolve(corpusDir, entry.file));
    const mail = await parseInboundMail(raw, discardingSink);
    const resolved = resolveOriginalSender(mail, context);
    kind.messages += 1;
    totals.messages += 1;
    const expected = entry.expected_original_sender?.toLowerCase() ?? null;
    if (expected === null) {
      if (resolved.address !== null) {
        kind.namedWithoutExpected += 1;
        totals.namedWithoutExpected += 1;
      }
      continue;
    }
    kind.withExpected += 1;
    totals.withExpected += 1;
    const outcome = score(kind.resolver, expected, resolved.address);
    score(totals.resolver, expected, resolved.address);
    const plainFrom = mail.from?.address.toLowerCase() ?? null;
    score(kind.fromOnly, expected, plainFrom);
    score(totals.fromOnly, expected, plainFrom);
    if (outcome !== 'correct') {
      misses.push({
        file: entry.file,
        kind: entry.kind,
        expected,
        got: resolved.address,
        by: resolved.by,
        outcome,
        evidence: resolved.evidence,
      });
    }
  }
  return { kinds: [...byKind.values()].sort((a, b) => a.kind.localeCompare(b.kind)), totals, misses };
}

const pct = (part: number, whole: number): string => (whole ? `${((100 * part) / whole).toFixed(1)}%` : '-');

export function formatSenderEvalTable(report: SenderEvalReport): string {
  const header = [
    'kind',
    'mails',
    'expected',
    'correct',
    'wrong',
    'unassigned',
    'correct %',
    'From-only correct',
    'From-only wrong',
    'named (no expected)',
  ];
  const rows = [...report.kinds, report.totals].map((k) => [
    k.kind,
    String(k.messages),
    String(k.withExpected),
    String(k.resolver.correct),
    String(k.resolver.wrong),
    String(k.resolver.unassigned),
    pct(k.resolver.correct, k.withExpected),
    `${k.fromOnly.correct} (${pct(k.fromOnly.correct, k.withExpected)})`,
    String(k.fromOnly.wrong),
    String(k.namedWithoutExpected),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.slice(0, -1).map(line), rule, line(rows[rows.length - 1])].join('\n');
}
