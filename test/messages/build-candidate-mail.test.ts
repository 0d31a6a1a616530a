import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { simpleParser, type AddressObject } from 'mailparser';
import { isAppError, type FieldIssue } from '../../shared/errors';
import {
  buildCandidateMail,
  validateMailInput,
  type CandidateMailInput,
} from '../../shared/outbound/build-candidate-mail';
import { MAX_ATTACHMENTS_TOTAL_BYTES } from '../../shared/outbound/limits';

const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(4096), Buffer.from('\n%%EOF\n')]);

const goodMail = (): CandidateMailInput => ({
  from: { address: 'jobs@acme.example', name: 'ACME, "Talent" <Team>' },
  replyTo: [{ address: 'acme@inbound.example', name: 'ACME Recruiting' }],
  to: ['jane.doe@candidate.example', 'Jane.Doe@CANDIDATE.example'],
  cc: ['hiring-manager@acme.example'],
  subject: 'Einladung zum Gespräch – Senior Engineer (Ref. #42)',
  text: 'Hallo Jane,\nwir freuen uns.\n',
  html: '<p>Hallo Jane,</p><p>wir freuen uns.</p>',
  inReplyTo: 'CAFZEwPN2Beoge=_vky9r3GayNw@mail.gmail.com',
  references: ['<root.1@acme.example>', 'CAFZEwPN2Beoge=_vky9r3GayNw@mail.gmail.com'],
  attachments: [
    { filename: 'Stellenbeschreibung Müller.pdf', contentType: 'application/pdf', content: pdf },
    { filename: 'notes.txt', contentType: 'text/plain', content: Buffer.from('line 1\r\nline 2\r\n') },
  ],
  messageIdDomain: 'mail.recruiting.example',
  headers: { 'X-Recruiting-Mail-Id': 'msg_01HZX' },
});

const addresses = (field: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(field) ? field : field ? [field] : []).flatMap((entry) => entry.value);

/** Asserts that building `input` fails with VALIDATION_FAILED and an issue at `path`. */
async function assertRejected(input: unknown, path: string, message?: RegExp): Promise<FieldIssue[]> {
  let issues: FieldIssue[] = [];
  await assert.rejects(buildCandidateMail(input as CandidateMailInput), (error: unknown) => {
    assert.ok(isAppError(error), `expected an AppError, got ${String(error)}`);
    assert.equal(error.code, 'VALIDATION_FAILED');
    issues = error.details as FieldIssue[];
    const issue = issues.find((candidate) => candidate.path === path);
    assert.ok(issue, `expected an issue at ${path}, got ${JSON.stringify(issues)}`);
    if (message) assert.match(issue.message, message);
    return true;
  });
  return issues;
}

