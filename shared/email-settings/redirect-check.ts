import { randomBytes } from 'node:crypto';
import type { ParsedInboundMail } from '../inbound/inbound-mail';
import type { RedirectState } from './model';

/** The header the redirect test mail carries; a redirect keeps it, an inline forward keeps the subject. */
export const REDIRECT_TOKEN_HEADER = 'X-Recruiting-Redirect-Token';

/** A test mail not back within this time means the forwarding does not work. */
export const REDIRECT_TIMEOUT_MS = 15 * 60 * 1000;

export const newRedirectToken = (): string => `rchk-${randomBytes(10).toString('hex')}`;

/** Whether a received mail is the scope's redirect test mail: its token in a header, the subject or the body. */
export function findRedirectToken(mail: ParsedInboundMail, expected: string | null): string | null {
  if (!expected) return null;
  const places = [
    ...(mail.headers[REDIRECT_TOKEN_HEADER.toLowerCase()] ?? []),
    mail.subject,
    mail.text ?? '',
    mail.html ?? '',
    ...mail.embeddedMessages.flatMap((embedded) => [embedded.subject, ...(embedded.headers[REDIRECT_TOKEN_HEADER.toLowerCase()] ?? [])]),
  ];
  return places.some((place) => place.includes(expected)) ? expected : null;
}

/** `pending` turns `failed` when the test mail has not come back in time; derived when read. */
export function redirectView(redirect: RedirectState, address: string | null, inboundAddress: string, now: Date) {
  const overdue = redirect.status === 'pending' && redirect.sentAt !== null && now.getTime() - Date.parse(redirect.sentAt) > REDIRECT_TIMEOUT_MS;
  if (!overdue) {
    return { status: redirect.status, code: redirect.code ?? null, sentAt: redirect.sentAt, verifiedAt: redirect.verifiedAt, hint: redirect.hint };
  }
  return {
    status: 'failed' as const,
    code: null,
    sentAt: redirect.sentAt,
    verifiedAt: redirect.verifiedAt,
    hint: [
      `The test mail sent to ${address ?? 'the company address'} did not arrive at ${inboundAddress} within 15 minutes.`,
      `Check that ${address ?? 'the mailbox'} automatically redirects or forwards every mail to ${inboundAddress}, and that the rule is enabled.`,
      'Microsoft 365 blocks automatic forwarding to outside addresses by default (the sender sees "550 5.7.520 Access denied, Your organization does not allow external forwarding"): an admin must allow it for this mailbox in the outbound anti-spam policy (Microsoft 365 Defender).',
      `Gmail and Google Workspace first send a confirmation code to ${inboundAddress}: it shows up here under unassigned messages; enter it in Gmail under Settings > Forwarding and POP/IMAP.`,
    ].join(' '),
  };
}
