import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlobStore } from '../blob-store';
import { findCandidatesByAddress } from '../candidates/candidates-service';
import type { CandidatesStore } from '../candidates/candidates-store';
import { normalizeAddress } from '../candidates/model';
import { companySettingsBehind } from '../email-settings/company-fallback';
import { scopeOfInboundAddress, type InboundAddresses } from '../email-settings/inbound-address';
import type { ScopeSettings } from '../email-settings/model';
import type { SettingsStore } from '../email-settings/settings-store';
import { classifyInboundMail } from '../inbound/classify-inbound-mail';
import { htmlToPlainText } from '../inbound/forwarded-block';
import { parseInboundMail, type ParsedInboundMail } from '../inbound/parse-inbound-mail';
import { UnparseableMail } from '../inbound/unparseable-mail';
import { resolveOriginalSender } from '../inbound/resolve-original-sender';
import { sanitizeMailHtml } from '../inbound/sanitize-html';
import { logger } from '../logger';
import { storedAddress } from '../mail/mail-address';
import { bodyKey, MAIL_PREFIXES } from '../mail-bucket-layout';
import { findRedirectToken } from '../email-settings/redirect-check';
import { isForwardingBlockedBounce, markForwardingBlocked } from '../email-settings/forwarding-block';
import { filedMarkKey } from './inbound-filing-marks';
import { bodyFields } from './message-body';
import type { MessagesStore } from './messages-store';
import { newMessageRecord, type MatchKind, type MessageRecord, type Verdicts } from './model';
import { inboundRecordWithinItemLimit } from './inbound-record-limits';
import { isStoreFailure, markingStoreFailures, markStoreFailure } from './store-failures';
import { unparseableMailRecord } from './unparseable-mail-record';

/** One mail as the receiving side (SES, or the local SMTP listener) hands it over. */
export interface InboundDelivery {
  /** Where the raw mail is stored in the mail bucket. */
  rawKey: string;
  /** The envelope recipients (`receipt.recipients`): they, never To, say whose mail it is. */
  recipients: string[];
  verdicts: Verdicts;
  receivedAt: string;
  /**
   * Read from the company mailbox over IMAP (capability 12) rather than forwarded to us: such a
   * mail says nothing about the forwarding, so the redirect test mail in it verifies nothing.
   */
  readFromMailbox?: boolean;
}

export interface FileInboundDeps {
  settings: SettingsStore;
  candidates: CandidatesStore;
  messages: MessagesStore;
  blobs: BlobStore;
  inboundDomain: string;
  /** A derived inbound address names its scope even before the scope is stored. */
  inboundAddresses: InboundAddresses;
  /** Domains our own mail comes from (default sender, inbound): for loop detection. */
  ourDomains: string[];
  now: () => Date;
}

export type FilingOutcome =
  | { scope: string; companyId: string; result: 'filed' | 'unassigned' | 'quarantined' | 'parse_error'; messageId: string; match: MessageRecord['match'] }
  | { scope: string; companyId: string; result: 'duplicate'; messageId: string }
  | { scope: string; companyId: string; result: 'ignored_loop' };

interface Target {
  companyId: string;
  scope: string;
  messageId: string;
  /** The message exists as a parse-error record, which filing the mail again replaces. */
  replacing?: boolean;
}

/**
 * Files one received mail for every company scope it was addressed to: under the candidate
 * it comes from (by thread, original sender or a learned address) or as unassigned. Stored once
 * however often it is delivered: the message id is derived from the stored raw mail, and the
 * same Message-ID at the same scope is kept once.
 *
 * One mail's failure stays that mail's: when the mail itself cannot be parsed or filed (anything
 * but a store failing), it is set aside as an unassigned message with a `parseError` verdict
 * and its raw mail, and the delivery succeeds; delivering it again (`npm run replay`, after a
 * fix) files it in place of that record. A store that fails throws, so the delivery is retried.
 */
export async function fileInboundMail(deps: FileInboundDeps, delivery: InboundDelivery): Promise<FilingOutcome[]> {
  const outcomes = await fileForEveryScope(withStoreFailuresMarked(deps), delivery);
  // The mark tells the reconciler this raw mail needs nothing more; written only once filed.
  const mark = { filedAt: deps.now().toISOString(), outcomes: outcomes.map((outcome) => outcome.result) };
  await deps.blobs.put(filedMarkKey(delivery.rawKey), Buffer.from(JSON.stringify(mark)), 'application/json');
  return outcomes;
}

