/**
 * What may appear in a header field we write. C0 controls (CR, LF, TAB, NUL…), DEL, the C1
 * controls and the Unicode line/paragraph separators are refused outright: some parsers treat
 * them as line breaks, so they are how a header gets injected.
 */
const UNSAFE_HEADER_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const UNSAFE_HEADER_CHARACTERS_ALL = new RegExp(UNSAFE_HEADER_CHARACTERS.source, 'g');

export const hasUnsafeHeaderCharacters = (value: string): boolean => UNSAFE_HEADER_CHARACTERS.test(value);

export const UNSAFE_HEADER_MESSAGE = 'must not contain line breaks or control characters';

/** Replaces each unsafe character by a space, for text we own and must not refuse (names from settings). */
export const blankUnsafeHeaderCharacters = (value: string): string => value.replace(UNSAFE_HEADER_CHARACTERS_ALL, ' ');

/** Removes each unsafe character, for text from a mail that goes into a header of ours (filenames). */
export const stripUnsafeHeaderCharacters = (value: string): string => value.replace(UNSAFE_HEADER_CHARACTERS_ALL, '');
