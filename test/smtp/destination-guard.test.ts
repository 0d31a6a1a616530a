import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  blockedReason,
  checkDestination,
  normaliseIpLiteral,
  outboundPolicyFromEnv,
} from '../../shared/smtp/destination-guard';
import type { OutboundPolicy } from '../../shared/smtp/types';
import { fakeResolver } from '../support/smtp-helpers';

const strict: OutboundPolicy = { allowedPorts: [25, 465, 587, 2525], allowedPrivateCidrs: [], allowPlaintext: false, acceptUntrustedCertificatesInAllowedCidrs: false };

describe('normaliseIpLiteral', () => {
  it('reads the numeric forms getaddrinfo accepts', () => {
    const forms: [string, string | null][] = [
      ['0x7f.1', '127.0.0.1'], ['2130706433', '127.0.0.1'], ['0177.0.0.1', '127.0.0.1'], ['127.1', '127.0.0.1'],
      ['[::1]', '::1'],
      ['smtp.gmail.com', null],
    ];
    for (const [written, read] of forms) assert.equal(normaliseIpLiteral(written), read, written);
  });
});

describe('blockedReason', () => {
  const blocked = [
    '127.0.0.1',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.1.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '240.0.0.1',
    '::1',
    '::',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:8.8.8.8',
    '64:ff9b::7f00:1',
    '64:ff9b:1::a00:1',
    '2002:7f00:1::',
    '2001:0:7f00:1::1',
    '::7f00:1',
    'ff02::1',
  ];
  for (const address of blocked) {
    it(`refuses ${address}`, () => assert.ok(blockedReason(normaliseIpLiteral(address) ?? address)));
  }
  for (const address of ['8.8.8.8', '142.250.102.108', '2607:f8b0:4004:c1b::6c', '52.97.1.1']) {
    it(`allows ${address}`, () => assert.equal(blockedReason(address), null));
  }
  it('names the IPv4 address inside a NAT64 address', () => {
    assert.match(blockedReason('64:ff9b::7f00:1') ?? '', /127\.0\.0\.1/);
  });
});

