import { createKmsDataKeys } from '../adapters/kms-data-keys';
import { createLocalDataKeys, loadOrCreateMasterKey } from '../adapters/local-data-keys';
import type { SecretsConfig } from '../config/concerns';
import { createEnvelopeCipher, type SecretCipher } from '../secrets/secret-cipher';

/** KMS on AWS (`KMS_KEY_ID`), the local master key file in local mode (`LOCAL_MASTER_KEY_FILE`). */
export function secretCipherOf(secrets: SecretsConfig): SecretCipher {
  if (secrets.kmsKeyId) return createEnvelopeCipher(createKmsDataKeys(secrets.kmsKeyId));
  if (secrets.localMasterKeyFile) return createEnvelopeCipher(createLocalDataKeys(loadOrCreateMasterKey(secrets.localMasterKeyFile)));
  throw new Error('Set KMS_KEY_ID (AWS) or LOCAL_MASTER_KEY_FILE (local mode) to encrypt SMTP passwords');
}
