import type { SecretsConfig } from '../config/concerns';
import { inboundAddresses, type InboundAddresses } from '../email-settings/inbound-address';
import { onFirstUse } from '../on-first-use';

/**
 * Inbound addresses keyed by the KMS HMAC key `INBOUND_ADDRESS_KEY_ID` on AWS (its client loaded
 * with the first address), by the local master key file locally. Neither: the function stops
 * at start-up, naming both.
 */
export function inboundAddressesOf(secrets: SecretsConfig, inboundDomain: string): InboundAddresses {
  const { inboundAddressKeyId, localMasterKeyFile } = secrets;
  if (inboundAddressKeyId) {
    const mac = onFirstUse(async () => (await import('../adapters/kms-mac')).createKmsMac(inboundAddressKeyId));
    return inboundAddresses(inboundDomain, async (data) => (await mac.get())(data));
  }
  if (localMasterKeyFile) {
    const mac = onFirstUse(async () => {
      const [{ loadOrCreateMasterKey }, { createLocalMac }] = await Promise.all([import('../adapters/local-data-keys'), import('../adapters/local-mac')]);
      return createLocalMac(loadOrCreateMasterKey(localMasterKeyFile));
    });
    return inboundAddresses(inboundDomain, async (data) => (await mac.get())(data));
  }
  throw new Error('Set INBOUND_ADDRESS_KEY_ID (AWS) or LOCAL_MASTER_KEY_FILE (local mode) to derive inbound addresses');
}
