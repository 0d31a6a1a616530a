/**
 * Message ids (`<left@right>`, RFC 5322 msg-id), every form we handle them in:
 * - written by us (Message-ID, In-Reply-To, References of our mail): `checkMessageId` accepts
 *   only the dot-atom form (no quoted strings, literals or whitespace), so an id can never carry
 *   a second header or a second id; `newMessageId` makes ours;
 * - read from received mail: `normalizeMessageId` and `messageIdsIn` bring what senders write to
 *   the bracketed form without rejecting anything;
 * - compared or used as a key: `messageIdKey`.
 */
import { randomBytes } from 'node:crypto';
import { checkDomain } from '../outbound/address';

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

/** A received id in bracketed form: the first `<...>` in the value, else the value without stray brackets. */
export function normalizeMessageId(value: string): string {
  const trimmed = value.trim();
  const bracketed = /<([^<>\s]+)>/.exec(trimmed);
  const bare = bracketed ? bracketed[1] : trimmed.replace(/^<|>$/g, '');
  return `<${bare}>`;
}

/** The ids of received References-like headers, bracketed, each once, in order. */
export function messageIdsIn(entries: string[]): string[] {
  const ids: string[] = [];
  for (const entry of entries) {
    const bracketed = entry.match(/<[^<>\s]+>/g);
    if (bracketed) ids.push(...bracketed);
    else ids.push(...entry.split(/\s+/).filter(Boolean).map(normalizeMessageId));
  }
  return [...new Set(ids)];
}

/** Message-IDs compare without angle brackets and case-insensitively: this is the form they are looked up by. */
export const messageIdKey = (header: string): string => header.trim().replace(/^<|>$/g, '').toLowerCase();
