/**
 * How inbound mail reaches a scope (DESIGN capability 12): `forward` (the company mailbox
 * forwards to the inbound address, capability 4) or `imap` (we read the mailbox). Stored on the
 * scope's settings item apart from the sending settings; the poller's status beside it.
 */
import type { ImapResultCode } from '../error-catalogue';
import type { SmtpSecurity } from '../smtp/types';

export const INBOUND_MODES = ['forward', 'imap'] as const;
export type InboundMode = (typeof INBOUND_MODES)[number];
export const IMAP_AUTH = ['password', 'oauth2'] as const;
export type ImapAuth = (typeof IMAP_AUTH)[number];

export const IMAP_STAGES = ['policy', 'dns', 'connect', 'tls', 'greeting', 'oauth', 'auth', 'folder', 'done'] as const;
export type ImapStage = (typeof IMAP_STAGES)[number];

export const DEFAULT_FOLDER = 'INBOX';
export const DEFAULT_BACKFILL_DAYS = 7;

/** An IMAP mailbox as stored: the password only encrypted (purpose `imap-password`). */
export interface StoredImap {
  host: string;
  port: number;
  security: SmtpSecurity;
  username: string;
  auth: ImapAuth;
  passwordCiphertext: string | null;
  folder: string;
  backfillDays: number;
  /** Grows with every change; the poller's status names the revision it saw. */
  revision: number;
}

export interface StoredInbound {
  mode: InboundMode;
  imap: StoredImap | null;
  updatedAt: string;
}

export interface InboundFailure {
  at: string;
  code: ImapResultCode;
  message: string;
  hint: string | null;
}

/** What the poller last found, for the settings view; written by the poller only. */
export interface InboundPollState {
  /** The IMAP revision this status is about. */
  revision: number;
  /** The last run that read the folder to the end of what it fetched. */
  lastPollAt: string | null;
  status: 'active' | 'failing';
  failure: InboundFailure | null;
}

/** One mailbox's read position and lease, kept apart from the settings (written every run). */
export interface MailboxCursor {
  /** Which mailbox and folder the position is in (host, user, folder): another one starts afresh. */
  mailboxKey: string;
  uidValidity: string;
  lastUid: number;
  /** The last run that completed; a UIDVALIDITY change re-reads from the day before it. */
  lastCompletedAt: string;
}

/** The inputs of an IMAP connection, with the secret only in memory. */
export interface ImapServerSettings {
  host: string;
  port: number;
  security: SmtpSecurity;
  username: string;
  auth: ImapAuth;
  password?: string;
  folder: string;
}
