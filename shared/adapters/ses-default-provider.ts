/**
 * The default provider on Amazon SES (API v1 `SendRawEmail`, which aws-ses-v2-local also
 * serves). The only code that talks to SES for outbound mail; SDK and network errors become a
 * `DefaultProviderError` here, once.
 */
import { SendRawEmailCommand, SESClient, SESServiceException } from '@aws-sdk/client-ses';
import {
  DefaultProviderError,
  type DefaultProvider,
  type DefaultProviderSendInput,
  type DefaultProviderSendResult,
} from '../outbound/default-provider';
import { adapterClient } from './tracing';

export interface SesDefaultProviderOptions {
  /** A ready client (tests, or a shared one); otherwise one is built from the options below. */
  client?: SESClient;
  /** Defaults to the SDK's own resolution (`AWS_REGION` on Lambda). */
  region?: string;
  /** A custom endpoint, e.g. the local SES of `npm start`. */
  endpoint?: string;
  /** Static credentials, for the local SES only; on AWS the SDK's default chain is used. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** SDK attempts per send (default 3); the delivery queue retries on top of this. */
  maxAttempts?: number;
  /** The configuration set whose event destination publishes the sends' delivery events. */
  configurationSetName?: string;
}

// The SDK's defaults wait minutes on a dead connection; a Lambda has seconds.
const CONNECTION_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The Message-ID SES writes into the message it sends: `<MessageId@email.amazonses.com>` in
 * us-east-1, `<MessageId@{region}.amazonses.com>` in the other regions.
 */
export function sesMessageIdHeader(providerMessageId: string, region: string): string {
  const host = region === 'us-east-1' ? 'email.amazonses.com' : `${region}.amazonses.com`;
  return `<${providerMessageId}@${host}>`;
}

// SES error codes that are about this message or our account, not about SES being busy.
const REJECTED_CODES = new Set([
  'MessageRejected',
  'MailFromDomainNotVerifiedException',
  'MailFromDomainNotVerified',
  'FromEmailAddressNotVerifiedException',
  'ConfigurationSetDoesNotExistException',
  'ConfigurationSetDoesNotExist',
  'ConfigurationSetSendingPausedException',
  'ConfigurationSetSendingPaused',
  'AccountSendingPausedException',
  'AccountSendingPaused',
  'ProductionAccessNotGrantedException',
  'InvalidParameterValue',
  'ValidationError',
  'AccessDenied',
  'AccessDeniedException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'IncompleteSignature',
  'MissingAuthenticationToken',
]);
// Codes that say "later": throttling (including the daily quota) and SES-side failures.
const UNAVAILABLE_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestThrottled',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
// Network failures before or while talking to SES.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'TimeoutError',
  'RequestTimeout',
]);

const errorField = (error: unknown, field: string): unknown =>
  typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[field] : undefined;

/** Maps whatever the SDK threw to a `DefaultProviderError`. */
export function translateSesError(error: unknown): DefaultProviderError {
  if (error instanceof DefaultProviderError) return error;
  const message = error instanceof Error ? error.message : String(error);

  if (error instanceof SESServiceException) {
    const status = error.$metadata?.httpStatusCode ?? null;
    const providerCode = error.name;
    const temporary =
      UNAVAILABLE_CODES.has(providerCode) ||
      (!REJECTED_CODES.has(providerCode) && (error.$fault === 'server' || status === 429 || (status !== null && status >= 500)));
    return new DefaultProviderError({
      code: temporary ? 'DEFAULT_PROVIDER_UNAVAILABLE' : 'DEFAULT_PROVIDER_REJECTED',
      temporary,
      providerCode,
      httpStatus: status,
      message: `SES ${temporary ? 'is unavailable' : 'rejected the message'}: ${providerCode}: ${message}`,
      cause: error,
    });
  }

  const code = errorField(error, 'code');
  const name = errorField(error, 'name');
  const networkCode = [code, name].find((value): value is string => typeof value === 'string' && NETWORK_CODES.has(value));
  if (networkCode !== undefined) {
    return new DefaultProviderError({
      code: 'DEFAULT_PROVIDER_UNAVAILABLE',
      temporary: true,
      providerCode: networkCode,
      message: `SES could not be reached: ${networkCode}: ${message}`,
      cause: error,
    });
  }
  // Anything else (credentials that did not load, an SDK parsing failure): retry; the queue's
  // dead-letter queue catches what never succeeds.
  return new DefaultProviderError({
    code: 'DEFAULT_PROVIDER_UNAVAILABLE',
    temporary: true,
    providerCode: typeof name === 'string' && name !== '' ? name : 'Unknown',
    message: `SES send failed: ${message}`,
    cause: error,
  });
}

export function createSesDefaultProvider(options: SesDefaultProviderOptions = {}): DefaultProvider {
  const client =
    options.client ??
    adapterClient(new SESClient({
      ...(options.region ? { region: options.region } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
      requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
    }));
  let region: Promise<string> | undefined;
  const resolveRegion = (): Promise<string> => {
    region ??= options.region ? Promise.resolve(options.region) : client.config.region();
    return region;
  };

  return {
    async send({ raw, envelope, tags }: DefaultProviderSendInput): Promise<DefaultProviderSendResult> {
      let providerMessageId: string | undefined;
      try {
        const output = await client.send(
          new SendRawEmailCommand({
            // Source and Destinations are the envelope: they override the headers, so Bcc-less
            // recipients are exactly the ones we checked.
            Source: envelope.from,
            Destinations: envelope.to,
            RawMessage: { Data: raw },
            ConfigurationSetName: options.configurationSetName,
            Tags: tags?.map((tag) => ({ Name: tag.name, Value: tag.value })),
          }),
        );
        providerMessageId = output.MessageId;
      } catch (error) {
        throw translateSesError(error);
      }
      if (!providerMessageId) {
        // SES said yes without an id: the message may be on its way, so no retry.
        throw new DefaultProviderError({
          code: 'DEFAULT_PROVIDER_UNAVAILABLE',
          temporary: false,
          providerCode: 'MissingMessageId',
          message: 'SES accepted the request but returned no MessageId; not retried, to avoid sending twice',
        });
      }
      return { providerMessageId, messageIdHeader: sesMessageIdHeader(providerMessageId, await resolveRegion()) };
    },
  };
}
