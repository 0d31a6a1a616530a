/**
 * Message ids (`<left@right>`, RFC 5322 msg-id) that we write into Message-ID, In-Reply-To and
 * References. Only the dot-atom form is accepted: no quoted strings, literals or whitespace,
 * so an id can never carry a second header or a second id.
 */
import { randomBytes } from 'node:crypto';
import { checkDomain } from './address';

const ID_PART = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*";
const MESSAGE_ID = new RegExp(`^<?(${ID_PART}@${ID_PART})>?$`);
const MAX_MESSAGE_ID_LENGTH = 250;

type Parsed = { ok: true; value: string } | { ok: false; message: string };

/** Normalises a message id to its bracketed form (`<id@host>`), or says why it is not one. */
export function checkMessageId(value: unknown): Parsed {
  if (typeof value !== 'string') return { ok: false, message: 'must be a string' };
  const trimmed = value.trim();
  if (trimmed.length > MAX_MESSAGE_ID_LENGTH) return { ok: false, message: `must be at most ${MAX_MESSAGE_ID_LENGTH} characters` };
  const match = MESSAGE_ID.exec(trimmed);
  // Brackets must be both present or both absent: `<a@b` is a typo we do not guess about.
  if (match === null || trimmed.startsWith('<') !== trimmed.endsWith('>')) {
    return { ok: false, message: 'must be one message id such as <id@example.com>' };
  }
  return { ok: true, value: `<${match[1]}>` };
}

/**
 * A fresh Message-ID of ours: `<time.random@domain>`, 96 random bits so ids never collide
 * across workers. `domain` must be a host name we own (it names who made the id).
 */
export function newMessageId(domain: string): string {
  const checked = checkDomain(domain);
  if (!checked.ok) throw new Error(`Message-ID domain "${domain}" is not usable: ${checked.message}`);
  return `<${Date.now().toString(36)}.${randomBytes(12).toString('hex')}@${checked.value}>`;
}
