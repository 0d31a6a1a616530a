/**
 * Mutated mails for the fault suite, written here (no corpus mail): each is a plausible mail
 * broken in one way a real sender or a fuzzer breaks mail. Every one must be acknowledged and
 * filed (under the candidate or unassigned), never lost.
 */
export interface MutatedMail {
  name: string;
  raw: Buffer;
}

const CRLF = '\r\n';

function base(sender: string, to: string, messageId: string, subject: string): string[] {
  return [`From: Candidate <${sender}>`, `To: <${to}>`, `Subject: ${subject}`, `Message-ID: <${messageId}>`, 'Date: Fri, 27 Nov 2026 10:00:00 +0000', 'MIME-Version: 1.0'];
}

export function mutatedMails(sender: string, to: string, uniqueId: (label: string) => string): MutatedMail[] {
  const mails: MutatedMail[] = [];
  const add = (name: string, text: string | Buffer) => mails.push({ name, raw: Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1') });

  // A control byte in a part's Content-Type: it used to go into the storage upload's header.
  add(
    'control byte in a part Content-Type',
    [
      ...base(sender, to, uniqueId('ctl-type'), 'CV attached'),
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Please find my CV attached.',
      '--b1',
      'Content-Type: application/pdf\u0001; name="cv.pdf"',
      'Content-Disposition: attachment; filename="cv\u0002.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('%PDF-1.4 fake cv').toString('base64'),
      '--b1--',
      '',
    ].join(CRLF),
  );
  // NUL and other control bytes in ordinary headers and a part's disposition.
  add(
    'NUL and control bytes in headers',
    [
      ...base(sender, to, uniqueId('nul'), 'Hello\u0000 there\u0007'),
      'X-Custom: a\u0000b\u001bc',
      'Content-Type: multipart/mixed; boundary="b2"',
      '',
      '--b2',
      'Content-Type: text/plain',
      '',
      'Body text.',
      '--b2',
      'Content-Type: text/\u0000plain\u007f',
      'Content-Disposition: attachment; filename="a\u0000b\r.txt"',
      '',
      'note',
      '--b2--',
      '',
    ].join(CRLF),
  );
  // A body boundary that never closes.
  add(
    'never-closing boundary',
    [
      ...base(sender, to, uniqueId('open'), 'Unclosed'),
      'Content-Type: multipart/mixed; boundary="never"',
      '',
      '--never',
      'Content-Type: text/plain',
      '',
      'Text of a mail whose multipart never ends.',
      '--never',
      'Content-Type: application/octet-stream; name="data.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      'AAECAwQFBgcICQ',
      '',
    ].join(CRLF),
  );
  // Truncated in the middle of a base64 attachment (the connection to the sender's server died).
  const full = [
    ...base(sender, to, uniqueId('trunc'), 'Truncated'),
    'Content-Type: multipart/mixed; boundary="t1"',
    '',
    '--t1',
    'Content-Type: text/plain',
    '',
    'Cut short.',
    '--t1',
    'Content-Type: application/pdf; name="long.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.alloc(3000, 7).toString('base64').replace(/(.{76})/g, `$1${CRLF}`),
    '--t1--',
    '',
  ].join(CRLF);
  add('truncated mid-attachment', full.slice(0, Math.floor(full.length * 0.6)));
  // 300 nested multiparts.
  const depth = 300;
  const nested: string[] = [...base(sender, to, uniqueId('deep'), 'Deep'), `Content-Type: multipart/mixed; boundary="d0"`, ''];
  for (let level = 0; level < depth; level++) {
    nested.push(`--d${level}`, `Content-Type: multipart/mixed; boundary="d${level + 1}"`, '');
  }
  nested.push(`--d${depth}`, 'Content-Type: text/plain', '', 'The innermost text.', `--d${depth}--`);
  for (let level = depth - 1; level >= 0; level--) nested.push(`--d${level}--`);
  nested.push('');
  add('300-deep nesting', nested.join(CRLF));
  // Headers only, no body at all, and 8-bit garbage in the subject.
  const headersOnly = [`From: Candidate <${sender}>`, `To: <${to}>`, `Message-ID: <${uniqueId('nobody')}>`, 'Subject: '].join(CRLF);
  add('no body, 8-bit subject', Buffer.concat([Buffer.from(headersOnly, 'latin1'), Buffer.from([0xff, 0xfe, 0x80, 0x0d, 0x0a, 0x0d, 0x0a])]));
  return mails;
}

/** The mutations `mutateMail` applies to a given mail, one each. */
const MUTATIONS: Array<{ name: string; apply: (mail: string, seed: number) => string }> = [
  // The real-world crash: every Content-Type left with only its parameters.
  { name: 'content types emptied to parameters', apply: (mail) => mail.replace(/^(content-type:)[ \t]*[^;\r\n]*/gim, '$1 ') },
  { name: 'truncated', apply: (mail, seed) => mail.slice(0, Math.floor(mail.length * (0.3 + ((seed * 37) % 60) / 100))) },
  { name: 'control bytes in header values', apply: (mail) => mail.replace(/^([A-Za-z-]+:)[ \t]*/gm, '$1 \u0000\u0001\u001b') },
  {
    name: '64 KB header fields',
    apply: (mail) => `X-Filler: ${'f'.repeat(64 * 1024 - 12)}\r\nTo: ${Array.from({ length: 400 }, (_, i) => `r${i}@many.example`).join(', ')}\r\nSubject: ${'ü'.repeat(40_000)}\r\n${mail}`,
  },
  { name: 'closing boundaries removed', apply: (mail) => mail.replace(/^--[^\r\n]*--[ \t]*$/gm, '') },
  { name: 'header section duplicated', apply: (mail) => `${mail.split(/\r?\n\r?\n/)[0]}\r\n${mail}` },
  {
    name: 'bytes flipped in the second half',
    apply: (mail) => [...mail].map((char, index) => (index > mail.length / 2 && index % 97 === 0 ? String.fromCharCode(char.charCodeAt(0) ^ 0x5a) : char)).join(''),
  },
  {
    name: 'transfer encodings swapped',
    apply: (mail) => mail.replace(/^(content-transfer-encoding:)[ \t]*(base64|quoted-printable)/gim, (_whole, name: string, encoding: string) => `${name} ${encoding.toLowerCase() === 'base64' ? 'quoted-printable' : 'base64'}`),
  },
];

/** A copy of a mail (any mail, e.g. from the corpus) broken in one way, picked by `seed`. */
export function mutateMail(raw: Buffer, seed: number): { mutation: string; raw: Buffer } {
  const mutation = MUTATIONS[seed % MUTATIONS.length];
  return { mutation: mutation.name, raw: Buffer.from(mutation.apply(raw.toString('latin1'), seed), 'latin1') };
}
