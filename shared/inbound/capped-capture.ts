import type { Readable } from 'node:stream';

/** Keeps the first `cap` bytes of a stream's chunks in memory and notes whether more came. */
export class CappedCapture {
  private readonly chunks: Buffer[] = [];
  private length = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  add(chunk: Buffer): void {
    if (this.length >= this.cap) {
      this.truncated = true;
      return;
    }
    const room = this.cap - this.length;
    const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (piece.length < chunk.length) this.truncated = true;
    this.chunks.push(Buffer.from(piece));
    this.length += piece.length;
  }

  get size(): number {
    return this.length;
  }

  buffer(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

/** Resolves when the stream is done one way or another; errors are reported elsewhere. */
export function ended(stream: Readable): Promise<void> {
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}
