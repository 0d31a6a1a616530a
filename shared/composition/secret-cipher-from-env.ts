import { createKmsDataKeys } from '../adapters/kms-data-keys';
import { createLocalDataKeys, loadOrCreateMasterKey } from '../adapters/local-data-keys';
import type { SecretsConfig } from '../config/concerns';
import { createEnvelopeCipher, type SecretCipher } from '../secrets/secret-cipher';
import { assertSecretKeyConfigured } from './secret-key-configured';

/** KMS on AWS (`KMS_KEY_ID`), the local master key file in local mode (`LOCAL_MASTER_KEY_FILE`). */
export function secretCipherOf(secrets: SecretsConfig): SecretCipher {
  assertSecretKeyConfigured(secrets);
  if (secrets.kmsKeyId) return createEnvelopeCipher(createKmsDataKeys(secrets.kmsKeyId));
  return createEnvelopeCipher(createLocalDataKeys(loadOrCreateMasterKey(secrets.localMasterKeyFile!)));
}
