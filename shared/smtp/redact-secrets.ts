/**
 * Removes secrets (an SMTP password, later OAuth tokens), in every form they travel in, from
 * text that leaves the process (API answers, stored test results and failures, logs). A
 * hostile or chatty server may echo what it received, in whatever encoding, so redacting only
 * our own AUTH lines is not enough.
 *
 * The forms of a secret `s` (see `formsOfSecret`):
 * - as typed, and the latin1 view of its UTF-8 bytes (how the probe reads replies);
 * - the transcript's view of those bytes: non-printable ones as `\xNN` (lower and upper hex);
 * - JSON / JavaScript string escaping (with and without `\uNNNN` for non-ASCII);
 * - URL encoding (`%NN` lower/upper hex, space as `%20` or `+`) and quoted-printable (`=NN`);
 * - hex of the UTF-8 bytes;
 * - base64 and base64url of the bytes alone, and the stable core of the three alignments a
 *   secret can have inside a longer base64 blob (AUTH PLAIN `\0user\0pass`, XOAUTH2, anything a
 *   server builds around it): in a blob the secret starting at byte offset 0, 1 or 2 of a
 *   3-byte group encodes to different characters, but the characters that depend only on the
 *   secret's bits are the same whatever surrounds it.
 * Plus, for SMTP logins, the AUTH PLAIN and AUTH LOGIN blobs whole.
 *
 * Over-redaction is harmless (a short base64 core may match an unrelated run of characters);
 * a missed form is a leak.
 */
export const REDACTED = '<redacted>';

/** Base64 cores shorter than this are not used: they would match unrelated text too often. */
const MIN_BASE64_CORE = 4;

/**
 * Every form of the given secrets (the password, access and refresh tokens...) and, with a
 * username, of the SMTP login blobs built from them. Empty and missing secrets are skipped.
 * Longest first, so that a form containing another is replaced whole.
 */
export function secretForms(username: string | undefined, ...secrets: Array<string | undefined>): string[] {
  const user = username ?? '';
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of formsOfSecret(secret)) forms.add(form);
    for (const blob of [`\u0000${user}\u0000${secret}`, `${user}\u0000${user}\u0000${secret}`]) {
      const bytes = Buffer.from(blob, 'utf8');
      forms.add(bytes.toString('base64'));
      forms.add(bytes.toString('base64url'));
    }
  }
  return [...forms].filter((form) => form.length > 0).sort((a, b) => b.length - a.length);
}

/** The forms of one secret on its own (no login blobs); see the module comment. */
export function formsOfSecret(secret: string): string[] {
  if (!secret) return [];
  const bytes = Buffer.from(secret, 'utf8');
  const forms = new Set<string>();

  // Text escapings of the characters; each may then travel as UTF-8 and be read as latin1.
  const json = JSON.stringify(secret).slice(1, -1);
  const texts = new Set<string>([
    secret,
    // Case-insensitive matching covers most case changes; these cover the ones that change length (ß → SS).
    secret.toUpperCase(),
    secret.toLowerCase(),
    json,
    json.replace(/[^\x00-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`),
    json.replace(/[^\x00-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`),
    secret.replace(/[\\'"]/g, '\\$&'),
    secret.replace(/[\\']/g, '\\$&'),
  ]);
  const oneBytePerChar = (text: string) => /^[\u0000-\u00ff]*$/.test(text);
  for (const text of texts) {
    // As sent in UTF-8 and read as latin1 (the probe), or sent in ISO-8859-1 (the text itself).
    for (const view of new Set([text, Buffer.from(text, 'utf8').toString('latin1')])) {
      forms.add(view);
      if (!oneBytePerChar(view)) continue;
      for (const upper of [false, true]) {
        // The transcript's view (non-printable bytes as \xNN), and every byte as \xNN.
        forms.add(view.replace(/[^\x20-\x7e\n]/g, (char) => `\\x${hex2(char.charCodeAt(0), upper)}`));
        forms.add([...view].map((char) => `\\x${hex2(char.charCodeAt(0), upper)}`).join(''));
      }
    }
  }

  const url = encodeURIComponent(secret);
  for (const variant of [url, url.replace(/[!'()*]/g, (char) => `%${hex2(char.charCodeAt(0), true)}`)]) {
    forms.add(variant);
    forms.add(variant.replace(/%20/g, '+'));
  }
  forms.add([...bytes].map((byte) => `%${hex2(byte, true)}`).join(''));

  // Quoted-printable (with and without spaces kept literal) and hex.
  forms.add([...bytes].map((byte) => (byte >= 0x21 && byte <= 0x7e && byte !== 0x3d ? String.fromCharCode(byte) : `=${hex2(byte, true)}`)).join(''));
  forms.add([...bytes].map((byte) => (byte >= 0x20 && byte <= 0x7e && byte !== 0x3d ? String.fromCharCode(byte) : `=${hex2(byte, true)}`)).join(''));
  forms.add(bytes.toString('hex'));

  forms.add(bytes.toString('base64'));
  forms.add(bytes.toString('base64url'));
  for (const core of base64Cores(bytes)) {
    forms.add(core);
    forms.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...forms].filter((form) => form.length > 0).sort((a, b) => b.length - a.length);
}

/**
 * The characters of base64 that depend on the secret's bytes only, for the secret starting at
 * each of the three offsets within a 3-byte group.
 */
export function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (const lead of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(lead), bytes, Buffer.alloc(2)]).toString('base64');
    const first = Math.ceil((lead * 8) / 6);
    const end = Math.floor(((lead + bytes.length) * 8) / 6);
    const core = encoded.slice(first, end);
    if (core.length >= MIN_BASE64_CORE) cores.push(core);
  }
  return cores;
}

const hex2 = (value: number, upper: boolean) => {
  const text = value.toString(16).padStart(2, '0');
  return upper ? text.toUpperCase() : text;
};

/**
 * Replaces every occurrence of the forms, ignoring case (hex, URL and quoted-printable escapes
 * come in both cases, and a case-folded secret is still a leak).
 */
export function redactText(text: string, secrets: string[]): string {
  const pattern = patternOf(secrets);
  return pattern ? text.replace(pattern, REDACTED) : text;
}

const patterns = new WeakMap<string[], RegExp | null>();

function patternOf(secrets: string[]): RegExp | null {
  const known = patterns.get(secrets);
  if (known !== undefined) return known;
  const alternatives = [...new Set(secrets.filter((secret) => secret.length > 0))]
    .sort((a, b) => b.length - a.length)
    .map((secret) => secret.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  const pattern = alternatives.length > 0 ? new RegExp(alternatives.join('|'), 'giu') : null;
  patterns.set(secrets, pattern);
  return pattern;
}

/** Redacts every string inside a JSON-like value. */
export function redactDeep<T>(value: T, secrets: string[]): T {
  if (secrets.length === 0) return value;
  if (typeof value === 'string') return redactText(value, secrets) as T;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, secrets)) as T;
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = redactDeep(item, secrets);
    return copy as T;
  }
  return value;
}
