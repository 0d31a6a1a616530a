import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { DataKeySource } from '../secrets/secret-cipher';
import { adapterClient } from './tracing';

/** The subset of the KMS client this adapter uses; the real `KMSClient` satisfies it. */
export interface KmsLike {
  send(command: GenerateDataKeyCommand | DecryptCommand): Promise<{ Plaintext?: Uint8Array; CiphertextBlob?: Uint8Array }>;
}

/** Data keys from AWS KMS, bound to the encryption context (visible in CloudTrail). */
export function createKmsDataKeys(keyId: string, client: KmsLike = adapterClient(new KMSClient({}))): DataKeySource {
  return {
    async generateDataKey(context) {
      const out = await client.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context }));
      if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS returned no data key');
      return { plaintext: Buffer.from(out.Plaintext), wrapped: Buffer.from(out.CiphertextBlob) };
    },
    async unwrapDataKey(wrapped, context) {
      const out = await client.send(new DecryptCommand({ KeyId: keyId, CiphertextBlob: wrapped, EncryptionContext: context }));
      if (!out.Plaintext) throw new Error('KMS returned no plaintext');
      return Buffer.from(out.Plaintext);
    },
  };
}
