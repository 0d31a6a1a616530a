import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Encrypts secrets (SMTP passwords) bound to an encryption context such as company and scope. */
export interface SecretCipher {
  encrypt(plaintext: string, context: Record<string, string>): Promise<string>;
  decrypt(ciphertext: string, context: Record<string, string>): Promise<string>;
}

/** Where data keys come from: KMS on AWS, a local master key in local mode. */
export interface DataKeySource {
  generateDataKey(context: Record<string, string>): Promise<{ plaintext: Buffer; wrapped: Buffer }>;
  unwrapDataKey(wrapped: Buffer, context: Record<string, string>): Promise<Buffer>;
}

const FORMAT = 'env1';

/** Stable text form of a context, used as AES-GCM additional data. */
export const canonicalContext = (context: Record<string, string>): Buffer =>
  Buffer.from(JSON.stringify(Object.keys(context).sort().map((key) => [key, context[key]])));

/**
 * Envelope encryption: a fresh AES-256 data key per secret, wrapped by the key source with the
 * context; the secret itself sealed with AES-256-GCM under the same context as additional
 * data, so a ciphertext copied to another company or scope does not decrypt.
 */
export function createEnvelopeCipher(keys: DataKeySource): SecretCipher {
  return {
    async encrypt(plaintext, context) {
      const { plaintext: dataKey, wrapped } = await keys.generateDataKey(context);
      try {
        const iv = randomBytes(12);
        const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
        cipher.setAAD(canonicalContext(context));
        const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
        const parts = [wrapped, iv, cipher.getAuthTag(), sealed].map((part) => part.toString('base64'));
        return [FORMAT, ...parts].join('.');
      } finally {
        dataKey.fill(0);
      }
    },
    async decrypt(ciphertext, context) {
      const [format, wrapped, iv, tag, sealed] = ciphertext.split('.');
      if (format !== FORMAT || !sealed) throw new Error('Unknown secret format');
      const dataKey = await keys.unwrapDataKey(Buffer.from(wrapped, 'base64'), context);
      try {
        const decipher = createDecipheriv('aes-256-gcm', dataKey, Buffer.from(iv, 'base64'));
        decipher.setAAD(canonicalContext(context));
        decipher.setAuthTag(Buffer.from(tag, 'base64'));
        return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64')), decipher.final()]).toString('utf8');
      } finally {
        dataKey.fill(0);
      }
    },
  };
}