describe('buildCandidateMail: a good mail', () => {
  it('parses back to the same headers, bodies and attachments', async () => {
    const built = await buildCandidateMail(goodMail());
    const parsed = await simpleParser(built.raw);

    assert.deepEqual(addresses(parsed.from), [{ address: 'jobs@acme.example', name: 'ACME, "Talent" <Team>' }]);
    assert.deepEqual(addresses(parsed.replyTo), [{ address: 'acme@inbound.example', name: 'ACME Recruiting' }]);
    assert.deepEqual(
      addresses(parsed.to).map((entry) => entry.address),
      ['jane.doe@candidate.example', 'Jane.Doe@candidate.example'],
    );
    assert.deepEqual(addresses(parsed.cc).map((entry) => entry.address), ['hiring-manager@acme.example']);
    assert.equal(parsed.subject, 'Einladung zum Gespräch – Senior Engineer (Ref. #42)');
    assert.equal(parsed.messageId, built.messageIdHeader);
    assert.equal(parsed.inReplyTo, '<CAFZEwPN2Beoge=_vky9r3GayNw@mail.gmail.com>');
    assert.deepEqual(parsed.references, ['<root.1@acme.example>', '<CAFZEwPN2Beoge=_vky9r3GayNw@mail.gmail.com>']);
    assert.equal(parsed.headers.get('x-recruiting-mail-id'), 'msg_01HZX');
    assert.ok(parsed.date instanceof Date);
    assert.equal(parsed.text, 'Hallo Jane,\nwir freuen uns.\n');
    assert.equal(parsed.html, '<p>Hallo Jane,</p><p>wir freuen uns.</p>');

    assert.equal(parsed.attachments.length, 2);
    const [first, second] = parsed.attachments;
    assert.equal(first.filename, 'Stellenbeschreibung Müller.pdf');
    assert.equal(first.contentType, 'application/pdf');
    assert.equal(first.contentDisposition, 'attachment');
    assert.ok(first.content.equals(pdf));
    assert.equal(second.filename, 'notes.txt');
    assert.ok(second.content.equals(Buffer.from('line 1\r\nline 2\r\n')));
  });

  it('uses CRLF line ends only and no Bcc header', async () => {
    const { raw } = await buildCandidateMail(goodMail());
    const text = raw.toString('latin1');
    assert.doesNotMatch(text, /[^\r]\n/);
    assert.doesNotMatch(text, /^bcc:/im);
  });

  it('returns the envelope: From, and every To/Cc recipient once', async () => {
    const { envelope } = await buildCandidateMail(goodMail());
    assert.deepEqual(envelope, {
      from: 'jobs@acme.example',
      to: ['jane.doe@candidate.example', 'hiring-manager@acme.example'],
    });
  });

  it('gives every message a Message-ID of ours, and the same one when it is passed back on a retry', async () => {
    const first = await buildCandidateMail(goodMail());
    const second = await buildCandidateMail(goodMail());
    assert.match(first.messageIdHeader, /^<[a-z0-9]+\.[0-9a-f]{24}@mail\.recruiting\.example>$/);
    assert.notEqual(first.messageIdHeader, second.messageIdHeader);

    const retry = await buildCandidateMail({ ...goodMail(), messageId: first.messageIdHeader });
    assert.equal(retry.messageIdHeader, first.messageIdHeader);
    assert.equal((await simpleParser(retry.raw)).messageId, first.messageIdHeader);
    const unbracketed = await buildCandidateMail({ ...goodMail(), messageId: 'abc.123@mail.recruiting.example' });
    assert.equal(unbracketed.messageIdHeader, '<abc.123@mail.recruiting.example>');
  });

  it('sends a text-only mail without attachments', async () => {
    const { raw } = await buildCandidateMail({
      from: { address: 'jobs@acme.example' },
      to: ['jane@candidate.example'],
      subject: 'Hello',
      text: 'Plain',
      messageIdDomain: 'mail.recruiting.example',
    });
    const parsed = await simpleParser(raw);
    assert.equal(parsed.text, 'Plain\n');
    assert.equal(parsed.html, false);
    assert.equal(parsed.attachments.length, 0);
  });
});