async function fileForEveryScope(deps: FileInboundDeps, delivery: InboundDelivery): Promise<FilingOutcome[]> {
  const targets = await resolveTargets(deps, delivery);
  if (targets.length === 0) {
    logger.warn('inbound mail for no known address', { rawKey: delivery.rawKey, recipients: delivery.recipients });
    return [];
  }
  // Independent reads, started together so that the table serves them in one request: was the
  // mail filed at each target already, and the target's settings. A filing changes only its own
  // scope's redirect state, which no other target reads, so reading them all first is safe.
  const [filed, settings] = await Promise.all([
    Promise.all(targets.map((target) => deps.messages.get(target.messageId))),
    Promise.all(targets.map((target) => settingsOf(deps, target))),
  ]);
  const pending: { target: Target; settings: TargetSettings }[] = [];
  const outcomes: FilingOutcome[] = [];
  for (const [index, target] of targets.entries()) {
    const existing = filed[index];
    if (existing && !existing.verdicts?.parseError) outcomes.push({ ...target, result: 'duplicate' });
    else pending.push({ target: { ...target, replacing: Boolean(existing) }, settings: settings[index] });
  }
  if (pending.length === 0) return outcomes;

  let mail: ParsedInboundMail;
  try {
    mail = await parseStoredMail(deps, delivery);
  } catch (error) {
    if (isStoreFailure(error)) throw error;
    for (const { target } of pending) outcomes.push(await setAside(deps, delivery, target, error, null));
    return outcomes;
  }
  if (mail.defects.length > 0) logger.warn('inbound mail filed with defects', { rawKey: delivery.rawKey, defects: mail.defects.slice(0, 20) });
  for (const { target, settings } of pending) {
    try {
      outcomes.push(await fileForScope(deps, delivery, mail, target, settings));
    } catch (error) {
      if (isStoreFailure(error)) throw error;
      outcomes.push(await setAside(deps, delivery, target, error, mail));
    }
  }
  return outcomes;
}

/** The stored raw mail, parsed, its attachments streamed to the bucket. */
async function parseStoredMail(deps: FileInboundDeps, delivery: InboundDelivery): Promise<ParsedInboundMail> {
  const deliveryKey = hash(delivery.rawKey).slice(0, 32);
  let stored = 0;
  const source = await deps.blobs.getStream(delivery.rawKey);
  // Reading the raw mail is the bucket's part: its failure is a store's.
  source.on('error', markStoreFailure);
  return parseInboundMail(source, {
    put: async (_name: string, contentType: string, content: Readable) => {
      const key = `${MAIL_PREFIXES.attachments}${deliveryKey}/${stored++}`;
      const { size } = await deps.blobs.put(key, content, contentType);
      return { key, size };
    },
  });
}

/** The mail as an unassigned message with its parse error, in place of filing it at this target. */
async function setAside(deps: FileInboundDeps, delivery: InboundDelivery, target: Target, error: unknown, mail: ParsedInboundMail | null): Promise<FilingOutcome> {
  const { reason } = UnparseableMail.from(error);
  logger.error('inbound mail set aside: it could not be parsed or filed', {
    rawKey: delivery.rawKey,
    messageId: target.messageId,
    reason,
    // The envelope recipients are our own inbound addresses, not a person's.
    replay: `npm run replay -- --key ${delivery.rawKey} ${delivery.recipients.map((recipient) => `--recipient ${recipient}`).join(' ')}`,
  });
  const record = unparseableMailRecord({ ...target, delivery, reason, mail, now: deps.now() });
  await storeRecord(deps, record, target);
  return { companyId: target.companyId, scope: target.scope, result: 'parse_error', messageId: target.messageId, match: null };
}

/** A new message, or in place of the parse-error record an earlier delivery of the mail left. */
async function storeRecord(deps: FileInboundDeps, record: MessageRecord, target: Target): Promise<void> {
  if (!target.replacing) {
    await deps.messages.create(record);
    return;
  }
  const { id: _id, ...fields } = record;
  await deps.messages.update(target.messageId, fields);
}

