/**
 * How a candidate mail looks when it goes out through the default provider instead of the
 * company's own server: the candidate still sees the company, and the answer still gets filed.
 *
 * - From: `"<fromName or Company> Recruiting" <DEFAULT_FROM_ADDRESS>`: SES only sends from our
 *   verified domain, and a company address in From would fail the company's DMARC.
 * - Reply-To: the company's inbound address only. Replies must reach the inbound address to be
 *   filed under the candidate; adding the company's own mailbox would make clients answer both,
 *   and the company's redirect would then deliver a second copy of the same reply (or, if the
 *   redirect is broken, the copy in the mailbox would be the only one the company reads while
 *   the product shows nothing). One address, one filed reply.
 * - Message-ID: ours is kept in the message, but SES replaces it. So ours also goes into
 *   References, which SES leaves alone and reply clients copy into their own References: the
 *   candidate's answer carries our id as well as the SES one (see `threadingFor`).
 */
import type { MailAddress } from '../mail/mail-address';
import type { CandidateMailInput } from './build-candidate-mail';
import { blankUnsafeHeaderCharacters } from './header-text';
import { MAX_DISPLAY_NAME_LENGTH, MAX_REFERENCES } from './limits';

export interface DefaultSenderContext {
  /** The company's display name, e.g. `ACME`. */
  companyDisplayName: string;
  /** The scope's configured sender name; used as is (no "Recruiting" suffix) when set. */
  fromName?: string | null;
  /** The scope's inbound address (`…@INBOUND_DOMAIN`), where replies get filed. */
  inboundAddress: string;
  /** The operator's verified sender, `DEFAULT_FROM_ADDRESS`. */
  defaultFromAddress: string;
}

export interface DefaultSenderIdentity {
  from: MailAddress;
  replyTo: MailAddress[];
}

/** Control characters out, whitespace collapsed, bounded: a company name must never fail a send. */
function cleanDisplayName(value: string): string {
  return blankUnsafeHeaderCharacters(value)
    .replace(/\s+/g, ' ')
    .slice(0, MAX_DISPLAY_NAME_LENGTH)
    .trim();
}

/** The display name the candidate sees: the configured sender name, else `<Company> Recruiting`. */
export function defaultSenderName(context: Pick<DefaultSenderContext, 'companyDisplayName' | 'fromName'>): string {
  const fromName = cleanDisplayName(context.fromName ?? '');
  if (fromName !== '') return fromName;
  const suffix = ' Recruiting';
  const company = cleanDisplayName(context.companyDisplayName).slice(0, MAX_DISPLAY_NAME_LENGTH - suffix.length).trim();
  return company === '' ? suffix.trim() : `${company}${suffix}`;
}

export function defaultSenderIdentity(context: DefaultSenderContext): DefaultSenderIdentity {
  const name = defaultSenderName(context);
  return {
    from: { name, address: context.defaultFromAddress },
    replyTo: [{ name, address: context.inboundAddress }],
  };
}

/**
 * The builder input for sending `mail` through the default provider: From and Reply-To as
 * above, our Message-ID (required: it must be known before SES replaces it) appended to
 * References. Addresses are checked by `buildCandidateMail`, like any other input.
 */
export function forDefaultProvider(
  mail: CandidateMailInput & { messageId: string },
  context: DefaultSenderContext,
): CandidateMailInput & { messageId: string } {
  const identity = defaultSenderIdentity(context);
  return {
    ...mail,
    from: identity.from,
    replyTo: identity.replyTo,
    references: boundReferences([...(mail.references ?? []), mail.messageId]),
  };
}

const bracketed = (id: string): string => {
  const trimmed = id.trim();
  return trimmed.startsWith('<') ? trimmed : `<${trimmed}>`;
};

/** Removes duplicates and keeps the first (thread root) and the latest ids when there are too many. */
export function boundReferences(ids: string[]): string[] {
  const unique: string[] = [];
  for (const id of ids.map(bracketed)) if (!unique.includes(id)) unique.push(id);
  if (unique.length <= MAX_REFERENCES) return unique;
  return [unique[0], ...unique.slice(unique.length - (MAX_REFERENCES - 1))];
}

/** What we stored about a message we sent earlier in the thread. */
export interface SentMessageIds {
  /** Our Message-ID. */
  messageIdHeader: string;
  /** The Message-ID the recipient saw when the default provider replaced ours (SES), if any. */
  providerMessageIdHeader?: string | null;
  /** The References that message carried. */
  references?: string[];
}

/**
 * In-Reply-To and References for a new message that continues the thread of `parent`: the id
 * the recipient actually saw goes in In-Reply-To; References keeps the parent's references,
 * then ours and the provider's id, so the thread holds whichever id a client looks for.
 */
export function threadingFor(parent: SentMessageIds): { inReplyTo: string; references: string[] } {
  const seen = parent.providerMessageIdHeader ?? parent.messageIdHeader;
  const ids = [...(parent.references ?? []), parent.messageIdHeader];
  if (parent.providerMessageIdHeader) ids.push(parent.providerMessageIdHeader);
  return { inReplyTo: bracketed(seen), references: boundReferences(ids) };
}
