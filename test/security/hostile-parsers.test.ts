/**
 * Property-based tests (fast-check) over the code that sees hostile input: secret redaction in
 * any context, the SMTP reply classifier, the company and roles claims, bare addresses,
 * forwarded blocks, and the oversized-header guard. Each property says what the code promises
 * for every input: no exception other than the documented one, and the documented result.
 */
import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import EmailForwardParser from 'email-forward-parser';
import fc from 'fast-check';
import { AppError } from '../../shared/errors';
import { companyIdFromClaim, COMPANY_ID_PATTERN, ROLES, rolesFromClaim } from '../../shared/http/tenant-claims';
import { findForwardedSender } from '../../shared/inbound/forwarded-block';
import { MAX_FIELD_BYTES, OversizedHeaderGuard } from '../../shared/inbound/oversized-header-guard';
import { checkSingleAddress } from '../../shared/outbound/address';
import { classifySmtpFailure, parseSmtpReply } from '../../shared/smtp/classify-smtp-reply';
import { REDACTED, redactText, secretForms } from '../../shared/smtp/redact-secrets';
import { SMTP_RESULT_CODES, SMTP_STAGES } from '../../shared/smtp/types';

const RUNS = { numRuns: 300 };

/** The text between redaction marks: what a reader still sees. */
const visible = (text: string) => text.split(REDACTED);

/** Base64 characters of `prefix + secret + suffix` that depend on the secret's bits only (computed here, independently). */
function secretOnlyBase64(prefix: Buffer, secret: Buffer, suffix: Buffer): string {
  const encoded = Buffer.concat([prefix, secret, suffix]).toString('base64');
  const startBit = prefix.length * 8;
  const endBit = (prefix.length + secret.length) * 8;
  let core = '';
  for (let i = 0; i < encoded.length; i++) {
    if (i * 6 >= startBit && i * 6 + 6 <= endBit) core += encoded[i];
  }
  return core;
}

const secretArb = fc.string({ unit: 'binary', minLength: 6, maxLength: 80 }).filter((secret) => Buffer.byteLength(secret) >= 8);
const bytesArb = fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes));

