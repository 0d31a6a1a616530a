import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';

/** Reads every attachment to the end and keeps nothing, like a sink that uploads elsewhere. */
export const discardingSink = {
  async put(name: string, _contentType: string, content: Readable): Promise<{ key: string; size: number }> {
    let size = 0;
    content.on('data', (chunk: Buffer) => (size += chunk.length));
    await finished(content);
    return { key: `discarded/${name}`, size };
  },
};