/** The collaborators that do I/O, their failures marked as transient (store-failures.ts). */
function withStoreFailuresMarked(deps: FileInboundDeps): FileInboundDeps {
  return {
    ...deps,
    settings: markingStoreFailures(deps.settings),
    candidates: markingStoreFailures(deps.candidates),
    messages: markingStoreFailures(deps.messages),
    blobs: markingStoreFailures(deps.blobs),
  };
}

/** The target scope's settings, and the company's behind them. */
interface TargetSettings {
  settings: ScopeSettings | null;
  main: ScopeSettings | null;
}

async function settingsOf(deps: FileInboundDeps, { companyId, scope }: Target): Promise<TargetSettings> {
  const settings = await deps.settings.get(companyId, scope);
  return { settings, main: await companySettingsBehind(deps.settings, companyId, scope, settings) };
}

async function resolveTargets(deps: FileInboundDeps, delivery: InboundDelivery): Promise<Target[]> {
  const inboundDomain = deps.inboundDomain.toLowerCase();
  const localParts = delivery.recipients.flatMap((recipient) => {
    const [local, domain] = normalizeAddress(recipient).split('@');
    // `address+anything@` reaches the same scope, as mailbox providers do.
    return local && domain === inboundDomain ? [local.split('+')[0]] : [];
  });
  // Looked up together (one request on DynamoDB), kept in the order of the recipients.
  const found = await Promise.all(localParts.map((localPart) => scopeOfInboundAddress(deps, localPart)));
  const targets = new Map<string, Target>();
  for (const scope of found) {
    if (!scope) continue;
    const key = `${scope.companyId}\u0000${scope.scope}`;
    targets.set(key, { ...scope, messageId: `inb_${hash(`${key}\u0000${delivery.rawKey}`).slice(0, 26)}` });
  }
  return [...targets.values()];
}

async function fileForScope(
  deps: FileInboundDeps,
  delivery: InboundDelivery,
  mail: ParsedInboundMail,
  target: Target,
  { settings, main }: TargetSettings,
): Promise<FilingOutcome> {
  const { companyId, scope, messageId } = target;
  const evidence: string[] = [];

  const foundToken = settings ? findRedirectToken(mail, settings.redirect.token) : null;
  const classification = classifyInboundMail(mail, { ourDomains: deps.ourDomains });
  // The test mail's bounce may name the forwarding block; the test mail itself proves the
  // forwarding only when it was forwarded to us, not read from the mailbox.
  const bounce = classification.kind === 'bounce' ? classification.bounce : undefined;
  const forwardingBlocked = foundToken !== null && classification.kind === 'bounce' && isForwardingBlockedBounce(bounce?.status, bounce?.diagnostic, mail.text);
  const redirectToken = classification.kind !== 'bounce' && !delivery.readFromMailbox ? foundToken : null;
  if (classification.kind === 'loop' && !redirectToken) {
    logger.info('ignored our own mail coming back', { messageId, reasons: classification.reasons });
    return { companyId, scope, result: 'ignored_loop' };
  }
  if (mail.messageId) {
    const first = await deps.messages.claimInboundMessageId(companyId, scope, duplicateKey(mail), messageId);
    if (first !== messageId) return { companyId, scope, result: 'duplicate', messageId: first };
  }

  const virus = delivery.verdicts.virus === 'FAIL';
  let match: MessageRecord['match'] = null;
  let candidateId: string | null = null;
  let originalSender: MessageRecord['originalSender'] = null;
  if (forwardingBlocked && settings && foundToken) {
    evidence.push('redirect check: the company mail system refused to forward the test mail (5.7.520)');
    await markForwardingBlocked(deps.settings, settings, foundToken, deps.now());
  } else if (redirectToken && settings) {
    evidence.push('redirect check: the test mail came back through the company forwarding');
    await markRedirectVerified(deps, settings);
  } else if (virus) {
    evidence.push('virus verdict FAIL: quarantined, not filed');
  } else if (classification.kind === 'bounce') {
    // A bounce's sender is a mailer daemon, never a candidate. The message that bounced shows
    // it (failed, with the remote server's words); the report itself stays unassigned, flagged.
    if (classification.bounce?.originalMessageId) await recordBounce(deps, companyId, classification.bounce, evidence);
  } else {
    const found = await matchCandidate(deps, companyId, mail, delivery.verdicts, [settings, main], evidence);
    ({ match, candidateId, originalSender } = found);
  }

  const sanitized = mail.html ? sanitizeMailHtml(mail.html) : null;
  const text = mail.text ?? (mail.html ? htmlToPlainText(mail.html) : null);
  const now = deps.now().toISOString();
  const attachments = mail.attachments.map((attachment, index) => ({
    id: String(index),
    filename: attachment.filename ?? `attachment-${index + 1}`,
    contentType: attachment.contentType,
    size: attachment.size,
    key: attachment.key,
    contentId: attachment.contentId ?? null,
    inline: attachment.inline,
  }));
  const record = await inboundRecordWithinItemLimit(deps.blobs, mail, {
    id: messageId,
    companyId,
    scope,
    direction: 'inbound',
    status: virus ? 'quarantined' : 'received',
    createdAt: now,
    receivedAt: delivery.receivedAt,
    candidateId,
    from: mail.from ? storedAddress(mail.from) : null,
    to: mail.to.map(storedAddress),
    cc: mail.cc.map(storedAddress),
    replyTo: mail.replyTo.map(storedAddress),
    subject: mail.subject,
    messageIdHeader: mail.messageId ?? null,
    inReplyTo: mail.inReplyTo ?? null,
    references: mail.references,
    attachments,
    match,
    originalSender,
    verdicts: delivery.verdicts,
    flags: {
      spam: delivery.verdicts.spam === 'FAIL',
      autoReply: classification.kind === 'auto_reply',
      bounce: classification.kind === 'bounce',
      remoteImages: sanitized?.remoteImages ?? 0,
    },
    rawKey: delivery.rawKey,
    evidence: [...evidence, ...classification.reasons.map((reason) => `classification: ${reason}`)],
  }, { text, html: sanitized?.html ?? null });
  await storeRecord(deps, record, target);
  // No Message-ID index entry: only mail we sent starts a thread or bounces, and a copy of our
  // own mail coming back in (same Message-ID) must not take the place of the message we sent.
  const result = virus ? 'quarantined' : candidateId ? 'filed' : 'unassigned';
  return { companyId, scope, result, messageId, match };
}

