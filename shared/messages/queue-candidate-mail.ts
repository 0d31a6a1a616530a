import { createHash } from 'node:crypto';
import type { BlobStore } from '../blob-store';
import { getCandidate } from '../candidates/candidates-service';
import type { CandidatesStore } from '../candidates/candidates-store';
import { AppError, type FieldIssue } from '../errors';
import { newId } from '../ids';
import type { JobQueue } from '../job-queue';
import { validateMailInput } from '../outbound/build-candidate-mail';
import { threadingFor } from '../outbound/default-sender';
import { MAX_ATTACHMENTS_TOTAL_BYTES } from '../outbound/limits';
import { checkUploadedAttachments, type UploadStore } from './attachment-uploads';
import { storedAddress } from '../mail/mail-address';
import { bodyKey, MAIL_PREFIXES } from '../mail-bucket-layout';
import { newMessageId } from '../mail/message-id';
import type { MessagesStore } from './messages-store';
import { newMessageRecord, type MessageRecord, type StoredAttachment } from './model';
import type { SendJob } from './send-job';
import { bodyFields } from './message-body';
import { ENTITY_ID_PATTERN } from '../entity-id';

export interface QueueMailDeps {
  candidates: CandidatesStore;
  messages: MessagesStore;
  blobs: BlobStore;
  /** Attachments uploaded beforehand with a presigned PUT (`POST /v1/attachments`). */
  uploads: UploadStore;
  queue: JobQueue<SendJob>;
  messageIdDomain: string;
  now: () => Date;
}

export interface SendMessageInput {
  subject: string;
  text?: string;
  html?: string;
  to?: string[];
  cc?: string[];
  scope?: string;
  inReplyTo?: string;
  /** Inline (base64) or uploaded beforehand (`attachmentId`), in the order they are attached. */
  attachments?: ({ filename: string; contentType: string; contentBase64: string } | { attachmentId: string })[];
}

const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/**
 * Accepts a candidate mail: checks it completely (so that bad input is a 400 now, not a
 * failure later), stores it with its attachments, and queues its delivery. With an
 * Idempotency-Key, a repeat of the same request returns the first message and sends nothing.
 */
export async function queueCandidateMail(
  deps: QueueMailDeps,
  companyId: string,
  candidateId: string,
  input: SendMessageInput,
  idempotencyKey?: string,
): Promise<MessageRecord> {
  const candidate = await getCandidate({ candidates: deps.candidates, now: deps.now }, companyId, candidateId);
  const attachments = await collectAttachments(deps, companyId, input.attachments ?? []);
  const threading = await resolveThreading(deps, companyId, input.inReplyTo);
  const to = input.to ?? [candidate.emails[0]];

  // The same checks the worker's builder applies, with a stand-in sender, so they fail now
  // (and before an Idempotency-Key is spent on a request that cannot be sent).
  validateMailInput({
    from: { address: `check@${deps.messageIdDomain}` },
    to,
    cc: input.cc,
    subject: input.subject,
    text: input.text,
    html: input.html,
    inReplyTo: threading.inReplyTo ?? undefined,
    references: threading.references,
    // Uploaded files are checked against their announcement (size, type) in collectAttachments;
    // here they take part in the filename, type and count checks.
    attachments: attachments.map(({ filename, contentType, content }) => ({ filename, contentType, content: content ?? Buffer.alloc(0) })),
    messageIdDomain: deps.messageIdDomain,
  });

  let messageId = newId('msg', deps.now().getTime());
  if (idempotencyKey) {
    const bodyHash = createHash('sha256').update(JSON.stringify([candidateId, input])).digest('hex');
    const claim = await deps.messages.claimIdempotencyKey(companyId, idempotencyKey, bodyHash, messageId, IDEMPOTENCY_TTL_SECONDS);
    if (!claim.claimed) {
      if (claim.bodyHash !== bodyHash) {
        throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request body');
      }
      const first = await deps.messages.get(claim.messageId);
      if (first) {
        // The first request may have died between storing and queueing; the worker ignores duplicates.
        if (first.status === 'queued') await deps.queue.enqueue({ messageId: first.id });
        return first;
      }
      messageId = claim.messageId; // the first request died before storing: finish its work
    }
  }

  const messageIdHeader = newMessageId(deps.messageIdDomain);

  const stored: StoredAttachment[] = [];
  for (const [index, attachment] of attachments.entries()) {
    const key = `${MAIL_PREFIXES.outbound}${companyId}/${messageId}/${index}`;
    if (attachment.content) await deps.blobs.put(key, attachment.content, attachment.contentType);
    else await deps.uploads.copy(attachment.uploadKey, key);
    stored.push({ id: String(index), filename: attachment.filename, contentType: attachment.contentType, size: attachment.size, key, contentId: null, inline: false });
  }

  const now = deps.now().toISOString();
  const message = newMessageRecord({
    id: messageId,
    companyId,
    scope: input.scope ?? candidate.scope,
    direction: 'outbound',
    status: 'queued',
    createdAt: now,
    candidateId,
    to: to.map((address) => storedAddress({ address })),
    cc: (input.cc ?? []).map((address) => storedAddress({ address })),
    subject: input.subject,
    messageIdHeader,
    inReplyTo: threading.inReplyTo,
    references: threading.references,
    attachments: stored,
    idempotencyKey: idempotencyKey ?? null,
    ...(await bodyFields(deps.blobs, bodyKey(companyId, messageId), input.text ?? null, input.html ?? null)),
  });
  if (await deps.messages.create(message)) {
    await deps.messages.indexMessageIdHeader(companyId, messageIdHeader, messageId);
  }
  await deps.queue.enqueue({ messageId });
  return (await deps.messages.get(messageId)) ?? message;
}