describe('buildCandidateMail: header injection and ambiguous addresses', () => {
  const cases: [string, (mail: CandidateMailInput) => unknown, string, RegExp?][] = [
    ['CRLF in the subject', (m) => ({ ...m, subject: 'Hi\r\nBcc: victim@evil.example' }), 'subject', /control characters/],
    ['LF in the subject', (m) => ({ ...m, subject: 'Hi\nX-Spam: no' }), 'subject'],
    ['a Unicode line separator in the subject', (m) => ({ ...m, subject: 'Hi\u2028there' }), 'subject'],
    ['a tab in the subject', (m) => ({ ...m, subject: 'Hi\tthere' }), 'subject'],
    ['an empty subject', (m) => ({ ...m, subject: '  ' }), 'subject', /empty/],
    ['CRLF in the From name', (m) => ({ ...m, from: { ...m.from, name: 'ACME\r\nBcc: x@evil.example' } }), 'from.name'],
    ['a comment hiding a domain in From', (m) => ({ ...m, from: { address: 'a@good.com(x)evil.com' } }), 'from.address', /comments/],
    ['a display-name form as a bare To', (m) => ({ ...m, to: ['"a@b.com" <c@d.com>'] }), 'to.0', /bare address/],
    ['two addresses in one To entry', (m) => ({ ...m, to: ['jane@candidate.example', 'a@b.com, c@d.com'] }), 'to.1', /exactly one/],
    ['group syntax in Cc', (m) => ({ ...m, cc: ['team: a@b.com;'] }), 'cc.0'],
    ['a missing domain in Cc', (m) => ({ ...m, cc: ['someone@'] }), 'cc.0', /domain/],
    ['an IP-literal domain', (m) => ({ ...m, to: ['root@[10.0.0.1]'] }), 'to.0', /IP-literal/],
    ['a quoted local part', (m) => ({ ...m, to: ['"jane doe"@candidate.example'] }), 'to.0', /quoted/],
    ['CRLF after a To address', (m) => ({ ...m, to: ['jane@candidate.example\r\nBcc: x@evil.example'] }), 'to.0'],
    ['angle brackets in Reply-To', (m) => ({ ...m, replyTo: [{ address: 'x@y.example>' }] }), 'replyTo.0.address'],
    ['CRLF in a Reply-To name', (m) => ({ ...m, replyTo: [{ address: 'x@y.example', name: 'a\nb' }] }), 'replyTo.0.name'],
    ['no recipients', (m) => ({ ...m, to: [] }), 'to', /at least one/],
    ['more than 50 recipients', (m) => ({ ...m, to: Array.from({ length: 30 }, (_, i) => `c${i}@x.example`), cc: Array.from({ length: 21 }, (_, i) => `d${i}@x.example`) }), 'cc', /50/],
    ['CRLF in an attachment filename', (m) => ({ ...m, attachments: [{ filename: 'cv.pdf\r\nX-Evil: 1', contentType: 'application/pdf', content: pdf }] }), 'attachments.0.filename'],
    ['a path in an attachment filename', (m) => ({ ...m, attachments: [{ filename: '../../etc/passwd', contentType: 'text/plain', content: pdf }] }), 'attachments.0.filename', /path separators/],
    ['a Windows path in an attachment filename', (m) => ({ ...m, attachments: [{ filename: 'C:\\Users\\cv.pdf', contentType: 'text/plain', content: pdf }] }), 'attachments.0.filename', /path separators/],
    ['a dot-only filename', (m) => ({ ...m, attachments: [{ filename: '..', contentType: 'text/plain', content: pdf }] }), 'attachments.0.filename'],
    ['parameters smuggled into the content type', (m) => ({ ...m, attachments: [{ filename: 'a.txt', contentType: 'text/plain; name="x"\r\nX-Evil: 1', content: pdf }] }), 'attachments.0.contentType'],
    ['a multipart attachment type', (m) => ({ ...m, attachments: [{ filename: 'a.eml', contentType: 'multipart/mixed', content: pdf }] }), 'attachments.0.contentType', /multipart/],
    ['CRLF in References', (m) => ({ ...m, references: ['<a@b.example>\r\nBcc: x@evil.example'] }), 'references.0'],
    ['two ids in one References entry', (m) => ({ ...m, references: ['<a@b.example> <c@d.example>'] }), 'references.0', /one message id/],
    ['a malformed In-Reply-To', (m) => ({ ...m, inReplyTo: 'not a message id' }), 'inReplyTo'],
    ['a half-bracketed In-Reply-To', (m) => ({ ...m, inReplyTo: '<a@b.example' }), 'inReplyTo'],
    ['CRLF in a given Message-ID', (m) => ({ ...m, messageId: '<a@b.example>\r\nBcc: x@evil.example' }), 'messageId'],
    ['a standard header among our headers', (m) => ({ ...m, headers: { Bcc: 'x@evil.example' } }), 'headers.Bcc', /X- headers/],
    ['CRLF in one of our header values', (m) => ({ ...m, headers: { 'X-Recruiting-Mail-Id': 'a\r\nBcc: x@evil.example' } }), 'headers.X-Recruiting-Mail-Id'],
    ['a bad Message-ID domain', (m) => ({ ...m, messageIdDomain: 'evil.example>\r\nX: 1' }), 'messageIdDomain'],
    ['a field the builder does not know (bcc)', (m) => ({ ...m, bcc: ['hidden@evil.example'] }), 'bcc', /not an accepted field/],
    ['a raw message passed through', (m) => ({ ...m, raw: 'From: x@evil.example\r\n\r\nhi' }), 'raw'],
    ['no body at all', (m) => ({ ...m, text: undefined, html: undefined }), 'text', /required/],
  ];
  for (const [what, mutate, path, message] of cases) {
    it(`refuses ${what} at ${path}`, async () => {
      await assertRejected(mutate(goodMail()), path, message);
    });
  }

  it('lists every offending field at once', async () => {
    const issues = await assertRejected(
      { ...goodMail(), subject: 'a\r\nb', to: ['x@y.example', 'bad'], cc: ['a@good.com(x)evil.com'] },
      'subject',
    );
    assert.deepEqual(issues.map((issue) => issue.path).sort(), ['cc.0', 'subject', 'to.1']);
  });

  it('refuses attachments over the total limit, counted decoded', async () => {
    const half = Buffer.alloc(MAX_ATTACHMENTS_TOTAL_BYTES / 2);
    await assertRejected(
      {
        ...goodMail(),
        attachments: [
          { filename: 'a.bin', contentType: 'application/octet-stream', content: half },
          { filename: 'b.bin', contentType: 'application/octet-stream', content: Buffer.alloc(MAX_ATTACHMENTS_TOTAL_BYTES / 2 + 1) },
        ],
      },
      'attachments',
      /exceeds the limit/,
    );
    // Exactly at the limit is fine.
    const normalised = validateMailInput({
      ...goodMail(),
      attachments: [
        { filename: 'a.bin', contentType: 'application/octet-stream', content: half },
        { filename: 'b.bin', contentType: 'application/octet-stream', content: half },
      ],
    });
    assert.equal(normalised.attachments?.length, 2);
  });
});

