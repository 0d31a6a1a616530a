/**
 * The port through which use cases read a company mailbox over IMAP, and its one error type.
 * Use cases import only this module; `imapflow-mailbox-reader.ts` (imapflow) implements it.
 */
import type { SmtpTlsOptions } from '../smtp/smtp-tls';
import type { SmtpSecurity } from '../smtp/types';
import type { ImapStage } from './model';

/** Where and how to connect: the IP the destination guard checked, the host name only for TLS. */
export interface ImapConnectTarget {
  address: string;
  servername: string | null;
  port: number;
  security: SmtpSecurity;
  tls: SmtpTlsOptions;
  user: string;
  password?: string;
  accessToken?: string;
  /** No single wait (connection, greeting, a command) lasts longer than this. */
  timeoutMs: number;
}

export interface OpenedFolder {
  /** UIDVALIDITY as a decimal string (a 32-bit number; kept as text to compare exactly). */
  uidValidity: string;
  uidNext: number;
  exists: number;
}

export interface MailboxReader {
  /** Opens the folder read-only (EXAMINE: flags stay as they are). */
  openFolder(folder: string): Promise<OpenedFolder>;
  /** UIDs above `uid`, ascending. */
  uidsAfter(uid: number): Promise<number[]>;
  /** UIDs of mail received on or after the day of `date` (SEARCH SINCE), ascending. */
  uidsSince(date: Date): Promise<number[]>;
  /**
   * The raw message of a UID (BODY.PEEK[]: not marked \Seen); null when it is gone, its size
   * when it is larger than `maxBytes` (not fetched).
   */
  fetchRaw(uid: number, maxBytes: number): Promise<Buffer | { tooLarge: number } | null>;
  close(): Promise<void>;
}

/** Opens a session: connection, TLS, greeting, login. A failure throws `ImapFailure`. */
export type ConnectMailbox = (target: ImapConnectTarget, transcript?: (line: string) => void) => Promise<MailboxReader>;

/** What went wrong, as the adapter saw it; classify-imap-failure.ts says what it means. */
export class ImapFailure extends Error {
  readonly stage: ImapStage;
  /** Node's or imapflow's code (`ECONNREFUSED`, `GREETING_TIMEOUT`, `CERT_HAS_EXPIRED`). */
  readonly errorCode: string | null;
  /** The server's response code in brackets (`AUTHENTICATIONFAILED`, `NONEXISTENT`). */
  readonly serverCode: string | null;
  /** The server's words (one line). */
  readonly serverText: string | null;

  constructor(fields: { stage: ImapStage; message: string; errorCode?: string | null; serverCode?: string | null; serverText?: string | null }) {
    super(fields.message);
    this.name = 'ImapFailure';
    this.stage = fields.stage;
    this.errorCode = fields.errorCode ?? null;
    this.serverCode = fields.serverCode ?? null;
    this.serverText = fields.serverText ?? null;
  }
}

export const isImapFailure = (error: unknown): error is ImapFailure => error instanceof ImapFailure;
