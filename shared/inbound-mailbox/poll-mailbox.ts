/**
 * One run of the poller for one mailbox (DESIGN capability 12): under the mailbox's lease, read
 * what is new since the last run (by UID; the first run reaches back `backfillDays` with SEARCH
 * SINCE; a changed UIDVALIDITY re-reads from the day before the last completed run), store each
 * raw mail and hand it to the same filer as forwarded mail, with the scope's inbound address as
 * envelope recipient. Nothing is changed in the mailbox.
 *
 * Nothing is filed twice: the raw mail's key is derived from the scope and the mail's
 * Message-ID (or its content), so a mail read again (a UIDVALIDITY reset, a crash between
 * storing it and recording the UID, two pollers) has the same key and the filer answers
 * `duplicate`. A crash between storing and filing leaves stored, unfiled mail with its envelope,
 * which the inbound reconciler files.
 *
 * A run is bounded (`maxMessages`, `maxSeconds`): the rest follows next run. An IMAP failure
 * marks the scope's inbound side failing (never its sending) and the next good run clears it.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { BlobStore } from '../blob-store';
import type { ScopeSettings } from '../email-settings/model';
import type { SettingsStore } from '../email-settings/settings-store';
import { explainImapResult } from '../error-catalogue';
import { isOAuthError } from '../oauth/oauth-client';
import { oauthTokenHint } from '../oauth/oauth-hints';
import { logger } from '../logger';
import { MAIL_PREFIXES } from '../mail-bucket-layout';
import type { FilingOutcome, InboundDelivery } from '../messages/file-inbound-mail';
import { envelopeKey, type StoredEnvelope } from '../messages/inbound-filing-marks';
import { classifyImapFailure, type ImapVerdict } from './classify-imap-failure';
import { checkImapDestination, imapTargetOf, type ImapRoute } from './imap-destination';
import { savedImapSettings, scopeOAuthLogin, type ImapLoginDeps } from './imap-login';
import type { InboundMailboxStore, MailboxRef } from './mailbox-store';
import { isImapFailure, type ConnectMailbox, type MailboxReader } from './mailbox-reader';
import type { ImapServerSettings, InboundPollState, MailboxCursor, StoredImap } from './model';

export interface PollLimits {
  maxMessages: number;
  maxSeconds: number;
  leaseSeconds: number;
}

export interface PollMailboxDeps extends ImapLoginDeps {
  settings: SettingsStore;
  mailboxes: InboundMailboxStore;
  blobs: BlobStore;
  /** The inbound use case (fileInboundMail), which marks each raw mail filed. */
  file: (delivery: InboundDelivery) => Promise<FilingOutcome[]>;
  connect: ConnectMailbox;
  route: ImapRoute;
  limits: PollLimits;
  now: () => Date;
}

export type PollOutcome =
  | { result: 'not_imap' }
  | { result: 'busy' }
  | { result: 'failing'; code: string }
  | { result: 'polled'; fetched: number; outcomes: FilingOutcome['result'][]; more: boolean };

const DAY_MS = 24 * 3600 * 1000;
/** As much as SES receives (40 MB): larger mail stays in the mailbox, unfiled, and is logged. */
const MAX_MAIL_BYTES = 40 * 1024 * 1024;

export async function pollMailbox(deps: PollMailboxDeps, mailbox: MailboxRef): Promise<PollOutcome> {
  const settings = await deps.settings.get(mailbox.companyId, mailbox.scope);
  const imap = settings?.inbound?.mode === 'imap' ? settings.inbound.imap : null;
  if (!settings || !imap) {
    // The scope left IMAP after the index was read: the index entry goes too.
    await deps.mailboxes.unregister(mailbox);
    return { result: 'not_imap' };
  }
  const owner = randomUUID();
  const lease = await deps.mailboxes.acquireLease(mailbox, owner, deps.now(), deps.limits.leaseSeconds);
  if (lease === 'busy') return { result: 'busy' };
  try {
    const run = await readNewMail(deps, mailbox, owner, settings, imap, lease.cursor);
    await deps.mailboxes.recordPoll(mailbox, { revision: imap.revision, lastPollAt: deps.now().toISOString(), status: 'active', failure: null });
    return run;
  } catch (error) {
    const verdict = failureVerdict(error, imap, settings);
    if (!verdict) throw error;
    logger.warn('mailbox poll failed', { companyId: mailbox.companyId, scope: mailbox.scope, stage: verdict.stage, code: verdict.code });
    const state: InboundPollState = {
      revision: imap.revision,
      lastPollAt: settings.inboundPoll?.revision === imap.revision ? settings.inboundPoll.lastPollAt : null,
      status: 'failing',
      failure: { at: deps.now().toISOString(), code: verdict.code, message: verdict.message, hint: verdict.hint },
    };
    await deps.mailboxes.recordPoll(mailbox, state);
    return { result: 'failing', code: verdict.code };
  } finally {
    await deps.mailboxes.releaseLease(mailbox, owner);
  }
}