type CollectedAttachment =
  | { filename: string; contentType: string; size: number; content: Buffer; uploadKey?: undefined }
  | { filename: string; contentType: string; size: number; content?: undefined; uploadKey: string };

/** Inline attachments decoded, uploaded ones checked against their announcement; 15 MB in all. */
async function collectAttachments(deps: QueueMailDeps, companyId: string, attachments: NonNullable<SendMessageInput['attachments']>): Promise<CollectedAttachment[]> {
  const issues: FieldIssue[] = [];
  const collected: CollectedAttachment[] = [];
  const uploads: { index: number; attachmentId: string }[] = [];
  for (const [index, attachment] of attachments.entries()) {
    if ('attachmentId' in attachment) {
      uploads.push({ index, attachmentId: attachment.attachmentId });
      continue;
    }
    const clean = attachment.contentBase64.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) {
      issues.push({ path: `attachments.${index}.contentBase64`, message: 'is not valid base64' });
    }
    const content = Buffer.from(clean, 'base64');
    collected[index] = { filename: attachment.filename, contentType: attachment.contentType, size: content.length, content };
  }
  if (issues.length > 0) throw new AppError('VALIDATION_FAILED', 'Invalid attachments', issues);
  for (const upload of await checkUploadedAttachments(deps, companyId, uploads)) {
    collected[upload.index] = { filename: upload.filename, contentType: upload.contentType, size: upload.size, uploadKey: upload.key };
  }
  const total = collected.reduce((sum, attachment) => sum + attachment.size, 0);
  if (total > MAX_ATTACHMENTS_TOTAL_BYTES) {
    throw new AppError('PAYLOAD_TOO_LARGE', `Attachments total ${total} bytes; at most ${MAX_ATTACHMENTS_TOTAL_BYTES} are allowed`, {
      limitBytes: MAX_ATTACHMENTS_TOTAL_BYTES,
    });
  }
  return collected;
}

/**
 * `inReplyTo` may name one of our messages (its id) or carry a Message-ID header. For our own
 * message the thread continues with the ids the candidate saw.
 */
async function resolveThreading(
  deps: QueueMailDeps,
  companyId: string,
  inReplyTo: string | undefined,
): Promise<{ inReplyTo: string | null; references: string[] }> {
  if (!inReplyTo) return { inReplyTo: null, references: [] };
  if (!inReplyTo.includes('@')) {
    // Only an id of ours can be looked up (anything else would make a key storage refuses).
    const parent = ENTITY_ID_PATTERN.test(inReplyTo) ? await deps.messages.get(inReplyTo) : null;
    if (!parent || parent.companyId !== companyId || !parent.messageIdHeader) {
      throw new AppError('VALIDATION_FAILED', 'Unknown message to reply to', [{ path: 'inReplyTo', message: 'is not a message of this company' }]);
    }
    return threadingFor({
      messageIdHeader: parent.messageIdHeader,
      providerMessageIdHeader: parent.providerMessageIdHeader,
      references: parent.references,
    });
  }
  const header = inReplyTo.trim().startsWith('<') ? inReplyTo.trim() : `<${inReplyTo.trim()}>`;
  return { inReplyTo: header, references: [header] };
}
