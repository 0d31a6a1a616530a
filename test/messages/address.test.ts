import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '../../shared/errors';
import { addressProblem, parseSingleAddress } from '../../shared/outbound/address';

describe('parseSingleAddress', () => {
  it('returns the bare address with the domain lower-cased, trimmed, IDN in punycode', () => {
    assert.equal(parseSingleAddress('Jane.Doe+jobs@Example.COM'), 'Jane.Doe+jobs@example.com');
    assert.equal(parseSingleAddress('  o\'brien@sub.example.co.uk '), "o'brien@sub.example.co.uk");
    assert.equal(parseSingleAddress('user@bücher.de'), 'user@xn--bcher-kva.de');
    assert.equal(parseSingleAddress('hr@acme.inbound.localhost'), 'hr@acme.inbound.localhost');
  });

  const refused: [string, unknown, RegExp][] = [
    ['comment hiding a second domain', 'a@good.com(x)evil.com', /comments/],
    ['display name form used as a bare address', '"a@b.com" <c@d.com>', /bare address/],
    ['angle brackets', '<a@b.com>', /bare address/],
    ['two addresses with a comma', 'a@b.com, c@d.com', /exactly one address/],
    ['two addresses with a semicolon', 'a@b.com;c@d.com', /exactly one address/],
    ['group syntax', 'team:a@b.com;', /exactly one address|group/],
    ['group syntax without members', 'undisclosed-recipients:', /group/],
    ['missing domain', 'a@', /domain after @ is missing/],
    ['missing @', 'alice', /must contain @/],
    ['missing local part', '@b.com', /before @ is missing/],
    ['two @', 'a@b@c.com', /exactly one @/],
    ['IP literal', 'a@[127.0.0.1]', /IP-literal/],
    ['IPv6 literal', 'a@[IPv6:::1]', /IP-literal|group/],
    ['bare IPv4 domain', 'a@127.0.0.1', /IP addresses/],
    ['quoted local part', '"a b"@c.com', /quoted/],
    ['CRLF injection', 'a@b.com\r\nBcc: victim@x.com', /control characters/],
    ['LF injection', 'a@b.com\nBcc: victim@x.com', /control characters/],
    ['NUL', 'a@b.com\u0000', /control characters/],
    ['Unicode line separator', 'a@b.com\u2028x', /control characters/],
    ['space inside', 'a b@c.com', /spaces/],
    ['single-label domain', 'a@localhost', /two labels/],
    ['domain label starting with a dash', 'a@-b.com', /host name/],
    ['numeric TLD', 'a@b.123', /numeric/],
    ['consecutive dots in the local part', 'a..b@c.com', /separated by single dots/],
    ['leading dot', '.a@c.com', /separated by single dots/],
    ['non-ASCII local part (needs SMTPUTF8)', 'jürgen@example.com', /may only contain/],
    ['backslash escape', 'a\\@b@c.com', /backslash/],
    ['mailto URL', 'mailto:a@b.com', /group syntax and URLs/],
    ['not a string', 42, /must be a string/],
    ['empty', '   ', /is required/],
    ['too long', `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`, /at most 254/],
    ['local part too long', `${'a'.repeat(65)}@b.com`, /at most 64/],
  ];
  for (const [what, value, message] of refused) {
    it(`refuses ${what}`, () => {
      assert.match(addressProblem(value) ?? '', message);
      assert.throws(
        () => parseSingleAddress(value, 'to.0'),
        (error: unknown) =>
          isAppError(error) &&
          error.code === 'VALIDATION_FAILED' &&
          Array.isArray(error.details) &&
          error.details.length === 1 &&
          error.details[0].path === 'to.0',
      );
    });
  }
});