/** How many References are looked up in one step (one BatchGetItem holds up to 100 keys). */
const THREAD_HEADERS_AT_ONCE = 100;

/**
 * Whose mail is it: a reply to one of our messages belongs to that conversation; otherwise the
 * original sender (From of a redirect, the sender inside a forward, an attached message) must
 * be exactly one candidate's address, or one an admin taught. A sender whose SPF, DKIM or DMARC
 * failed is never matched on From alone: that From may be forged.
 */
async function matchCandidate(
  deps: FileInboundDeps,
  companyId: string,
  mail: ParsedInboundMail,
  verdicts: Verdicts,
  scopes: (ScopeSettings | null)[],
  evidence: string[],
): Promise<Pick<MessageRecord, 'match' | 'candidateId' | 'originalSender'>> {
  const companyAddresses = scopes.flatMap((s) => (s ? [s.address, s.smtp?.fromAddress, s.inboundAddress] : [])).filter((a): a is string => !!a);
  const resolved = resolveOriginalSender(mail, { companyAddresses, ourDomains: deps.ourDomains });
  evidence.push(...resolved.evidence);
  const originalSender = resolved.address ? storedAddress({ address: resolved.address, name: resolved.name }) : null;

  const headers = [mail.inReplyTo, ...[...mail.references].reverse()].filter((h): h is string => !!h);
  for (let start = 0; start < headers.length; start += THREAD_HEADERS_AT_ONCE) {
    // Looked up together (one request per step on DynamoDB), then checked in order: the first
    // header that names a message of ours wins, as when they were read one by one.
    const chunk = headers.slice(start, start + THREAD_HEADERS_AT_ONCE);
    const earlierIds = await Promise.all(chunk.map((header) => deps.messages.findByMessageIdHeader(companyId, header)));
    const earlierMessages = await Promise.all(earlierIds.map((earlierId) => (earlierId ? deps.messages.get(earlierId) : null)));
    for (const [index, header] of chunk.entries()) {
      const earlier = earlierMessages[index];
      // Only mail we sent starts a thread: an inbound mail in References may be another
      // candidate's (a Cc'd candidate answering), whose conversation this is not.
      if (earlier?.companyId === companyId && earlier.direction === 'outbound' && earlier.candidateId) {
        evidence.push(`thread: ${header} is message ${earlier.id}`);
        return { match: { by: 'thread', address: resolved.address }, candidateId: earlier.candidateId, originalSender };
      }
    }
  }

  if (!resolved.address) return { match: null, candidateId: null, originalSender };
  const authFailed = (['spf', 'dkim', 'dmarc'] as const).filter((check) => verdicts[check] === 'FAIL');
  if (resolved.by === 'from' && authFailed.length > 0) {
    evidence.push(`not matched: ${authFailed.join('/').toUpperCase()} failed and only From names the sender`);
    return { match: null, candidateId: null, originalSender };
  }
  // Both lookups at once (one request on DynamoDB); the learned address counts only when no candidate has the address.
  const [candidates, learned] = await Promise.all([
    findCandidatesByAddress(deps, companyId, resolved.address),
    deps.candidates.learnedCandidateId(companyId, normalizeAddress(resolved.address)),
  ]);
  if (candidates.length === 1) {
    return { match: { by: resolved.by as MatchKind, address: resolved.address }, candidateId: candidates[0].id, originalSender };
  }
  if (candidates.length > 1) {
    evidence.push(`not matched: ${resolved.address} belongs to ${candidates.length} candidates (${candidates.map((c) => c.id).join(', ')})`);
    return { match: null, candidateId: null, originalSender };
  }
  if (learned && (await deps.candidates.get(companyId, learned))) {
    return { match: { by: 'learned', address: resolved.address }, candidateId: learned, originalSender };
  }
  return { match: null, candidateId: null, originalSender };
}

