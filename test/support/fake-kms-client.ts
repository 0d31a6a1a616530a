import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import type { KmsLike } from '../../shared/adapters/kms-data-keys';

const kmsError = (name: string, message: string) => Object.assign(new Error(message), { name, $fault: 'client' });

/**
 * KMS cannot run here, so this stands in for the real client behind the same `send` interface.
 * It behaves as KMS does for what the adapter relies on: a data key is wrapped under a named
 * key with the encryption context bound to it; Decrypt fails (`InvalidCiphertextException`)
 * when the context differs in any pair or the blob was altered, and (`IncorrectKeyException`)
 * when the KeyId given is not the key that wrapped it.
 */
export class FakeKmsClient implements KmsLike {
  private readonly keys = new Map<string, Buffer>();
  readonly calls: { command: 'GenerateDataKey' | 'Decrypt'; keyId: string | undefined; context: Record<string, string> | undefined }[] = [];

  constructor(keyIds: string[]) {
    for (const keyId of keyIds) this.keys.set(keyId, randomBytes(32));
  }

  private static aad(keyId: string, context: Record<string, string> | undefined) {
    const pairs = Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Buffer.from(JSON.stringify([keyId, pairs]));
  }

  async send(command: GenerateDataKeyCommand | DecryptCommand): Promise<{ Plaintext?: Uint8Array; CiphertextBlob?: Uint8Array; KeyId?: string }> {
    if (command instanceof GenerateDataKeyCommand) {
      const { KeyId, KeySpec, EncryptionContext } = command.input;
      this.calls.push({ command: 'GenerateDataKey', keyId: KeyId, context: EncryptionContext });
      const master = KeyId ? this.keys.get(KeyId) : undefined;
      if (!KeyId || !master) throw kmsError('NotFoundException', `Key '${KeyId}' does not exist`);
      if (KeySpec !== 'AES_256') throw kmsError('ValidationException', 'KeySpec must be AES_256 here');
      const plaintext = randomBytes(32);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', master, iv);
      cipher.setAAD(FakeKmsClient.aad(KeyId, EncryptionContext));
      const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const keyIdBytes = Buffer.from(KeyId);
      const blob = Buffer.concat([Buffer.from([keyIdBytes.length]), keyIdBytes, iv, cipher.getAuthTag(), sealed]);
      return { Plaintext: new Uint8Array(plaintext), CiphertextBlob: new Uint8Array(blob), KeyId };
    }
    if (command instanceof DecryptCommand) {
      const { KeyId, CiphertextBlob, EncryptionContext } = command.input;
      this.calls.push({ command: 'Decrypt', keyId: KeyId, context: EncryptionContext });
      const blob = Buffer.from(CiphertextBlob ?? new Uint8Array());
      const keyIdLength = blob[0] ?? 0;
      const wrappedBy = blob.subarray(1, 1 + keyIdLength).toString();
      const master = this.keys.get(wrappedBy);
      if (!master) throw kmsError('InvalidCiphertextException', 'The ciphertext is invalid');
      if (KeyId !== undefined && KeyId !== wrappedBy) throw kmsError('IncorrectKeyException', 'The key ID in the request does not identify the key that encrypted the ciphertext');
      const rest = blob.subarray(1 + keyIdLength);
      try {
        const decipher = createDecipheriv('aes-256-gcm', master, rest.subarray(0, 12));
        decipher.setAAD(FakeKmsClient.aad(wrappedBy, EncryptionContext));
        decipher.setAuthTag(rest.subarray(12, 28));
        const plaintext = Buffer.concat([decipher.update(rest.subarray(28)), decipher.final()]);
        return { Plaintext: new Uint8Array(plaintext), KeyId: wrappedBy };
      } catch {
        throw kmsError('InvalidCiphertextException', 'The ciphertext is invalid');
      }
    }
    throw new Error(`FakeKmsClient does not implement ${(command as object).constructor.name}`);
  }
}