describe('buildCandidateMail: no file or URL access', () => {
  it('refuses an attachment that points at a file', async () => {
    const issues = await assertRejected(
      { ...goodMail(), attachments: [{ filename: 'passwd.txt', contentType: 'text/plain', path: '/etc/passwd' }] },
      'attachments.0.path',
      /inline/,
    );
    assert.ok(issues.some((issue) => issue.path === 'attachments.0.content'));
  });

  it('refuses an attachment that points at a URL, even with content beside it', async () => {
    await assertRejected(
      {
        ...goodMail(),
        attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: Buffer.from('x'), href: 'http://169.254.169.254/latest/meta-data/' }],
      },
      'attachments.0.href',
    );
  });

  it('refuses raw MIME, cids and streams on attachments', async () => {
    await assertRejected(
      { ...goodMail(), attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: Buffer.from('x'), raw: 'Content-Type: text/plain\r\n\r\nx' }] },
      'attachments.0.raw',
    );
    await assertRejected(
      { ...goodMail(), attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: 'a string, not bytes' }] },
      'attachments.0.content',
      /Buffer/,
    );
  });

  it('refuses a body given as a file or URL reference', async () => {
    await assertRejected({ ...goodMail(), text: { path: '/etc/passwd' } }, 'text', /string/);
    await assertRejected({ ...goodMail(), html: { href: 'file:///etc/passwd' } }, 'html', /string/);
  });

  it('sends a body that merely mentions a path as text, never the file', async () => {
    const { raw } = await buildCandidateMail({ ...goodMail(), text: '/etc/passwd', html: undefined, attachments: undefined });
    const parsed = await simpleParser(raw);
    assert.equal(parsed.text, '/etc/passwd\n');
    assert.doesNotMatch(raw.toString('latin1'), /root:x:0:0/);
  });
});

describe('buildCandidateMail: robustness of display names', () => {
  // Deterministic pseudo-random names made of the characters that make address headers ambiguous.
  const alphabet = ['a', 'Z', ' ', '"', '\\', '<', '>', ',', ';', ':', '@', '(', ')', '[', ']', '.', "'", 'ü', 'é', '日', '=?', '?='];
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed;
  };
  const randomName = () =>
    Array.from({ length: 1 + (next() % 24) }, () => alphabet[next() % alphabet.length])
      .join('')
      .trim();

  it('keeps every name a name: 150 hostile names each parse back to one mailbox with the same name', async () => {
    for (let i = 0; i < 150; i += 1) {
      const name = randomName();
      const { raw } = await buildCandidateMail({
        ...goodMail(),
        from: { address: 'jobs@acme.example', name },
        attachments: undefined,
      });
      const from = addresses((await simpleParser(raw)).from);
      assert.equal(from.length, 1, `name ${JSON.stringify(name)} produced ${JSON.stringify(from)}`);
      assert.equal(from[0].address, 'jobs@acme.example', `name ${JSON.stringify(name)}`);
      assert.equal(from[0].name, name, `name ${JSON.stringify(name)}`);
    }
  });
});