/** A bounce of a message we sent marks that message failed, with the remote server's words. */
async function recordBounce(
  deps: FileInboundDeps,
  companyId: string,
  bounce: NonNullable<ReturnType<typeof classifyInboundMail>['bounce']>,
  evidence: string[],
): Promise<void> {
  if (bounce.action && bounce.action !== 'failed') return;
  const sentId = await deps.messages.findByMessageIdHeader(companyId, bounce.originalMessageId!);
  const sent = sentId ? await deps.messages.get(sentId) : null;
  if (!sent || sent.companyId !== companyId || sent.direction !== 'outbound') return;
  const at = deps.now().toISOString();
  const updated = await deps.messages.update(
    sent.id,
    {
      status: 'failed',
      error: { code: 'BOUNCED', message: bounce.diagnostic ?? `Delivery to ${bounce.recipient ?? 'the recipient'} failed` },
      bounce: { recipient: bounce.recipient ?? null, status: bounce.status ?? null, diagnostic: bounce.diagnostic ?? null, at },
      updatedAt: at,
    },
    ['sent'],
  );
  if (updated) evidence.push(`bounce of message ${sent.id}: marked failed`);
}

/**
 * The same mail arriving twice (redelivered, or redirected by two rules) keeps its Message-ID,
 * sender, date, subject, text and attachments; different mails that reuse a Message-ID (broken
 * clients, test tools) differ in one of those, and are each kept.
 */
function duplicateKey(mail: ParsedInboundMail): string {
  const fingerprint = hash(
    [
      mail.from?.address.toLowerCase() ?? '',
      mail.date?.toISOString() ?? '',
      mail.subject.trim(),
      (mail.text ?? '').trim(),
      mail.attachments.map((attachment) => attachment.size).join(','),
    ].join('\u0000'),
  );
  return `${mail.messageId}#${fingerprint.slice(0, 16)}`;
}

async function markRedirectVerified(deps: FileInboundDeps, settings: ScopeSettings): Promise<void> {
  const now = deps.now().toISOString();
  // A conflict throws: the delivery is retried (the message is not stored yet) and re-reads the settings.
  await deps.settings.replace(
    { ...settings, redirect: { ...settings.redirect, status: 'verified', verifiedAt: now, hint: null }, updatedAt: now, version: settings.version + 1 },
    settings.version,
  );
}

const hash = (value: string) => createHash('sha256').update(value).digest('hex');