/** Failures of the mailbox (IMAP, OAuth, the destination) in the test's words; anything else is ours and throws. */
function failureVerdict(error: unknown, imap: StoredImap, settings: ScopeSettings): ImapVerdict | null {
  if (error instanceof MailboxRefused) return error.verdict;
  if (isOAuthError(error)) {
    return { stage: 'oauth', code: error.code, message: error.message, hint: oauthTokenHint(error, settings.smtp?.oauth?.flow ?? 'delegated') };
  }
  if (!isImapFailure(error)) return null;
  const oauth = settings.smtp?.oauth;
  return classifyImapFailure(error, {
    host: imap.host,
    port: imap.port,
    security: imap.security,
    auth: imap.auth,
    folder: imap.folder,
    username: imap.auth === 'oauth2' ? (oauth?.account ?? imap.username) : imap.username,
    oauth: imap.auth === 'oauth2' && oauth ? { provider: oauth.provider, flow: oauth.flow } : undefined,
  });
}

class MailboxRefused extends Error {
  constructor(readonly verdict: ImapVerdict) {
    super(verdict.message);
  }
}

async function readNewMail(
  deps: PollMailboxDeps,
  mailbox: MailboxRef,
  owner: string,
  settings: ScopeSettings,
  imap: StoredImap,
  cursor: MailboxCursor | null,
): Promise<PollOutcome> {
  const startedAt = Date.now();
  const server = await savedImapSettings(deps, settings, imap);
  const reader = await openMailbox(deps, settings, server);
  try {
    const folder = await reader.openFolder(imap.folder);
    const mailboxKey = mailboxKeyOf(imap);
    const now = deps.now();
    const sameMailbox = cursor?.mailboxKey === mailboxKey;
    const known = sameMailbox && cursor!.uidValidity === folder.uidValidity;
    let pending: number[];
    if (known) {
      pending = await reader.uidsAfter(cursor!.lastUid);
    } else if (sameMailbox) {
      // UIDVALIDITY changed: the old UIDs mean nothing now. Read again from the day before the
      // last completed run; what was filed already comes back `duplicate`.
      logger.warn('mailbox UIDVALIDITY changed; reading it again', { companyId: mailbox.companyId, scope: mailbox.scope });
      pending = await reader.uidsSince(new Date(Date.parse(cursor!.lastCompletedAt) - DAY_MS));
    } else {
      pending = imap.backfillDays > 0 ? await reader.uidsSince(new Date(now.getTime() - imap.backfillDays * DAY_MS)) : [];
    }
    const position = (lastUid: number): MailboxCursor => ({ mailboxKey, uidValidity: folder.uidValidity, lastUid, lastCompletedAt: now.toISOString() });
    let lastUid = known ? cursor!.lastUid : 0;
    const outcomes: FilingOutcome['result'][] = [];
    let fetched = 0;
    let done = 0;
    for (const uid of pending) {
      if (fetched >= deps.limits.maxMessages || Date.now() - startedAt > deps.limits.maxSeconds * 1000) break;
      const raw = await reader.fetchRaw(uid, MAX_MAIL_BYTES);
      if (raw && !Buffer.isBuffer(raw)) {
        logger.warn('mail in the mailbox is too large to file; left there', { companyId: mailbox.companyId, scope: mailbox.scope, uid, size: raw.tooLarge });
      } else if (raw) {
        const filed = await storeAndFile(deps, settings, raw);
        outcomes.push(...filed.map((outcome) => outcome.result));
        fetched++;
      }
      lastUid = uid;
      done++;
      // Recorded after each mail: a crash costs at most reading one mail again (filed `duplicate`).
      if (!(await deps.mailboxes.saveCursor(mailbox, owner, position(lastUid)))) {
        logger.warn('mailbox lease lost during a poll; stopping', { companyId: mailbox.companyId, scope: mailbox.scope });
        return { result: 'polled', fetched, outcomes, more: true };
      }
    }
    const more = done < pending.length;
    // Everything below UIDNEXT was there when the folder was opened: read, or older than wanted.
    if (!more) await deps.mailboxes.saveCursor(mailbox, owner, position(Math.max(lastUid, folder.uidNext - 1)));
    return { result: 'polled', fetched, outcomes, more };
  } finally {
    await reader.close();
  }
}

