/**
 * Attachments too large for a JSON body: the frontend announces a file (`POST /v1/attachments`
 * with filename, content type and size), uploads it straight to S3 with the presigned PUT it
 * gets back, and names its `attachmentId` in the message. When the message is sent, the upload
 * must be there with exactly the announced size and type; it is then copied next to the
 * message's other attachments. Unused uploads expire with the bucket's lifecycle rule on
 * `uploads/`.
 *
 * Ids are tenant-scoped: the object keys live under the company's own prefix, so another
 * company's attachmentId names nothing for the caller.
 */
import { AppError, type FieldIssue } from '../errors';
import { newId } from '../ids';
import { MAIL_PREFIXES } from '../mail-bucket-layout';
import { MAX_ATTACHMENTS_TOTAL_BYTES } from '../outbound/limits';

/** Where uploads and their announcements live; S3 (s3rver locally) behind this interface. */
export interface UploadStore {
  /** A presigned PUT for `key` that S3 accepts only with exactly these headers. */
  presignPut(key: string, headers: { contentType: string; size: number }, expiresInSeconds: number): Promise<{ url: string; headers: Record<string, string> }>;
  /** Size and content type of a stored object, or null when there is none. */
  head(key: string): Promise<{ size: number; contentType: string | null } | null>;
  putJson(key: string, value: unknown): Promise<void>;
  getJson<T>(key: string): Promise<T | null>;
  copy(fromKey: string, toKey: string): Promise<void>;
}

export interface AttachmentUploadDeps {
  uploads: UploadStore;
  now: () => Date;
}

export interface AnnouncedAttachment {
  filename: string;
  contentType: string;
  size: number;
}

/** The prefix the bucket's lifecycle rule expires; the CDK construct reads it from here too. */
export const UPLOADS_PREFIX = MAIL_PREFIXES.uploads;
/**
 * The headers the presigned PUT is signed with: S3 refuses a file of another type or length.
 * The bucket's CORS rule lets a browser send the ones a page sets (shared/http/cors-policy.ts).
 */
export const UPLOAD_SIGNED_HEADERS = ['content-type', 'content-length'] as const;
/** How long the presigned PUT works. */
export const UPLOAD_URL_TTL_SECONDS = 15 * 60;
/** Unused uploads are deleted by S3 after this many days (lifecycle rule). */
export const UPLOAD_RETENTION_DAYS = 1;

const uploadKey = (companyId: string, attachmentId: string) => `${UPLOADS_PREFIX}${companyId}/${attachmentId}`;
const announcementKey = (companyId: string, attachmentId: string) => `${uploadKey(companyId, attachmentId)}.json`;
const ATTACHMENT_ID = /^att_[0-9a-z]{9}[0-9a-f]{16}$/;

export async function announceAttachmentUpload(deps: AttachmentUploadDeps, companyId: string, file: AnnouncedAttachment) {
  if (file.size > MAX_ATTACHMENTS_TOTAL_BYTES) {
    throw new AppError('PAYLOAD_TOO_LARGE', `A message carries at most ${MAX_ATTACHMENTS_TOTAL_BYTES} bytes of attachments; this file has ${file.size}`, {
      limitBytes: MAX_ATTACHMENTS_TOTAL_BYTES,
    });
  }
  const now = deps.now();
  const attachmentId = newId('att', now.getTime());
  await deps.uploads.putJson(announcementKey(companyId, attachmentId), { ...file, announcedAt: now.toISOString() });
  const upload = await deps.uploads.presignPut(uploadKey(companyId, attachmentId), { contentType: file.contentType, size: file.size }, UPLOAD_URL_TTL_SECONDS);
  return {
    attachmentId,
    uploadUrl: upload.url,
    headers: upload.headers,
    expiresAt: new Date(now.getTime() + UPLOAD_URL_TTL_SECONDS * 1000).toISOString(),
  };
}

/**
 * Checks that every named upload arrived as announced (all problems at once, each on its
 * `attachments.N.attachmentId` path), and returns them with their announced filename and type.
 */
export async function checkUploadedAttachments(
  deps: AttachmentUploadDeps,
  companyId: string,
  uploads: { index: number; attachmentId: string }[],
): Promise<(AnnouncedAttachment & { index: number; key: string })[]> {
  const issues: FieldIssue[] = [];
  const checked = await Promise.all(
    uploads.map(async ({ index, attachmentId }) => {
      const path = `attachments.${index}.attachmentId`;
      const announced = ATTACHMENT_ID.test(attachmentId) ? await deps.uploads.getJson<AnnouncedAttachment>(announcementKey(companyId, attachmentId)) : null;
      if (!announced) {
        issues.push({ path, message: 'is not an attachment announced by this company (POST /v1/attachments), or it expired' });
        return null;
      }
      const stored = await deps.uploads.head(uploadKey(companyId, attachmentId));
      if (!stored) {
        issues.push({ path, message: `was announced but never uploaded: PUT the file to its uploadUrl first` });
        return null;
      }
      if (stored.size !== announced.size) {
        issues.push({ path, message: `the upload has ${stored.size} bytes, but ${announced.size} were announced` });
        return null;
      }
      if ((stored.contentType ?? '').toLowerCase() !== announced.contentType.toLowerCase()) {
        issues.push({ path, message: `the upload has content type "${stored.contentType ?? ''}", but "${announced.contentType}" was announced` });
        return null;
      }
      return { ...announced, index, key: uploadKey(companyId, attachmentId) };
    }),
  );
  // The checks run concurrently: report in the order of the attachments.
  issues.sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
  if (issues.length > 0) throw new AppError('VALIDATION_FAILED', 'Some attachments cannot be sent', issues);
  return checked as (AnnouncedAttachment & { index: number; key: string })[];
}
