import { generateKeyPairSync } from 'node:crypto';
import selfsigned from 'selfsigned';

export interface SelfSignedCertificate {
  key: string;
  cert: string;
}

/**
 * A self-signed RSA certificate for the given names and 127.0.0.1 (the first name is the common
 * name), for local mail servers: the company SMTP stand-in, test and bench servers. `ownCa`
 * makes it its own CA, so that a client trusts it where it is passed as an extra CA.
 */
export function makeSelfSignedCertificate(options: { names?: string[]; days: number; ownCa: boolean }): SelfSignedCertificate {
  const names = options.names ?? ['localhost'];
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const generated = selfsigned.generate([{ name: 'commonName', value: names[0] }], {
    keyPair: { publicKey, privateKey },
    algorithm: 'sha256',
    days: options.days,
    extensions: [
      { name: 'basicConstraints', cA: options.ownCa },
      options.ownCa ? { name: 'keyUsage', keyCertSign: true, digitalSignature: true, keyEncipherment: true } : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [...names.map((value) => ({ type: 2, value })), { type: 7, ip: '127.0.0.1' }] },
    ],
  } as Parameters<typeof selfsigned.generate>[1] & { keyPair: { publicKey: string; privateKey: string } });
  return { key: generated.private, cert: generated.cert };
}
