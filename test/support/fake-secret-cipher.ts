import { randomUUID } from 'node:crypto';
import type { SecretCipher } from '../../shared/secrets/secret-cipher';

/**
 * A SecretCipher whose ciphertexts are opaque handles: the plaintext never appears in them, and
 * they decrypt only under the exact context they were made with, as the envelope cipher does.
 */
export class FakeSecretCipher implements SecretCipher {
  private readonly sealed = new Map<string, { plaintext: string; context: string }>();
  readonly encryptCalls: { plaintext: string; context: Record<string, string> }[] = [];

  private static canonical(context: Record<string, string>) {
    return JSON.stringify(Object.keys(context).sort().map((key) => [key, context[key]]));
  }

  async encrypt(plaintext: string, context: Record<string, string>) {
    this.encryptCalls.push({ plaintext, context: { ...context } });
    const handle = `fake1.${randomUUID()}`;
    this.sealed.set(handle, { plaintext, context: FakeSecretCipher.canonical(context) });
    return handle;
  }

  async decrypt(ciphertext: string, context: Record<string, string>) {
    const found = this.sealed.get(ciphertext);
    if (!found) throw new Error('Unknown ciphertext');
    if (found.context !== FakeSecretCipher.canonical(context)) throw new Error('Encryption context mismatch');
    return found.plaintext;
  }
}
