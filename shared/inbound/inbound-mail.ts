/**
 * The shape of a parsed inbound mail: what `parseInboundMail` returns and sender resolution,
 * bounce classification and filing read.
 */
import type { Readable } from 'node:stream';
import type { MailAddress } from '../mail/mail-address';

/** Where attachment content goes (S3 in production, memory in tests). */
export interface AttachmentSink {
  put(name: string, contentType: string, content: Readable): Promise<{ key: string; size: number }>;
}

export interface InboundAttachment {
  filename?: string;
  contentType: string;
  /** Decoded size in bytes. */
  size: number;
  /** The sink's key for the stored content. */
  key: string;
  /** Content-ID without angle brackets, to match `cid:` URLs. */
  contentId?: string;
  /** Shown inline in the body (an embedded image) rather than offered as a download. */
  inline: boolean;
  /** MD5 of the decoded content, when mailparser computed one. */
  checksum?: string;
}

/** What a mail and a mail embedded in it have alike: addresses, threading, headers, bodies. */
export interface MailFields {
  messageId?: string;
  inReplyTo?: string;
  references: string[];
  subject: string;
  date?: Date;
  /** The first mailbox of From; `fromAll` has every one (RFC 5322 allows several authors). */
  from?: MailAddress;
  fromAll: MailAddress[];
  sender?: MailAddress;
  replyTo: MailAddress[];
  to: MailAddress[];
  cc: MailAddress[];
  headers: HeaderMap;
  text?: string;
  html?: string;
  /** Why parts of the mail could not be parsed; empty for a well-formed mail. */
  defects: string[];
}

/** A message/rfc822 part, parsed from its first `maxRetainedPartBytes` bytes. */
export interface EmbeddedMessage extends MailFields {
  /** Index into `ParsedInboundMail.attachments` of the stored part (absent inside an embedded message). */
  attachmentIndex?: number;
  /**
   * The part was attached as a file (`Content-Disposition: attachment` or a file name), as mail
   * clients do when forwarding "as attachment"; a bare embedded part is an enclosure or digest.
   */
  attachedAsFile: boolean;
  contentType: string;
  /** Messages embedded in this one (bounded depth). */
  embeddedMessages: EmbeddedMessage[];
  /** The part was larger than the cap: headers are complete, the body may not be. */
  truncated: boolean;
}

/** A machine-readable report part: delivery-status, rfc822-headers, feedback or disposition report. */
export interface ReportPart {
  contentType: string;
  /** Decoded as UTF-8 (these parts are ASCII or UTF-8 by their RFCs). */
  content: string;
  truncated: boolean;
}

/** Decoded header values by lowercase name, in order of appearance. */
export type HeaderMap = Record<string, string[]>;

export interface ParsedInboundMail extends MessageCore {
  attachments: InboundAttachment[];
  /** Attachments past the stored-part cap: only in the raw mail. */
  omittedParts: number;
  embeddedMessages: EmbeddedMessage[];
  reportParts: ReportPart[];
}

export interface MessageCore extends MailFields {
  /** Top-level Content-Type, e.g. `{ value: 'multipart/report', params: { 'report-type': 'delivery-status' } }`. */
  contentType: { value: string; params: Record<string, string> };
}

