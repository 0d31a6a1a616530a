/**
 * fast-check arbitraries for MIME mail whose header values are hostile: empty, missing,
 * duplicated, parameter-only, non-ASCII, 64 KB long, and values that mailparser decodes into
 * something other than a string (`Content-Type: ; name="x.jpg"` comes back as `false`, an
 * address group as nested objects, RFC 2231 continuations as arrays). Trees nest multiparts
 * and embedded messages, and a node's own Content-Type may itself be hostile.
 */
import fc from 'fast-check';

const FIELD_NAMES = [
  'Content-Type',
  'Content-Disposition',
  'Content-Transfer-Encoding',
  'Content-ID',
  'Subject',
  'From',
  'To',
  'Cc',
  'Reply-To',
  'Sender',
  'Message-ID',
  'In-Reply-To',
  'References',
  'Date',
  'List-Id',
  'List-Unsubscribe',
  'Auto-Submitted',
  'Resent-From',
  'X-Original-From',
] as const;

/** 64 KB and just under the guard's limit (64 KB a field, oversized-header-guard.ts). */
const LONG = ['x'.repeat(64 * 1024), `a@${'b'.repeat(63 * 1024)}.example`, `<${'r'.repeat(40)}@x> `.repeat(1500)];

/** Values that have broken MIME parsers, or come back from mailparser as a non-string. */
const HOSTILE_VALUES = [
  '',
  ' ',
  ';',
  '; name="x.jpg"',
  ' ; filename=""',
  '; name*=utf-8\'\'%FF%FE%00',
  'image/png; name*0="a"; name*1="b"; name*1="c"',
  'multipart/mixed',
  'multipart/mixed; boundary=""',
  'message/rfc822; name=',
  'text/plain; charset="x-unknown-charset"',
  'text/plain; charset=utf-7',
  'application/pdf\u0000; name="cv\u0001.pdf"',
  '=?utf-8?B?AAECAwQ=?=',
  '=?x-nope?Q?=FF=FE?=',
  '=?utf-8?Q?broken',
  'undisclosed-recipients:;',
  'group: a@b.example, <c@d.example>; , "x" <>',
  '<>',
  '<<<@>>>',
  '"unterminated',
  '(comment (nested',
  'Thu, 31 Feb 99999 25:61:61 +9999',
  'base64',
  'x-uuencode',
  'inline; filename',
  'attachment; filename*=\'\'..%2F..%2Fetc%2Fpasswd',
  'Üñíçødé 🧨 \u202e\u2028',
  '\u00ff\u00fe\u00fd',
];

/** A header value: plausible, hostile, random (non-ASCII included), or 64 KB long. */
export const hostileValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...HOSTILE_VALUES) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40, unit: 'grapheme' }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 60, unit: 'binary' }) },
  { weight: 3, arbitrary: fc.constantFrom('text/plain', 'text/html; charset=utf-8', 'application/octet-stream; name="a.bin"', 'attachment; filename="cv.pdf"', 'Kim <kim@candidate.example>', '<id-1@candidate.example>', 'quoted-printable') },
  { weight: 1, arbitrary: fc.constantFrom(...LONG) },
);

/** Header fields: any of the fields that matter, missing, repeated, in any order. */
const fields = fc.array(fc.tuple(fc.constantFrom(...FIELD_NAMES), hostileValue), { maxLength: 8 });

/** Header values cannot hold a bare line break: one is folded, as a sender's mailer would (or not, with the rest a new line). */
const headerLines = (list: ReadonlyArray<readonly [string, string]>) => list.map(([name, value]) => `${name}: ${value.replace(/\r?\n/g, '\r\n ')}`);

const body = fc.oneof(
  fc.constantFrom('hello', '<html><body><p>hi<img src="cid:x"></p>', '=E9t=E9 =\r\nsoft', 'aGVsbG8=', '!!! not base64 !!!', ''),
  fc.string({ maxLength: 200, unit: 'grapheme' }),
);

export interface MimeNode {
  headers: ReadonlyArray<readonly [string, string]>;
  /** A multipart's boundary and children, an embedded message, or a leaf body. */
  content: { kind: 'leaf'; body: string } | { kind: 'multipart'; subtype: string; boundary: string; children: MimeNode[] } | { kind: 'message'; inner: MimeNode };
}

const { node } = fc.letrec<{ node: MimeNode; leaf: MimeNode; multipart: MimeNode; message: MimeNode }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('leaf'), tie('multipart'), tie('message')),
  leaf: fc.record({ headers: fields, content: fc.record({ kind: fc.constant('leaf' as const), body }) }),
  multipart: fc.record({
    headers: fields,
    content: fc.record({
      kind: fc.constant('multipart' as const),
      subtype: fc.constantFrom('mixed', 'alternative', 'related', 'report; report-type=delivery-status', 'digest', ''),
      boundary: fc.constantFrom('b1', 'b2', '=_x', 'b1'),
      children: fc.array(tie('node'), { maxLength: 4 }),
    }),
  }),
  message: fc.record({ headers: fields, content: fc.record({ kind: fc.constant('message' as const), inner: tie('node') }) }),
}));

/** A whole mail: a MIME tree under top-level fields. */
export const hostileMail: fc.Arbitrary<Buffer> = fc.tuple(fields, node).map(([top, tree]) => Buffer.from(serialize({ ...tree, headers: [...top, ...tree.headers] }), 'utf8'));

function serialize(node: MimeNode): string {
  const { content } = node;
  if (content.kind === 'leaf') return [...headerLines(node.headers), '', content.body].join('\r\n');
  if (content.kind === 'message') return [...headerLines(node.headers), 'Content-Type: message/rfc822', '', serialize(content.inner)].join('\r\n');
  const type = content.subtype ? `Content-Type: multipart/${content.subtype}; boundary="${content.boundary}"` : `Content-Type: multipart/mixed`;
  const parts = content.children.map((child) => `--${content.boundary}\r\n${serialize(child)}`);
  return [...headerLines(node.headers), type, '', 'preamble', ...parts, `--${content.boundary}--`, 'epilogue'].join('\r\n');
}

/**
 * The real-world mail that ended the local backend: an attachment part whose Content-Type (and
 * Content-Disposition) holds only a parameter; mailparser hands `false` as its content type.
 */
export function parameterOnlyContentTypeMail(options: { from: string; messageId?: string }): Buffer {
  return Buffer.from(
    [
      `From: <${options.from}>`,
      'To: jobs@acme.example',
      'Subject: parameter-only content type',
      ...(options.messageId ? [`Message-ID: <${options.messageId}>`] : []),
      'Content-Type: multipart/mixed; boundary="B"',
      '',
      '--B',
      'Content-Type: text/plain',
      '',
      'hello',
      '--B',
      'Content-Type: ; name="x.jpg"',
      'Content-Disposition: ; filename=""',
      'Content-Transfer-Encoding: base64',
      '',
      'aGVsbG8=',
      '--B--',
      '',
    ].join('\r\n'),
  );
}
