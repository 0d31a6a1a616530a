import { createHmac, hkdfSync } from 'node:crypto';
import type { InboundAddressMac } from '../email-settings/inbound-address';

/** Local mode's stand-in for a KMS HMAC key: HMAC-SHA256 with a key derived from the local master key (HKDF). */
export function createLocalMac(masterKey: Buffer, purpose = 'inbound-address'): InboundAddressMac {
  const key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), purpose, 32));
  return async (data) => createHmac('sha256', key).update(data, 'utf8').digest();
}
