import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { canonicalContext, type DataKeySource } from '../secrets/secret-cipher';

/**
 * Local mode's stand-in for KMS: a 256-bit master key kept in a file under the local data
 * folder (created on first use, mode 0600) wraps the data keys, with the context as AES-GCM
 * additional data, exactly as KMS binds its encryption context.
 */
export function createLocalDataKeys(masterKey: Buffer): DataKeySource {
  if (masterKey.length !== 32) throw new Error('The local master key must be 32 bytes');
  return {
    async generateDataKey(context) {
      const plaintext = randomBytes(32);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
      cipher.setAAD(canonicalContext(context));
      const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return { plaintext, wrapped: Buffer.concat([iv, cipher.getAuthTag(), sealed]) };
    },
    async unwrapDataKey(wrapped, context) {
      const decipher = createDecipheriv('aes-256-gcm', masterKey, wrapped.subarray(0, 12));
      decipher.setAAD(canonicalContext(context));
      decipher.setAuthTag(wrapped.subarray(12, 28));
      return Buffer.concat([decipher.update(wrapped.subarray(28)), decipher.final()]);
    },
  };
}

export function loadOrCreateMasterKey(file: string): Buffer {
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  mkdirSync(dirname(file), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64'), { mode: 0o600 });
  return key;
}
