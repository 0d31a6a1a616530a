/**
 * The IMAP adapter (imapflow, by nodemailer's author): the only module importing it. Connects
 * to the checked IP with the host name as TLS servername, logs in with a password or an OAuth2
 * access token (XOAUTH2/OAUTHBEARER), and reads without changing anything: the folder is
 * opened with EXAMINE and messages are fetched with BODY.PEEK[]. imapflow's errors are
 * translated here, once, into `ImapFailure` with the stage they happened in.
 */
import { ImapFlow } from 'imapflow';
import { ImapFailure, type ConnectMailbox, type ImapConnectTarget, type MailboxReader } from './mailbox-reader';
import type { ImapStage } from './model';

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'CONNECT_TIMEOUT', 'EADDRNOTAVAIL']);

interface ImapflowError extends Error {
  code?: string;
  authenticationFailed?: boolean;
  tlsFailed?: boolean;
  serverResponseCode?: string;
  responseText?: string;
  response?: unknown;
}

/** The stage an imapflow error of the opening belongs to. */
function openingStage(error: ImapflowError, progress: { connected: boolean; greeted: boolean }, target: ImapConnectTarget): ImapStage {
  const code = error.code ?? '';
  if (error.authenticationFailed || error.serverResponseCode) return 'auth';
  if (error.tlsFailed || code === 'UPGRADE_TIMEOUT' || /^ERR_SSL|^ERR_TLS|CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code)) return 'tls';
  if (code === 'GREETING_TIMEOUT' || code === 'ClosedAfterConnectText' || code === 'ClosedAfterConnectTLS') return 'greeting';
  if (!progress.connected && CONNECT_ERRORS.has(code)) return 'connect';
  if (!progress.connected) return target.security === 'ssl' ? 'tls' : 'connect';
  return progress.greeted ? 'auth' : 'greeting';
}

function serverWords(error: ImapflowError): string | null {
  const text = typeof error.response === 'string' ? error.response : (error.responseText ?? null);
  return text ? text.replace(/\s+/g, ' ').trim().slice(0, 500) : null;
}

function failureOf(error: unknown, stage: ImapStage): ImapFailure {
  const raw = error as ImapflowError;
  return new ImapFailure({
    stage,
    message: raw.message,
    errorCode: raw.code ?? null,
    serverCode: raw.serverResponseCode ?? null,
    serverText: serverWords(raw),
  });
}

export const connectWithImapflow: ConnectMailbox = async (target, transcript) => {
  const progress = { connected: false, greeted: false };
  const note = (entry: Record<string, unknown>) => {
    const msg = typeof entry.msg === 'string' ? entry.msg : '';
    if (/^Established/.test(msg)) progress.connected = true;
    if (entry.src === 's' && !progress.greeted) progress.greeted = true;
    if (!transcript) return;
    // Protocol lines only: imapflow hides credentials itself ("(* value hidden *)").
    if (entry.src === 's' || entry.src === 'c') transcript(`${entry.src === 's' ? 'S' : 'C'}: ${msg}`);
    else if (msg) transcript(`*  ${msg}`);
  };
  const logger = { debug: note, info: note, warn: note, error: note };
  const client = new ImapFlow({
    host: target.address,
    port: target.port,
    secure: target.security === 'ssl',
    doSTARTTLS: target.security === 'starttls',
    servername: target.servername ?? undefined,
    tls: { rejectUnauthorized: target.tls.rejectUnauthorized, ca: target.tls.ca, minVersion: target.tls.minVersion },
    auth: target.accessToken ? { user: target.user, accessToken: target.accessToken } : { user: target.user, pass: target.password ?? '' },
    logger,
    connectionTimeout: target.timeoutMs,
    greetingTimeout: target.timeoutMs,
    socketTimeout: target.timeoutMs,
    disableAutoIdle: true,
    emitLogs: false,
    clientInfo: { name: 'recruiting-mail' },
  } as ConstructorParameters<typeof ImapFlow>[0]);
  // A dropped connection surfaces as the failure of the command in flight.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    client.close();
    throw failureOf(error, openingStage(error as ImapflowError, progress, target));
  }
  return readerOf(client);
};

function readerOf(client: ImapFlow): MailboxReader {
  const guarded = async <T>(stage: ImapStage, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw failureOf(error, stage);
    }
  };
  const ascending = (uids: number[] | false | undefined) => (uids ? [...uids].sort((a, b) => a - b) : []);
  return {
    openFolder: (folder) =>
      guarded('folder', async () => {
        const opened = await client.mailboxOpen(folder, { readOnly: true });
        return { uidValidity: String(opened.uidValidity), uidNext: Number(opened.uidNext), exists: opened.exists };
      }),
    uidsAfter: (uid) =>
      guarded('folder', async () => ascending(await client.search({ uid: `${uid + 1}:*` }, { uid: true })).filter((found) => found > uid)),
    uidsSince: (date) => guarded('folder', async () => ascending(await client.search({ since: date }, { uid: true }))),
    fetchRaw: (uid, maxBytes) =>
      guarded('folder', async () => {
        const sized = await client.fetchOne(String(uid), { size: true }, { uid: true });
        if (!sized) return null;
        if ((sized.size ?? 0) > maxBytes) return { tooLarge: sized.size ?? 0 };
        const message = await client.fetchOne(String(uid), { source: true }, { uid: true });
        return message && message.source ? Buffer.from(message.source) : null;
      }),
    async close() {
      await client.logout().catch(() => client.close());
    },
  };
}
