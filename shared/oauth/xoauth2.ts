import { formsOfSecret } from '../smtp/redact-secrets';

/** SASL XOAUTH2 (Google's and Microsoft's SMTP): the initial response and its secret forms. */
export const xoauth2InitialResponse = (user: string, accessToken: string): string =>
  Buffer.from(`user=${user}\x01auth=Bearer ${accessToken}\x01\x01`, 'utf8').toString('base64');

/**
 * Every form of the token (redact-secrets.ts: encodings, base64 alignments) and the XOAUTH2
 * blob whole, for redaction next to `secretForms` of a password.
 */
export function accessTokenForms(user: string | undefined, accessToken: string | undefined): string[] {
  if (!accessToken) return [];
  return [...formsOfSecret(accessToken), xoauth2InitialResponse(user ?? '', accessToken)];
}

/** Password forms and token forms together, longest first (a form containing another is replaced whole). */
export const mergeSecretForms = (...lists: string[][]): string[] => [...new Set(lists.flat())].sort((a, b) => b.length - a.length);
