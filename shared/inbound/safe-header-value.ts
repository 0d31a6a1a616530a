/**
 * Values taken from a mail (a part's Content-Type, its filename) end up in HTTP headers (the
 * storage upload's Content-Type, a download's Content-Disposition) and in records. A mail may
 * carry anything there: NUL and control bytes, 8-bit garbage, kilobytes of text. These make
 * such values safe; a part whose type is not a plain `type/subtype` is kept as opaque bytes.
 */
import { stripUnsafeHeaderCharacters } from '../outbound/header-text';

export const OPAQUE_MEDIA_TYPE = 'application/octet-stream';

/** RFC 2045 token characters, the only ones a media type's type and subtype may hold. */
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,128}$/;

/** The media type, lowercased, or `application/octet-stream` when it is not a clean `type/subtype`. */
export function safeMediaType(value: string | null | undefined): string {
  const type = (value ?? '').trim().toLowerCase();
  return MEDIA_TYPE.test(type) ? type : OPAQUE_MEDIA_TYPE;
}

/**
 * A filename fit for a record and a Content-Disposition: no control bytes, no path, at most 255
 * characters; undefined when nothing printable is left.
 */
export function safeFilename(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const cleaned = stripUnsafeHeaderCharacters(value).replace(/[\\/]/g, '_').trim().slice(0, 255);
  return cleaned.length > 0 ? cleaned : undefined;
}

