/**
 * The port through which use cases send mail over a company's SMTP server, and its one error
 * type. Use cases import only this module; `send-via-smtp.ts` (nodemailer) implements it.
 */
import type { SmtpResultCode } from '../error-catalogue';
import type { SmtpServerSettings, SmtpStage } from './types';

export interface SmtpMessage {
  envelope: { from: string; to: string[] };
  /** The complete RFC 5322 message. */
  raw: Buffer | string;
  /**
   * Called after the server's 354, before the first byte of the message goes out: from then on
   * the server may get the message, so a caller that must never send twice records it here.
   */
  beforeData?: () => Promise<void>;
}

export interface SmtpSendResult {
  accepted: true;
  /** The server's reply to the end of DATA (`250 2.0.0 Ok: queued as ...`). */
  response: string;
  /** The Message-ID header of the message, or the one the server says it assigned (Microsoft 365). */
  messageId?: string;
  acceptedRecipients: string[];
  rejectedRecipients: string[];
  /** The largest message the server announced in EHLO (`SIZE`); null when it named none. */
  sizeLimit?: number | null;
}

/** Sends one message with the given settings; a failure throws `SmtpSendError`. */
export type SendSmtp = (settings: SmtpServerSettings, message: SmtpMessage) => Promise<SmtpSendResult>;

/**
 * Why a message was not accepted. An accepted message is a result, never an error, so a thrown
 * error never means "sent"; `dataSent` tells the one ambiguous case: the whole message went out
 * but no answer came.
 */
export class SmtpSendError extends Error {
  readonly code: SmtpResultCode;
  readonly stage: SmtpStage;
  readonly smtpResponse: string | null;
  /** The whole message was sent but no final reply came: it may have been accepted. */
  readonly dataSent: boolean;
  /** Whether the same attempt may succeed later (4xx, dropped connection). */
  readonly temporary: boolean;
  readonly hint: string;
  /** The largest message the server announced in EHLO (`SIZE`), when the connection got that far. */
  readonly sizeLimit: number | null;

  constructor(fields: {
    code: SmtpResultCode;
    stage: SmtpStage;
    message: string;
    hint: string;
    smtpResponse: string | null;
    dataSent: boolean;
    temporary: boolean;
    sizeLimit?: number | null;
  }) {
    super(fields.message);
    this.name = 'SmtpSendError';
    this.code = fields.code;
    this.stage = fields.stage;
    this.smtpResponse = fields.smtpResponse;
    this.dataSent = fields.dataSent;
    this.temporary = fields.temporary;
    this.hint = fields.hint;
    this.sizeLimit = fields.sizeLimit ?? null;
  }
}

export const isSmtpSendError = (error: unknown): error is SmtpSendError => error instanceof SmtpSendError;
