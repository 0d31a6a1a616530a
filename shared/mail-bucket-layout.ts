/**
 * The mail bucket's key layout, in one place: the functions write and read these prefixes, and
 * the CDK construct grants and expires by them (infra/constructs/mail-bucket.ts).
 */
export const MAIL_PREFIXES = {
  /** Raw messages stored by the SES receipt rule. */
  inbound: 'inbound/',
  /**
   * Raw messages read from company mailboxes over IMAP (key derived from scope and Message-ID);
   * inside `inbound/`, so the reconciler and every reader of raw mail see them too.
   */
  inboundImap: 'inbound/imap/',
  /** Attachments of inbound mail, streamed out by the inbound function. */
  attachments: 'attachments/',
  /** Message bodies (text and safe html, as JSON) of inbound and outbound mail. */
  bodies: 'bodies/',
  /** Attachments of outbound mail, written by the messages API, read by the send worker. */
  outbound: 'outbound/',
  /** Large attachments uploaded by the frontend with a presigned PUT; deleted after a day. */
  uploads: 'uploads/',
  /** A mark per raw inbound message once filed (read by the inbound reconciler). */
  inboundFiled: 'inbound-filed/',
  /** Envelopes the local listener keeps beside raw mail (SES's event carries them on AWS). */
  inboundEnvelopes: 'inbound-envelopes/',
  /** Candidate exports (zip), one day (see shared/data-lifecycle). */
  exports: 'exports/',
} as const;

/** The prefixes under which every object belongs to one company (`<prefix><company id>/…`): offboarding empties them. */
export const companyPrefixes = (companyId: string): string[] =>
  [MAIL_PREFIXES.bodies, MAIL_PREFIXES.outbound, MAIL_PREFIXES.uploads, MAIL_PREFIXES.exports].map((prefix) => `${prefix}${companyId}/`);

/** Where a candidate export's zip is kept (under the company's prefix, so offboarding empties it). */
export const exportKey = (companyId: string, candidateId: string, exportId: string): string => `${MAIL_PREFIXES.exports}${companyId}/${candidateId}/${exportId}.zip`;

/** Where a message's bodies (text and safe html, as JSON) are kept. */
export const bodyKey = (companyId: string, messageId: string): string => `${MAIL_PREFIXES.bodies}${companyId}/${messageId}.json`;
