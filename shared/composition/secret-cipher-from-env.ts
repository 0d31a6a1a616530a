import { createKmsDataKeys } from '../adapters/kms-data-keys';
import { createLocalDataKeys, loadOrCreateMasterKey } from '../adapters/local-data-keys';
import { createEnvelopeCipher, type SecretCipher } from '../secrets/secret-cipher';

/** KMS on AWS (`KMS_KEY_ID`), the local master key file in local mode (`LOCAL_MASTER_KEY_FILE`). */
export function secretCipherFromEnv(): SecretCipher {
  const kmsKeyId = process.env.KMS_KEY_ID;
  if (kmsKeyId) return createEnvelopeCipher(createKmsDataKeys(kmsKeyId));
  const keyFile = process.env.LOCAL_MASTER_KEY_FILE;
  if (keyFile) return createEnvelopeCipher(createLocalDataKeys(loadOrCreateMasterKey(keyFile)));
  throw new Error('Set KMS_KEY_ID (AWS) or LOCAL_MASTER_KEY_FILE (local mode) to encrypt SMTP passwords');
}
