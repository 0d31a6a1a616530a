/**
 * Plain-text output of the benchmarks: aligned tables and the few statistics they need.
 * The bench measures and prints; nothing here judges a number.
 */

export type Cell = string | number;

/** Prints a titled table with right-aligned numbers and left-aligned text. */
export function printTable(title: string, headers: string[], rows: Cell[][], notes: string[] = []): void {
  const text = rows.map((row) => row.map((cell) => String(cell)));
  const widths = headers.map((header, column) => Math.max(header.length, ...text.map((row) => (row[column] ?? '').length)));
  // A column of numbers (with or without a unit) is right-aligned, anything else left-aligned.
  const numeric = headers.map((_, column) => text.length > 0 && text.every((row) => /^(-|[<>~]?\d)/.test(row[column] ?? '')));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (numeric[column] ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  console.log(`\n${title}`);
  console.log(line(headers));
  console.log(line(widths.map((width) => '-'.repeat(width))));
  for (const row of text) console.log(line(row));
  for (const note of notes) console.log(`  ${note}`);
}

/** A section that cannot run here says why in one line. */
export function printSkip(section: string, reason: string): void {
  console.log(`\n${section}\n  skipped: ${reason}`);
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export const ms = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(value < 100 ? 1 : 0)} ms` : '-');

export function bytes(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (value < 0) return `-${bytes(-value)}`;
  if (value < 1024) return `${value} B`;
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KB`;
  return `${(value / (1024 * 1024)).toFixed(1)} MB`;
}

export const rate = (value: number): string => (Number.isFinite(value) ? value.toFixed(value < 10 ? 2 : 0) : '-');

/** Runs `task` for every index with at most `concurrency` in flight; failures are counted, not thrown. */
export async function runPool(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<{ failures: unknown[] }> {
  const failures: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      try {
        await task(index);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { failures };
}

export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return `${typeof code === 'string' ? `${code}: ` : ''}${error.message}`;
  }
  return String(error);
}