describe('checkDestination', () => {
  it('refuses ports outside the allowed set before any lookup', async () => {
    const calls: string[] = [];
    const result = await checkDestination('smtp.example.com', 8080, strict, { resolver: fakeResolver({}, calls) });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.code, 'PORT_NOT_ALLOWED');
    assert.equal(!result.ok && result.stage, 'policy');
    assert.deepEqual(calls, []);
  });

  it('marks only addresses inside an allowed private range as such (the only ones that may present untrusted certificates)', async () => {
    const lenient: OutboundPolicy = { ...strict, allowedPorts: '*', allowedPrivateCidrs: ['127.0.0.0/8'], acceptUntrustedCertificatesInAllowedCidrs: true };
    const local = await checkDestination('127.0.0.1', 2525, lenient);
    assert.ok(local.ok && local.inAllowedPrivateRange);
    const remote = await checkDestination('smtp.example.com', 587, lenient, { resolver: fakeResolver({ 'smtp.example.com': ['142.250.102.108'] }) });
    assert.ok(remote.ok && !remote.inAllowedPrivateRange);
  });

  it('resolves once and pins a checked IPv4 address, keeping the name for TLS', async () => {
    const calls: string[] = [];
    const resolver = fakeResolver({ 'smtp.example.com': ['2607:f8b0:4004:c1b::6c', '142.250.102.108'] }, calls);
    const result = await checkDestination('SMTP.example.com.', 587, strict, { resolver });
    assert.deepEqual(result, {
      ok: true,
      address: '142.250.102.108',
      family: 4,
      port: 587,
      servername: 'smtp.example.com',
      resolved: ['2607:f8b0:4004:c1b::6c', '142.250.102.108'],
      inAllowedPrivateRange: false,
    });
    assert.deepEqual(calls, ['smtp.example.com']);
  });

  it('refuses a name when any one of its addresses is private', async () => {
    const resolver = fakeResolver({ 'mixed.example.com': ['142.250.102.108', '10.0.0.5'] });
    const result = await checkDestination('mixed.example.com', 587, strict, { resolver });
    assert.equal(!result.ok && result.code, 'DESTINATION_BLOCKED');
    assert.match(!result.ok ? result.message : '', /10\.0\.0\.5/);
  });

  it('allows private ranges only where the policy exempts them, per address family', async () => {
    const local: OutboundPolicy = { ...strict, allowedPrivateCidrs: ['127.0.0.0/8'] };
    assert.equal((await checkDestination('127.0.0.1', 587, local)).ok, true);
    assert.equal((await checkDestination('::1', 587, local)).ok, false);
    assert.equal((await checkDestination('::ffff:127.0.0.1', 587, local)).ok, false);
    assert.equal((await checkDestination('::1', 587, { ...local, allowedPrivateCidrs: ['127.0.0.0/8', '::1/128'] })).ok, true);
    assert.equal((await checkDestination('64:ff9b::7f00:1', 587, local)).ok, false);
    assert.equal((await checkDestination('2002:7f00:1::', 587, local)).ok, false);
    assert.equal((await checkDestination('10.0.0.1', 587, local)).ok, false);
    assert.equal((await checkDestination('::ffff:10.0.0.1', 587, local)).ok, false);
  });

  it('lets localhost through when loopback is exempt, although it resolves to ::1 and 127.0.0.1', async () => {
    const local: OutboundPolicy = { ...strict, allowedPrivateCidrs: ['127.0.0.0/8'] };
    const result = await checkDestination('localhost', 587, local, { resolver: fakeResolver({ localhost: ['::1', '127.0.0.1'] }) });
    assert.ok(result.ok);
    assert.equal(result.address, '127.0.0.1');
    const blocked = await checkDestination('localhost', 587, strict, { resolver: fakeResolver({ localhost: ['::1', '127.0.0.1'] }) });
    assert.equal(!blocked.ok && blocked.code, 'DESTINATION_BLOCKED');
    assert.doesNotMatch(!blocked.ok ? blocked.message : '', /carries/);
    // Loopback beside any other address is no "same host": refused.
    const mixed = await checkDestination('sneaky.example', 587, local, { resolver: fakeResolver({ 'sneaky.example': ['127.0.0.1', '10.0.0.1'] }) });
    assert.equal(!mixed.ok && mixed.code, 'DESTINATION_BLOCKED');
  });

  it('answers DNS_NOT_FOUND for a name that does not exist', async () => {
    const result = await checkDestination('nope.example.com', 587, strict, { resolver: fakeResolver({}) });
    assert.equal(!result.ok && result.code, 'DNS_NOT_FOUND');
    assert.equal(!result.ok && result.stage, 'dns');
  });

  it('answers a temporary failure for SERVFAIL and for a hung resolver', async () => {
    const servfail = await checkDestination('x.example.com', 587, strict, {
      resolver: async () => {
        throw Object.assign(new Error('queryA ESERVFAIL'), { code: 'ESERVFAIL' });
      },
    });
    assert.equal(!servfail.ok && servfail.code, 'TEMPORARY_FAILURE');
    const hung = await checkDestination('x.example.com', 587, strict, { resolver: () => new Promise(() => undefined), dnsTimeoutMs: 50 });
    assert.equal(!hung.ok && hung.code, 'TEMPORARY_FAILURE');
    assert.equal(!hung.ok && hung.stage, 'dns');
  });

  it('rejects text that is not a host name', async () => {
    const result = await checkDestination('smtp://mail.example.com', 587, strict, { resolver: fakeResolver({}) });
    assert.equal(!result.ok && result.code, 'DNS_NOT_FOUND');
  });
});

describe('outboundPolicyFromEnv', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of ['SMTP_ALLOWED_PORTS', 'SMTP_ALLOWED_PRIVATE_CIDRS', 'SMTP_ALLOW_PLAINTEXT']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('defaults to the submission ports, no exemptions and no plaintext', () => {
    delete process.env.SMTP_ALLOWED_PORTS;
    delete process.env.SMTP_ALLOWED_PRIVATE_CIDRS;
    delete process.env.SMTP_ALLOW_PLAINTEXT;
    assert.deepEqual(outboundPolicyFromEnv(), { allowedPorts: [25, 465, 587, 2525], allowedPrivateCidrs: [], allowPlaintext: false, acceptUntrustedCertificatesInAllowedCidrs: false });
  });

  it('reads "*", CIDR lists and the plaintext flag', () => {
    process.env.SMTP_ALLOWED_PORTS = '*';
    process.env.SMTP_ALLOWED_PRIVATE_CIDRS = '127.0.0.0/8, ::1/128';
    process.env.SMTP_ALLOW_PLAINTEXT = 'true';
    assert.deepEqual(outboundPolicyFromEnv(), { allowedPorts: '*', allowedPrivateCidrs: ['127.0.0.0/8', '::1/128'], allowPlaintext: true, acceptUntrustedCertificatesInAllowedCidrs: false });
  });

  it('fails fast on a mistyped range', () => {
    process.env.SMTP_ALLOWED_PRIVATE_CIDRS = '127.0.0.0/33';
    assert.throws(() => outboundPolicyFromEnv(), /SMTP_ALLOWED_PRIVATE_CIDRS/);
  });
});
