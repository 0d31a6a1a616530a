/**
 * Durable inbound: every stored raw mail is filed exactly once, eventually. The receiving side
 * (SES's receipt rule on AWS, the local listener) stores the raw mail before it acknowledges it,
 * then invokes filing; an invocation can still be lost (a crash of the local backend, Lambda's
 * retries running out). This use case takes stored raw mail, skips what has a filed mark and
 * files the rest (filing is idempotent, so a mail whose filing was merely slow is not filed
 * twice).
 *
 * Cost at scale: the work is proportional to the mail received, not to the bucket. On AWS each
 * raw mail is named once by its S3 `ObjectCreated` event, which reaches the reconciler through
 * a queue that holds it back for longer than filing takes (`reconcileStoredMail`: one existence
 * check of the mark per mail, run together). Locally the in-process queue does not survive a
 * crash, so the local backend also lists the stored mail once at start
 * (`reconcileInboundMail`).
 */
import type { BlobStore } from '../blob-store';
import { logger } from '../logger';
import type { FilingOutcome, InboundDelivery } from './file-inbound-mail';
import { envelopeKey, filedMarkKey, type StoredEnvelope } from './inbound-filing-marks';
import type { Verdicts } from './model';
import { INBOUND_RAW_PREFIX } from './ses-receipt';

export interface StoredObject {
  key: string;
  lastModified: Date;
}

/** Lists stored objects under a prefix (S3 ListObjectsV2 on AWS, s3rver locally). */
export interface StoredObjectLister {
  list(prefix: string): AsyncIterable<StoredObject>;
}

export interface ReconcileStoredMailDeps {
  blobs: BlobStore;
  /** Files one delivery (the inbound use case, which marks the raw mail filed). */
  file: (delivery: InboundDelivery) => Promise<FilingOutcome[]>;
  inboundDomain: string;
}

export interface ReconcileInboundDeps extends ReconcileStoredMailDeps {
  objects: StoredObjectLister;
  now: () => Date;
}

export interface ReconcileWindow {
  /** Raw mail stored more recently than this is left to the filing in flight. */
  graceSeconds: number;
  /** Raw mail stored longer ago than this is not examined again. */
  windowSeconds: number;
}

export interface ReconcileReport {
  /** Raw mail looked at. */
  examined: number;
  /** Raw mail that had no filed mark: each was filed now (or failed again). */
  found: number;
  reconciled: Array<{ rawKey: string; outcomes: FilingOutcome['result'][] }>;
  failed: Array<{ rawKey: string; error: string }>;
}

/** Existence checks of filed marks in flight at once. */
const MARKS_CHECKED_AT_ONCE = 50;

/**
 * Files each of these stored raw mails that has no filed mark. Marks are checked together; the
 * few unfiled mails are filed one after another. Keys outside `inbound/` are ignored.
 */
export async function reconcileStoredMail(deps: ReconcileStoredMailDeps, stored: StoredObject[]): Promise<ReconcileReport> {
  const raw = stored.filter((object) => object.key.startsWith(INBOUND_RAW_PREFIX));
  const report: ReconcileReport = { examined: raw.length, found: 0, reconciled: [], failed: [] };
  const filed: boolean[] = [];
  for (let start = 0; start < raw.length; start += MARKS_CHECKED_AT_ONCE) {
    filed.push(...(await Promise.all(raw.slice(start, start + MARKS_CHECKED_AT_ONCE).map((object) => deps.blobs.exists(filedMarkKey(object.key))))));
  }
  for (const [index, object] of raw.entries()) {
    if (filed[index]) continue;
    report.found++;
    try {
      const delivery = await deliveryFor(deps, object);
      const outcomes = await deps.file(delivery);
      report.reconciled.push({ rawKey: object.key, outcomes: outcomes.map((outcome) => outcome.result) });
      logger.warn('reconciled inbound mail that had not been filed', { rawKey: object.key, outcomes });
    } catch (error) {
      report.failed.push({ rawKey: object.key, error: (error as Error).message });
      logger.error('could not file stored inbound mail', { rawKey: object.key, error: (error as Error).message });
    }
  }
  return report;
}

