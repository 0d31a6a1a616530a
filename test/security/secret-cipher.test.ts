import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createKmsDataKeys } from '../../shared/adapters/kms-data-keys';
import { createLocalDataKeys, loadOrCreateMasterKey } from '../../shared/adapters/local-data-keys';
import { createEnvelopeCipher, type DataKeySource } from '../../shared/secrets/secret-cipher';
import { FakeKmsClient } from '../support/fake-kms-client';

const SECRET = 'Pässwörd with spaces & symbols: 535 5.7.8 🔑';
const context = { companyId: 'acme', scope: 'main', purpose: 'smtp-password' };

/** Replaces one base64 character of the envelope's part `index` (1 = wrapped key, 2 = iv, 3 = tag, 4 = sealed). */
function tamper(ciphertext: string, index: number): string {
  const parts = ciphertext.split('.');
  const bytes = Buffer.from(parts[index], 'base64');
  bytes[bytes.length - 1] ^= 0x01;
  parts[index] = bytes.toString('base64');
  return parts.join('.');
}

function behavesAsAnEnvelopeCipher(name: string, makeKeys: () => DataKeySource) {
  describe(name, () => {
    it('round-trips a secret, with a fresh ciphertext each time that does not contain it', async () => {
      const cipher = createEnvelopeCipher(makeKeys());
      const first = await cipher.encrypt(SECRET, context);
      const second = await cipher.encrypt(SECRET, context);
      assert.notEqual(first, second);
      assert.match(first, /^env1\./);
      assert.ok(!first.includes(SECRET));
      assert.ok(!Buffer.from(first).toString('latin1').includes('Pässwörd'));
      assert.equal(await cipher.decrypt(first, context), SECRET);
      assert.equal(await cipher.decrypt(second, { scope: 'main', purpose: 'smtp-password', companyId: 'acme' }), SECRET);
    });

    it('does not decrypt under another company, scope or purpose, or with an extra pair', async () => {
      const cipher = createEnvelopeCipher(makeKeys());
      const sealed = await cipher.encrypt(SECRET, context);
      for (const other of [
        { ...context, companyId: 'globex' },
        { ...context, scope: 'berlin' },
        { ...context, purpose: 'other' },
        { ...context, extra: 'x' },
        { companyId: 'acme', scope: 'main' },
      ]) {
        await assert.rejects(cipher.decrypt(sealed, other), `decrypted under ${JSON.stringify(other)}`);
      }
    });

    it('refuses a tampered ciphertext, whichever part was changed', async () => {
      const cipher = createEnvelopeCipher(makeKeys());
      const sealed = await cipher.encrypt(SECRET, context);
      for (const part of [1, 2, 3, 4]) await assert.rejects(cipher.decrypt(tamper(sealed, part), context), `part ${part}`);
      await assert.rejects(cipher.decrypt(sealed.replace(/^env1/, 'env2'), context), /Unknown secret format/);
      await assert.rejects(cipher.decrypt('env1.only.three', context));
      await assert.rejects(cipher.decrypt(SECRET, context));
    });
  });
}

behavesAsAnEnvelopeCipher('envelope cipher with local data keys', () => createLocalDataKeys(randomBytes(32)));

behavesAsAnEnvelopeCipher('envelope cipher with KMS data keys (fake KMS client)', () => createKmsDataKeys('alias/recruiting-mail', new FakeKmsClient(['alias/recruiting-mail'])));

describe('local data keys', () => {
  it('a secret does not decrypt under another master key', async () => {
    const sealed = await createEnvelopeCipher(createLocalDataKeys(randomBytes(32))).encrypt(SECRET, context);
    await assert.rejects(createEnvelopeCipher(createLocalDataKeys(randomBytes(32))).decrypt(sealed, context));
  });

  it('refuses a master key of the wrong size', () => {
    assert.throws(() => createLocalDataKeys(randomBytes(16)), /32 bytes/);
  });

  it('keeps the master key in a 0600 file and reuses it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'master-key-'));
    try {
      const file = join(dir, 'nested', 'master.key');
      const key = loadOrCreateMasterKey(file);
      assert.equal(key.length, 32);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.deepEqual(loadOrCreateMasterKey(file), key);
      assert.equal(Buffer.from(readFileSync(file, 'utf8'), 'base64').length, 32);
      const sealed = await createEnvelopeCipher(createLocalDataKeys(key)).encrypt(SECRET, context);
      assert.equal(await createEnvelopeCipher(createLocalDataKeys(loadOrCreateMasterKey(file))).decrypt(sealed, context), SECRET);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('KMS data keys', () => {
  it('asks KMS for an AES-256 data key under the configured key with the context, and decrypts with both', async () => {
    const kms = new FakeKmsClient(['arn:aws:kms:eu-central-1:111122223333:key/1234']);
    const cipher = createEnvelopeCipher(createKmsDataKeys('arn:aws:kms:eu-central-1:111122223333:key/1234', kms));
    const sealed = await cipher.encrypt(SECRET, context);
    assert.equal(await cipher.decrypt(sealed, context), SECRET);
    assert.deepEqual(kms.calls, [
      { command: 'GenerateDataKey', keyId: 'arn:aws:kms:eu-central-1:111122223333:key/1234', context },
      { command: 'Decrypt', keyId: 'arn:aws:kms:eu-central-1:111122223333:key/1234', context },
    ]);
  });

  it('a secret wrapped under one key does not open with a cipher configured for another', async () => {
    const kms = new FakeKmsClient(['key-a', 'key-b']);
    const sealed = await createEnvelopeCipher(createKmsDataKeys('key-a', kms)).encrypt(SECRET, context);
    await assert.rejects(createEnvelopeCipher(createKmsDataKeys('key-b', kms)).decrypt(sealed, context), { name: 'IncorrectKeyException' });
  });

  it('the context mismatch is refused by KMS itself, before any local decryption', async () => {
    const kms = new FakeKmsClient(['key-a']);
    const cipher = createEnvelopeCipher(createKmsDataKeys('key-a', kms));
    const sealed = await cipher.encrypt(SECRET, context);
    await assert.rejects(cipher.decrypt(sealed, { ...context, companyId: 'globex' }), { name: 'InvalidCiphertextException' });
  });

  it('an unknown key fails the encryption', async () => {
    const cipher = createEnvelopeCipher(createKmsDataKeys('alias/missing', new FakeKmsClient(['key-a'])));
    await assert.rejects(cipher.encrypt(SECRET, context), { name: 'NotFoundException' });
  });
});
