import { randomBytes } from 'node:crypto';

/** Time-ordered, unguessable ids: `msg_` + base36 milliseconds + 64 random bits. */
export const newId = (prefix: string, now = Date.now()): string =>
  `${prefix}_${now.toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
