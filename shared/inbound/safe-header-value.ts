/**
 * Values taken from a mail (a part's Content-Type, its filename) end up in HTTP headers (the
 * storage upload's Content-Type, a download's Content-Disposition) and in records. A mail may
 * carry anything there: NUL and control bytes, 8-bit garbage, kilobytes of text. And what the
 * MIME parser hands over is of no guaranteed type: `Content-Type: ; name="x.jpg"` comes back as
 * `false`, a repeated field as an array. These take `unknown` and give a safe value or none,
 * never an exception; a part whose type is not a plain `type/subtype` is kept as opaque bytes.
 */
import { stripUnsafeHeaderCharacters } from '../outbound/header-text';

export const OPAQUE_MEDIA_TYPE = 'application/octet-stream';

/** RFC 2045 token characters, the only ones a media type's type and subtype may hold. */
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,128}$/;

/** RFC 5322's line length: no single value from a mail is kept longer by default. */
const MAX_TEXT_LENGTH = 998;

/** The media type, lowercased, or `application/octet-stream` when it is not a clean `type/subtype` string. */
export function safeMediaType(value: unknown): string {
  if (typeof value !== 'string') return OPAQUE_MEDIA_TYPE;
  const type = value.trim().toLowerCase();
  return MEDIA_TYPE.test(type) ? type : OPAQUE_MEDIA_TYPE;
}

/**
 * A filename fit for a record and a Content-Disposition: no control bytes, no path, at most 255
 * characters; undefined when it is not a string or nothing printable is left.
 */
export function safeFilename(value: unknown): string | undefined {
  return safeText(value, 255)?.replace(/[\\/]/g, '_');
}

/** A string value without control bytes, trimmed, at most `maxLength` characters; undefined when not a string or empty. */
export function safeText(value: unknown, maxLength = MAX_TEXT_LENGTH): string | undefined {
  if (typeof value !== 'string') return undefined;
  const cleaned = stripUnsafeHeaderCharacters(value.slice(0, maxLength * 4)).trim().slice(0, maxLength).trim();
  return cleaned.length > 0 ? cleaned : undefined;
}
