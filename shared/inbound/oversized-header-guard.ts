/**
 * Keeps what can be kept of a header section with an oversized field. The MIME parser gives up
 * on the whole header section once it passes its size limit (1 MB), so one 2 MB header line
 * would leave a mail with no headers at all: nothing to match it on, nothing to show. SES has
 * already accepted such a mail, so refusing is not an option on AWS; instead this filter, in
 * front of the parser, drops the fields that are too large (one field over MAX_FIELD_BYTES,
 * or any field once the section passed MAX_SECTION_COST) and passes everything else through
 * unchanged, noting each dropped field as a defect. The stored raw mail is not touched.
 *
 * Only the header section is inspected (up to the first empty line); the body streams
 * through as is. Memory stays bounded by one field.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** One header field (with its continuation lines) larger than this is dropped. */
export const MAX_FIELD_BYTES = 64 * 1024;
/**
 * What the kept fields may cost together, each line counted as at least 64 bytes as the
 * parser counts it; below the parser's 1 MB limit, so that what is passed is parsed.
 */
export const MAX_SECTION_COST = 768 * 1024;
const LINE_MIN_COST = 64;

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HT = 0x09;

export class OversizedHeaderGuard {
  private inBody = false;
  private atLineStart = true;
  private field: Buffer[] = [];
  private fieldBytes = 0;
  private fieldCost = 0;
  private dropping = false;
  private fieldName = '';
  private sectionCost = 0;
  private readonly dropped: Array<{ name: string; bytes: number; reason: string }> = [];

  /** The bytes to hand on for this chunk. */
  feed(chunk: Buffer): Buffer[] {
    if (this.inBody) return [chunk];
    const out: Buffer[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.atLineStart) {
        const first = chunk[pos];
        if (first === CR || first === LF) {
          // The empty line: the header section ends here; the rest is body.
          this.flushField(out);
          this.inBody = true;
          out.push(chunk.subarray(pos));
          return out;
        }
        if (first !== SP && first !== HT) this.flushField(out);
        this.atLineStart = false;
        this.fieldCost += LINE_MIN_COST;
      }
      const newline = chunk.indexOf(LF, pos);
      const end = newline < 0 ? chunk.length : newline + 1;
      this.addToField(chunk.subarray(pos, end));
      if (newline >= 0) this.atLineStart = true;
      pos = end;
    }
    return out;
  }

  /** The bytes to hand on at the end (a mail that is all header). */
  end(): Buffer[] {
    const out: Buffer[] = [];
    if (!this.inBody) this.flushField(out);
    return out;
  }

  /** One defect line per dropped field. */
  defects(): string[] {
    return this.dropped.map(({ name, bytes, reason }) => `header field ${JSON.stringify(name)} (${bytes} bytes) dropped: ${reason}; the other headers are kept`);
  }

  /** A Transform stream applying the guard. */
  stream(): Transform {
    const guard = this;
    return new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
        for (const piece of guard.feed(chunk)) this.push(piece);
        callback();
      },
      flush(callback: TransformCallback) {
        for (const piece of guard.end()) this.push(piece);
        callback();
      },
    });
  }

  /** The guard over a whole mail in memory. */
  filter(mail: Buffer): Buffer {
    return Buffer.concat([...this.feed(mail), ...this.end()]);
  }

  private addToField(piece: Buffer): void {
    if (this.field.length === 0 && this.fieldBytes === 0) this.fieldName = nameOf(piece);
    this.fieldBytes += piece.length;
    this.fieldCost += piece.length;
    if (this.dropping) return;
    if (this.fieldBytes > MAX_FIELD_BYTES) {
      this.drop(`larger than ${MAX_FIELD_BYTES} bytes`);
      return;
    }
    this.field.push(piece);
  }

  private drop(reason: string): void {
    this.dropping = true;
    this.field = [];
    this.dropReason = reason;
  }

  private dropReason = '';

  private flushField(out: Buffer[]): void {
    if (this.fieldBytes > 0) {
      if (!this.dropping && this.sectionCost + this.fieldCost > MAX_SECTION_COST) this.drop(`the header section passed ${MAX_SECTION_COST} bytes`);
      if (this.dropping) this.dropped.push({ name: this.fieldName, bytes: this.fieldBytes, reason: this.dropReason });
      else {
        out.push(...this.field);
        this.sectionCost += this.fieldCost;
      }
    }
    this.field = [];
    this.fieldBytes = 0;
    this.fieldCost = 0;
    this.dropping = false;
    this.fieldName = '';
  }
}

function nameOf(piece: Buffer): string {
  const head = piece.subarray(0, 100).toString('latin1');
  const colon = head.indexOf(':');
  return (colon >= 0 ? head.slice(0, colon) : head).replace(/[^\x21-\x7e]/g, '').slice(0, 60);
}
