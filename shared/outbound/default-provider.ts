/**
 * The default provider (Amazon SES on AWS, aws-ses-v2-local locally) as the send use case sees
 * it. Adapters translate their library's errors into `DefaultProviderError` once; callers
 * decide on retries from `temporary` alone.
 */

export interface DefaultProviderSendInput {
  /** The complete RFC 5322 message, as built by `buildCandidateMail`. */
  raw: Buffer;
  envelope: { from: string; to: string[] };
  /** Provider message tags (SES `Tags`), which its delivery events carry back. */
  tags?: DefaultProviderTag[];
}

/** One message tag; names and values of ASCII letters, digits, `_` and `-` only. */
export interface DefaultProviderTag {
  name: string;
  value: string;
}

export interface DefaultProviderSendResult {
  /** The provider's id of the accepted message (SES `MessageId`). */
  providerMessageId: string;
  /**
   * The Message-ID header the recipients see. SES replaces ours with `<MessageId@region-host>`,
   * so replies reference this one: store it beside ours.
   */
  messageIdHeader: string;
}

export interface DefaultProvider {
  send(input: DefaultProviderSendInput): Promise<DefaultProviderSendResult>;
}

import type { DefaultProviderErrorCode } from '../error-catalogue';
export { DEFAULT_PROVIDER_ERROR_CODES, type DefaultProviderErrorCode } from '../error-catalogue';

/**
 * `DEFAULT_PROVIDER_REJECTED`: the provider refused this message or our account/identity
 * (unverified sender, rejected content, sending paused, access denied); sending it again will
 * not help (`temporary: false`).
 * `DEFAULT_PROVIDER_UNAVAILABLE`: throttling, a 5xx, a network failure; retry with backoff
 * (`temporary: true`). It is `temporary: false` only when the provider may have accepted the
 * message, where a retry could send it twice.
 */
export class DefaultProviderError extends Error {
  readonly code: DefaultProviderErrorCode;
  readonly temporary: boolean;
  /** The provider's own name for the failure (`MessageRejected`, `Throttling`, `ECONNREFUSED`…). */
  readonly providerCode: string;
  readonly httpStatus: number | null;

  constructor(options: {
    code: DefaultProviderErrorCode;
    temporary: boolean;
    providerCode: string;
    httpStatus?: number | null;
    message: string;
    cause?: unknown;
  }) {
    super(options.message, { cause: options.cause });
    this.name = 'DefaultProviderError';
    this.code = options.code;
    this.temporary = options.temporary;
    this.providerCode = options.providerCode;
    this.httpStatus = options.httpStatus ?? null;
  }
}

export const isDefaultProviderError = (error: unknown): error is DefaultProviderError => error instanceof DefaultProviderError;
