/**
 * Removes a password, in every form it travels in over SMTP, from text that leaves the
 * process (test results, error messages, logs). A hostile or chatty server may echo what it
 * received, so redacting only our own AUTH lines is not enough.
 */
export const REDACTED = '<redacted>';

/** The password as typed and as it appears on the wire (AUTH LOGIN and AUTH PLAIN). */
export function secretForms(username: string | undefined, password: string | undefined): string[] {
  if (!password) return [];
  const user = username ?? '';
  const forms = [
    password,
    Buffer.from(password, 'utf8').toString('base64'),
    Buffer.from(`\u0000${user}\u0000${password}`, 'utf8').toString('base64'),
    Buffer.from(`${user}\u0000${user}\u0000${password}`, 'utf8').toString('base64'),
  ];
  // Longest first, so a form that contains another is replaced whole.
  return [...new Set(forms)].sort((a, b) => b.length - a.length);
}

export function redactText(text: string, secrets: string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length > 0) result = result.split(secret).join(REDACTED);
  }
  return result;
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