/**
 * Lists the stored raw mail of a time window (by its stored time: older than `graceSeconds`, so
 * that filing in flight is left alone, and newer than `windowSeconds`) and reconciles it. The
 * listing pages through every key of the prefix: the local backend's start-up check, not a
 * path for a large bucket.
 */
export async function reconcileInboundMail(deps: ReconcileInboundDeps, window: ReconcileWindow): Promise<ReconcileReport> {
  const now = deps.now().getTime();
  const newest = now - window.graceSeconds * 1000;
  const oldest = now - window.windowSeconds * 1000;
  const inWindow: StoredObject[] = [];
  for await (const object of deps.objects.list(INBOUND_RAW_PREFIX)) {
    const stored = object.lastModified.getTime();
    if (stored <= newest && stored >= oldest) inWindow.push(object);
  }
  return reconcileStoredMail(deps, inWindow);
}

/** The envelope the listener stored with the mail, else what the mail's headers say. */
async function deliveryFor(deps: ReconcileStoredMailDeps, object: StoredObject): Promise<InboundDelivery> {
  const verdicts: Verdicts = { spam: null, virus: null, spf: null, dkim: null, dmarc: null };
  const sidecar = envelopeKey(object.key);
  if (await deps.blobs.exists(sidecar)) {
    const envelope = JSON.parse((await deps.blobs.getBuffer(sidecar)).toString('utf8')) as StoredEnvelope;
    return { rawKey: object.key, recipients: envelope.recipients, verdicts, receivedAt: envelope.receivedAt };
  }
  const header = await readHeaderSection(deps.blobs, object.key);
  const scan = (name: string) => {
    const value = headerValues(header, name)[0]?.trim().toUpperCase();
    return value === 'PASS' || value === 'FAIL' || value === 'GRAY' || value === 'PROCESSING_FAILED' ? value : null;
  };
  return {
    rawKey: object.key,
    recipients: recipientsFromHeaders(header, deps.inboundDomain),
    verdicts: { ...verdicts, spam: scan('x-ses-spam-verdict'), virus: scan('x-ses-virus-verdict') },
    receivedAt: object.lastModified.toISOString(),
  };
}

const MAX_HEADER_BYTES = 256 * 1024;

async function readHeaderSection(blobs: BlobStore, key: string): Promise<string> {
  const stream = await blobs.getStream(key);
  let collected = Buffer.alloc(0);
  try {
    for await (const chunk of stream) {
      collected = Buffer.concat([collected, chunk as Buffer]);
      const end = collected.indexOf('\r\n\r\n');
      if (end >= 0) return collected.subarray(0, end).toString('latin1');
      if (collected.length >= MAX_HEADER_BYTES) break;
    }
  } finally {
    stream.destroy();
  }
  return collected.subarray(0, MAX_HEADER_BYTES).toString('latin1');
}

function headerValues(header: string, name: string): string[] {
  const unfolded = header.replace(/\r?\n[ \t]+/g, ' ');
  return unfolded
    .split(/\r?\n/)
    .filter((line) => line.toLowerCase().startsWith(`${name}:`))
    .map((line) => line.slice(name.length + 1));
}

/**
 * Whose mail it is, when no envelope was kept (AWS: the SES event was lost): the receiving
 * server's `Received: … for <address>` first, then the delivery headers and To/Cc, keeping only
 * addresses at the inbound domain.
 */
export function recipientsFromHeaders(header: string, inboundDomain: string): string[] {
  const domain = inboundDomain.toLowerCase();
  const found = new Set<string>();
  const addresses = (text: string) => text.match(/[^\s<>,;:"()[\]]+@[^\s<>,;:"()[\]]+/g) ?? [];
  const keep = (address: string) => {
    const normalized = address.toLowerCase().replace(/\.$/, '');
    if (normalized.endsWith(`@${domain}`)) found.add(normalized);
  };
  for (const received of headerValues(header, 'received')) {
    const forClause = /\bfor\s+<?([^\s<>;]+@[^\s<>;]+)>?/i.exec(received);
    if (forClause) keep(forClause[1]);
  }
  for (const name of ['x-original-to', 'delivered-to', 'x-forwarded-to', 'to', 'cc']) {
    for (const value of headerValues(header, name)) addresses(value).forEach(keep);
  }
  return [...found];
}