async function openMailbox(deps: PollMailboxDeps, settings: ScopeSettings, server: ImapServerSettings): Promise<MailboxReader> {
  const destination = await checkImapDestination(server, deps.route, 3000);
  if (!destination.ok) {
    const stage = destination.stage === 'policy' ? 'policy' : 'dns';
    throw new MailboxRefused({ stage, code: destination.code as ImapVerdict['code'], message: destination.message, hint: destination.hint });
  }
  if (server.auth !== 'oauth2') {
    return deps.connect(imapTargetOf(destination, server, deps.route, { user: server.username, password: server.password }, 20_000));
  }
  const withToken = async (forceRefresh: boolean) => {
    const oauth = await scopeOAuthLogin(deps, settings, { forceRefresh });
    if (!oauth) {
      throw new MailboxRefused({
        stage: 'oauth',
        code: 'OAUTH_REAUTHORIZE_REQUIRED',
        message: 'The scope has no OAuth2 connection any more.',
        hint: explainImapResult('OAUTH_REAUTHORIZE_REQUIRED').hint,
      });
    }
    const { user, accessToken } = await oauth.obtain();
    return deps.connect(imapTargetOf(destination, server, deps.route, { user, accessToken }, 20_000));
  };
  try {
    return await withToken(false);
  } catch (error) {
    // A cached token the server refuses (revoked, or the provider's clock ran ahead): once more with a fresh one.
    if (isImapFailure(error) && error.stage === 'auth') return withToken(true);
    throw error;
  }
}

/**
 * Stores the raw mail (its envelope first, for the reconciler) at a key derived from the scope
 * and the mail itself, and files it.
 */
async function storeAndFile(deps: PollMailboxDeps, settings: ScopeSettings, raw: Buffer): Promise<FilingOutcome[]> {
  const rawKey = imapRawKey(settings.companyId, settings.scope, raw);
  const receivedAt = deps.now().toISOString();
  const envelope: StoredEnvelope = { recipients: [settings.inboundAddress], source: '', receivedAt };
  await deps.blobs.put(envelopeKey(rawKey), Buffer.from(JSON.stringify(envelope)), 'application/json');
  await deps.blobs.put(rawKey, raw, 'message/rfc822');
  return deps.file({
    rawKey,
    recipients: [settings.inboundAddress],
    // The mailbox provider filtered it already; SES's verdicts do not exist for this path.
    verdicts: { spam: null, virus: null, spf: null, dkim: null, dmarc: null },
    receivedAt,
    readFromMailbox: true,
  });
}

/** Which mailbox and folder a read position belongs to. */
const mailboxKeyOf = (imap: StoredImap): string =>
  sha256([imap.host.trim().toLowerCase().replace(/\.$/, ''), imap.username.toLowerCase(), imap.folder].join('\u0000')).slice(0, 32);

/** The raw mail's key: the same mail read again (any UID, any run) gets the same key. */
export function imapRawKey(companyId: string, scope: string, raw: Buffer): string {
  const messageId = messageIdOf(raw);
  const identity = messageId ? `message-id:${messageId}` : `content:${sha256(raw)}`;
  return `${MAIL_PREFIXES.inboundImap}${sha256([companyId, scope, identity].join('\u0000')).slice(0, 48)}`;
}

/** The Message-ID header of a raw mail (unfolded, angle brackets kept), or null. */
export function messageIdOf(raw: Buffer): string | null {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, end === -1 ? Math.min(raw.length, 256 * 1024) : end).toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
  const match = /^message-id:[ \t]*(\S[^\r\n]*)$/im.exec(head);
  const value = match?.[1].trim() ?? '';
  return value.length > 0 && value.length <= 998 ? value : null;
}

const sha256 = (value: string | Buffer) => createHash('sha256').update(value).digest('hex');
