import { GenerateMacCommand, KMSClient } from '@aws-sdk/client-kms';
import type { InboundAddressMac } from '../email-settings/inbound-address';
import { adapterClient } from './tracing';

/** How many MACs a process remembers (a few dozen bytes each): a warm function asks KMS once per scope. */
const REMEMBERED_MACS = 10_000;

/**
 * HMAC-SHA256 by an HMAC key in AWS KMS (`GenerateMac`): the key never leaves KMS. The same
 * input always gives the same MAC, so the answers are remembered (oldest forgotten first).
 */
export function createKmsMac(keyId: string, client: Pick<KMSClient, 'send'> = adapterClient(new KMSClient({}))): InboundAddressMac {
  const remembered = new Map<string, Buffer>();
  return async (data) => {
    const known = remembered.get(data);
    if (known) return known;
    const out = await client.send(new GenerateMacCommand({ KeyId: keyId, Message: Buffer.from(data, 'utf8'), MacAlgorithm: 'HMAC_SHA_256' }));
    if (!out.Mac) throw new Error('KMS returned no MAC');
    const mac = Buffer.from(out.Mac);
    if (remembered.size >= REMEMBERED_MACS) remembered.delete(remembered.keys().next().value!);
    remembered.set(data, mac);
    return mac;
  };
}
