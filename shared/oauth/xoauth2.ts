/** SASL XOAUTH2 (Google's and Microsoft's SMTP): the initial response and its secret forms. */
export const xoauth2InitialResponse = (user: string, accessToken: string): string =>
  Buffer.from(`user=${user}\x01auth=Bearer ${accessToken}\x01\x01`, 'utf8').toString('base64');

/** The token as is and inside the XOAUTH2 blob, for redaction next to `secretForms` of a password. */
export function accessTokenForms(user: string | undefined, accessToken: string | undefined): string[] {
  if (!accessToken) return [];
  return [accessToken, Buffer.from(accessToken, 'utf8').toString('base64'), xoauth2InitialResponse(user ?? '', accessToken)];
}

/** Password forms and token forms together, longest first (a form containing another is replaced whole). */
export const mergeSecretForms = (...lists: string[][]): string[] => [...new Set(lists.flat())].sort((a, b) => b.length - a.length);
