import type { SecretsConfig } from '../config/concerns';

/** Passwords need a key: KMS on AWS, the local master key file in local mode. Checked at start-up. */
export function assertSecretKeyConfigured(secrets: SecretsConfig): void {
  if (!secrets.kmsKeyId && !secrets.localMasterKeyFile) {
    throw new Error('Set KMS_KEY_ID (AWS) or LOCAL_MASTER_KEY_FILE (local mode) to encrypt SMTP passwords');
  }
}