describe('redaction, whatever surrounds the secret', () => {
  it('removes the secret from any base64 blob it is embedded in, at any alignment', () => {
    fc.assert(
      fc.property(secretArb, bytesArb, bytesArb, fc.string({ maxLength: 20 }), (secret, prefix, suffix, username) => {
        const forms = secretForms(username, secret);
        const blob = Buffer.concat([prefix, Buffer.from(secret, 'utf8'), suffix]).toString('base64');
        const core = secretOnlyBase64(prefix, Buffer.from(secret, 'utf8'), suffix);
        const redacted = redactText(`said ${blob} ok`, forms);
        for (const piece of visible(redacted)) assert.ok(!piece.includes(core), `${JSON.stringify(core)} still in ${redacted}`);
      }),
      RUNS,
    );
  });

  it('removes the secret in its text encodings, between any other characters', () => {
    const latin1View = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
    const escaped = (s: string) => latin1View(s).replace(/[^\x20-\x7e\n]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
    const allBytes = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `\\x${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');
    const url = (s: string) => encodeURIComponent(s);
    const qp = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => (b > 0x20 && b < 0x7f && b !== 0x3d ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
    const json = (s: string) => JSON.stringify(s).slice(1, -1);
    const encodings = [(s: string) => s, latin1View, escaped, allBytes, url, qp, json, (s: string) => s.toUpperCase()];
    fc.assert(
      fc.property(secretArb, fc.string(), fc.string(), fc.integer({ min: 0, max: encodings.length - 1 }), (secret, before, after, which) => {
        const encoded = encodings[which](secret);
        const redacted = redactText(`${before}${encoded}${after}`, secretForms(undefined, secret));
        for (const piece of visible(redacted)) {
          if (!before.includes(encoded) && !after.includes(encoded)) assert.ok(!piece.includes(encoded), `encoding ${which}: ${JSON.stringify(encoded)} in ${JSON.stringify(redacted)}`);
        }
      }),
      RUNS,
    );
  });
});

describe('the SMTP reply classifier', () => {
  it('classifies any reply, at any stage, into a known code without throwing', () => {
    const known = new Set<string>(SMTP_RESULT_CODES);
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), fc.tuple(fc.integer({ min: 100, max: 999 }), fc.string()).map(([code, text]) => `${code} ${text}`)),
        fc.constantFrom(...SMTP_STAGES),
        fc.constantFrom('ssl', 'starttls', 'none') as fc.Arbitrary<'ssl' | 'starttls' | 'none'>,
        fc.string({ maxLength: 200 }),
        (reply, stage, security, serverText) => {
          parseSmtpReply(reply);
          for (const kind of ['reply', 'malformed_reply'] as const) {
            const result = classifySmtpFailure({ kind, stage, reply }, { host: 'smtp.example.com', port: 587, security, serverText });
            assert.ok(known.has(result.code), result.code);
            assert.equal(typeof result.message, 'string');
          }
        },
      ),
      RUNS,
    );
  });
});

describe('the company and roles claims', () => {
  const isUnauthorized = (error: unknown) => error instanceof AppError && error.code === 'UNAUTHORIZED' && error.status === 401;

  it('accepts exactly the documented company ids, unchanged, and refuses anything else with 401', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string({ unit: 'binary', maxLength: 200 }), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,140}$/)), (value) => {
        // The rule as documented (the 401's message), written out here rather than taken from the code.
        const documented = typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/.test(value) && !['null', 'true', 'false', 'undefined'].includes(value);
        let id: string | undefined;
        try {
          id = companyIdFromClaim(value, 'company_id');
        } catch (error) {
          assert.ok(isUnauthorized(error), String(error));
          assert.equal(documented, false, `a documented company id is refused: ${JSON.stringify(value)}`);
          return;
        }
        assert.equal(documented, true, `an undocumented company id is accepted: ${JSON.stringify(value)}`);
        assert.equal(id, value, 'used exactly as issued');
        assert.match(id, COMPANY_ID_PATTERN);
      }),
      RUNS,
    );
    // The edges, whatever the generator picks: each documented shape is accepted.
    for (const id of ['a', '7', 'acme', 'Acme_Corp.de', 'tenant:42', 'hr@acme', `a${'-'.repeat(127)}`]) assert.equal(companyIdFromClaim(id, 'company_id'), id);
    for (const id of ['', '-acme', '.acme', 'a b', 'acme/1', `a${'b'.repeat(128)}`, 'null', 'ümlaut']) assert.throws(() => companyIdFromClaim(id, 'company_id'), isUnauthorized, JSON.stringify(id));
  });

  it('reads roles only as known names, refusing other shapes with 401', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.array(fc.constantFrom('admin', 'recruiter', 'Admin', 'x', '')), fc.string()), (value) => {
        try {
          const roles = rolesFromClaim(value, 'roles');
          assert.ok(roles.every((role) => (ROLES as readonly string[]).includes(role)));
          assert.equal(new Set(roles).size, roles.length);
        } catch (error) {
          assert.ok(isUnauthorized(error), String(error));
          assert.ok(typeof value !== 'string' && !(Array.isArray(value) && value.every((item) => typeof item === 'string')));
        }
      }),
      RUNS,
    );
    // API Gateway's flattening of any list of names reads back as the known ones.
    fc.assert(
      fc.property(fc.array(fc.constantFrom('admin', 'recruiter', 'owner')), (names) => {
        assert.deepEqual(new Set(rolesFromClaim(`[${names.join(' ')}]`, 'roles')), new Set(names.filter((name) => name !== 'owner')));
      }),
      RUNS,
    );
  });
});

describe('addresses and forwarded blocks', () => {
  it('checks any value as a bare address without throwing', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.emailAddress(), fc.string({ unit: 'binary', maxLength: 300 })), (value) => {
        const checked = checkSingleAddress(value);
        if (checked.ok) assert.match(checked.value, /^[^\s<>(),;:"]+@[^\s<>(),;:"@]+$/);
      }),
      RUNS,
    );
  });

  it('reads any body for a forwarded sender without throwing; what it returns passed the accept check', () => {
    const forwardParser = new EmailForwardParser();
    const header = fc.constantFrom('---------- Forwarded message ---------\n', 'Begin forwarded message:\n', '-----Original Message-----\n', '');
    const fromLine = fc.tuple(fc.constantFrom('From: ', 'Von: ', 'De : ', '> From: '), fc.oneof(fc.emailAddress(), fc.string())).map(([label, value]) => `${label}${value}\n`);
    fc.assert(
      fc.property(fc.array(fc.oneof(header, fromLine, fc.string({ maxLength: 200 })), { maxLength: 12 }), fc.boolean(), (parts, forwardExpected) => {
        const accepted: string[] = [];
        const found = findForwardedSender(parts.join(''), {
          forwardExpected,
          forwardParser,
          accept: (address) => {
            const checked = checkSingleAddress(address);
            if (checked.ok) accepted.push(checked.value);
            return checked.ok ? checked.value : null;
          },
        });
        if (found?.sender) assert.ok(accepted.includes(found.sender.address), JSON.stringify(found));
      }),
      { numRuns: 150 },
    );
  });
});

describe('the oversized-header guard', () => {
  const fieldArb = fc
    .tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/), fc.string({ unit: 'binary-ascii', maxLength: 120 }).map((value) => value.replace(/[\r\n]/g, ' ')))
    .map(([name, value]) => `${name}: ${value}\r\n`);

  it('passes any ordinary mail through unchanged, however it is cut into chunks', () => {
    fc.assert(
      fc.property(fc.array(fieldArb, { maxLength: 20 }), fc.string({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 6 }), (fields, body, cuts) => {
        const mail = Buffer.from(`${fields.join('')}\r\n${body}`, 'utf8');
        const guard = new OversizedHeaderGuard();
        const points = [...new Set(cuts.map((cut) => cut % (mail.length + 1)))].sort((a, b) => a - b);
        const out: Buffer[] = [];
        let from = 0;
        for (const point of [...points, mail.length]) {
          out.push(...guard.feed(mail.subarray(from, point)));
          from = point;
        }
        out.push(...guard.end());
        assert.ok(Buffer.concat(out).equals(mail));
        assert.deepEqual(guard.defects(), []);
      }),
      { numRuns: 200 },
    );
  });

  it('drops exactly the oversized field and keeps every other one', () => {
    fc.assert(
      fc.property(fc.array(fieldArb, { maxLength: 8 }), fc.array(fieldArb, { maxLength: 8 }), fc.integer({ min: 1, max: 3 }), (before, after, chunks) => {
        const huge = `X-Huge: ${'h'.repeat(MAX_FIELD_BYTES)}\r\n\tcontinued\r\n`;
        const mail = Buffer.from(`${before.join('')}${huge}${after.join('')}\r\nbody\r\n`);
        const guard = new OversizedHeaderGuard();
        const size = Math.ceil(mail.length / chunks);
        const out: Buffer[] = [];
        for (let i = 0; i < mail.length; i += size) out.push(...guard.feed(mail.subarray(i, i + size)));
        out.push(...guard.end());
        assert.equal(Buffer.concat(out).toString(), `${before.join('')}${after.join('')}\r\nbody\r\n`);
        assert.equal(guard.defects().length, 1);
        assert.match(guard.defects()[0], /X-Huge/);
      }),
      { numRuns: 50 },
    );
  });
});

describe('logs inside a secret scope', () => {
  it('never carry the secret, in a message, an attribute or an error, and errors leaving the scope are redacted', async () => {
    const { Logger } = await import('@aws-lambda-powertools/logger');
    const { redactingJsonReplacer, withSecretsRedacted } = await import('../../shared/security/secret-scope');
    const secret = 'pässwörd-€-log';
    const written: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    const log = new Logger({ serviceName: 'redaction-test', logLevel: 'INFO', jsonReplacerFn: redactingJsonReplacer });
    let escaped: unknown;
    try {
      await withSecretsRedacted(secretForms('user@x.example', secret), async () => {
        log.info(`server said ${secret}`, { reply: `535 ${Buffer.from(`\u0000user@x.example\u0000${secret}`).toString('base64')}`, nested: { list: [encodeURIComponent(secret)] } });
        log.error('failed', { error: new Error(`login ${secret} refused`) });
        throw new Error(`boom ${secret}`);
      });
    } catch (error) {
      escaped = error;
    } finally {
      process.stdout.write = original;
    }
    const output = written.join('');
    assert.match(output, /server said <redacted>/);
    for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')]) assert.ok(!output.includes(form), output);
    assert.ok(escaped instanceof Error && !escaped.message.includes(secret) && !String(escaped.stack).includes(secret));
  });
});
