import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import type { MailAddress } from '../mail/mail-address';
import { messageIdsIn, normalizeMessageId } from '../mail/message-id';
import { OversizedHeaderGuard } from './oversized-header-guard';
import {
  MailParser,
  type AddressObject,
  type AttachmentStream,
  type EmailAddress,
  type HeaderValue,
  type Headers,
  type MailParserOptions,
  type MessageText,
  type StructuredHeader,
} from 'mailparser';
import { safeFilename, safeMediaType } from './safe-header-value';

/**
 * Streaming parse of one inbound mail (up to SES's 40 MB) into what the inbound use case needs:
 * addresses, threading ids, the evidence headers, text and html, attachment metadata, and the
 * embedded messages / report parts that sender resolution and bounce detection read.
 *
 * Attachments are never buffered: each one is streamed to an {@link AttachmentSink}. Only
 * `message/rfc822` parts and the machine-readable parts of reports (delivery-status,
 * rfc822-headers, feedback and disposition reports) are additionally kept in memory, up to a
 * cap, because the resolver and classifier parse them.
 *
 * Malformed mail never makes this function throw: whatever was parsed is returned, with the
 * reason in `defects`. Only a failing source stream or a failing sink rejects, because then
 * data would be lost.
 */

/** Where attachment content goes (S3 in production, memory in tests). */
export interface AttachmentSink {
  put(name: string, contentType: string, content: Readable): Promise<{ key: string; size: number }>;
}

export interface InboundAttachment {
  filename?: string;
  contentType: string;
  /** Decoded size in bytes. */
  size: number;
  /** The sink's key for the stored content. */
  key: string;
  /** Content-ID without angle brackets, to match `cid:` URLs. */
  contentId?: string;
  /** Shown inline in the body (an embedded image) rather than offered as a download. */
  inline: boolean;
  /** MD5 of the decoded content, when mailparser computed one. */
  checksum?: string;
}

/** What a mail and a mail embedded in it have alike: addresses, threading, headers, bodies. */
export interface MailFields {
  messageId?: string;
  inReplyTo?: string;
  references: string[];
  subject: string;
  date?: Date;
  /** The first mailbox of From; `fromAll` has every one (RFC 5322 allows several authors). */
  from?: MailAddress;
  fromAll: MailAddress[];
  sender?: MailAddress;
  replyTo: MailAddress[];
  to: MailAddress[];
  cc: MailAddress[];
  headers: HeaderMap;
  text?: string;
  html?: string;
  /** Why parts of the mail could not be parsed; empty for a well-formed mail. */
  defects: string[];
}

/** A message/rfc822 part, parsed from its first `maxRetainedPartBytes` bytes. */
export interface EmbeddedMessage extends MailFields {
  /** Index into `ParsedInboundMail.attachments` of the stored part (absent inside an embedded message). */
  attachmentIndex?: number;
  /**
   * The part was attached as a file (`Content-Disposition: attachment` or a file name), as mail
   * clients do when forwarding "as attachment"; a bare embedded part is an enclosure or digest.
   */
  attachedAsFile: boolean;
  contentType: string;
  /** Messages embedded in this one (bounded depth). */
  embeddedMessages: EmbeddedMessage[];
  /** The part was larger than the cap: headers are complete, the body may not be. */
  truncated: boolean;
}

/** A machine-readable report part: delivery-status, rfc822-headers, feedback or disposition report. */
export interface ReportPart {
  contentType: string;
  /** Decoded as UTF-8 (these parts are ASCII or UTF-8 by their RFCs). */
  content: string;
  truncated: boolean;
}

/** Decoded header values by lowercase name, in order of appearance. */
export type HeaderMap = Record<string, string[]>;

export interface ParsedInboundMail extends MessageCore {
  attachments: InboundAttachment[];
  embeddedMessages: EmbeddedMessage[];
  reportParts: ReportPart[];
}

export interface ParseInboundMailOptions {
  /** Cap for each message/rfc822 or report part kept in memory (default 2 MB). */
  maxRetainedPartBytes?: number;
  /** Cap for all retained parts of one mail together (default 8 MB); later parts are only stored. */
  maxRetainedTotalBytes?: number;
  /** How deep messages embedded in embedded messages are parsed (default 2). */
  maxEmbeddedDepth?: number;
  /** How many embedded messages are parsed at most, across all levels (default 20). */
  maxEmbeddedMessages?: number;
  /** HTML parts longer than this are not converted to text (default 5 MB). */
  maxHtmlLengthToParse?: number;
}

const DEFAULT_RETAINED_PART_BYTES = 2 * 1024 * 1024;
const MAX_HEADER_VALUES = 500;
const MAX_HEADER_VALUE_LENGTH = 4000;

const EMBEDDED_MESSAGE_TYPES = new Set(['message/rfc822', 'message/global']);
const REPORT_PART_TYPES = new Set([
  'message/delivery-status',
  'message/global-delivery-status',
  'text/rfc822-headers',
  'message/rfc822-headers',
  'message/global-headers',
  'message/feedback-report',
  'message/disposition-notification',
  'message/global-disposition-notification',
]);

interface Limits {
  maxRetainedPartBytes: number;
  /** Shared budget across the whole tree. */
  retainedBudget: { remaining: number };
  maxEmbeddedDepth: number;
  maxHtmlLengthToParse: number;
  /** Shared budget across the whole tree. */
  embeddedBudget: { remaining: number };
}

export async function parseInboundMail(
  source: Readable | Buffer,
  sink: AttachmentSink,
  options: ParseInboundMailOptions = {},
): Promise<ParsedInboundMail> {
  const limits: Limits = {
    maxRetainedPartBytes: options.maxRetainedPartBytes ?? DEFAULT_RETAINED_PART_BYTES,
    retainedBudget: { remaining: options.maxRetainedTotalBytes ?? 4 * DEFAULT_RETAINED_PART_BYTES },
    maxEmbeddedDepth: options.maxEmbeddedDepth ?? 2,
    maxHtmlLengthToParse: options.maxHtmlLengthToParse ?? 5 * 1024 * 1024,
    embeddedBudget: { remaining: options.maxEmbeddedMessages ?? 20 },
  };
  const result = await parseMessage(source, sink, limits);
  const embeddedMessages: EmbeddedMessage[] = [];
  for (const part of result.retained) {
    if (part.kind !== 'embedded' || limits.embeddedBudget.remaining <= 0) continue;
    embeddedMessages.push(await parseEmbedded(part, limits, 1));
  }
  return {
    ...result.message,
    attachments: result.attachments,
    embeddedMessages,
    reportParts: result.retained.filter((part) => part.kind === 'report').map(toReportPart),
  };
}

interface RetainedPart {
  kind: 'embedded' | 'report';
  contentType: string;
  attachedAsFile: boolean;
  attachmentIndex?: number;
  content: Buffer;
  truncated: boolean;
}

interface MessageCore extends MailFields {
  /** Top-level Content-Type, e.g. `{ value: 'multipart/report', params: { 'report-type': 'delivery-status' } }`. */
  contentType: { value: string; params: Record<string, string> };
}

interface MessageParseResult {
  message: MessageCore;
  attachments: InboundAttachment[];
  retained: RetainedPart[];
}

/**
 * Runs one streaming MailParser over the source. With a sink, attachments are stored; without
 * one (inside an embedded message, whose bytes are already stored as the outer part) they are
 * drained and only their metadata kept.
 */
function parseMessage(
  source: Readable | Buffer,
  sink: AttachmentSink | null,
  limits: Limits,
): Promise<MessageParseResult> {
  const parserOptions: MailParserOptions = {
    skipTextToHtml: true,
    skipTextLinks: true,
    keepDeliveryStatus: true,
    ignoreEmbedded: true,
    maxHtmlLengthToParse: limits.maxHtmlLengthToParse,
  };
  const parser = new MailParser(parserOptions);
  // Drops a too large header field, so that the parser keeps the others (oversized-header-guard.ts).
  const headerGuard = new OversizedHeaderGuard();
  const defects: string[] = [];
  const attachments: InboundAttachment[] = [];
  const retained: RetainedPart[] = [];
  const pendingStores: Promise<void>[] = [];
  // Attachment streams still being written, with the stage that feeds them.
  const openTees: Map<PassThrough, Transform> = new Map();
  let headers: Headers | undefined;
  let lineHeaders: HeaderMap = {};
  let text: MessageText | undefined;
  let sinkError: unknown;

  return new Promise<MessageParseResult>((resolve, reject) => {
    let settled = false;

    const finish = (): void => {
      if (settled) return;
      settled = true;
      // A broken mail may leave an attachment half-read: end it so its sink call completes.
      for (const [tee, feeder] of openTees) {
        feeder.unpipe(tee);
        tee.end();
      }
      if (!Buffer.isBuffer(source)) source.destroy();
      Promise.allSettled(pendingStores).then(() => {
        if (sinkError !== undefined) {
          reject(sinkError);
          return;
        }
        resolve({
          message: buildCore(headers, lineHeaders, text, [...headerGuard.defects(), ...defects]),
          attachments: attachments.filter(Boolean),
          retained: retained.sort((a, b) => (a.attachmentIndex ?? 0) - (b.attachmentIndex ?? 0)),
        });
      }, reject);
    };

    parser.on('headers', (parsed: Headers) => {
      headers = parsed;
    });

    parser.on('headerLines', (lines: ReadonlyArray<{ key: string; line: string }>) => {
      lineHeaders = rawLineHeaders(lines);
    });

    parser.on('data', (data: AttachmentStream | MessageText) => {
      if (data.type === 'text') {
        text = data;
        return;
      }
      handleAttachment(data);
    });

    parser.on('error', (error: Error) => {
      defects.push(`parse error: ${error.message}`);
      finish();
    });
    parser.on('end', finish);

    const handleAttachment = (attachment: AttachmentStream): void => {
      const contentType = safeMediaType(attachment.contentType);
      const index = attachments.length;
      const retainKind = EMBEDDED_MESSAGE_TYPES.has(contentType)
        ? 'embedded'
        : REPORT_PART_TYPES.has(contentType)
          ? 'report'
          : null;
      // Memory is bounded per part and per mail; a part over the mail's budget is only stored.
      const cap = Math.min(limits.maxRetainedPartBytes, limits.retainedBudget.remaining);
      const capture = retainKind && cap > 0 ? new CappedCapture(cap) : null;
      if (retainKind && !capture) defects.push(`part ${index + 1} (${contentType}) stored but not inspected: memory budget used up`);
      if (capture) limits.retainedBudget.remaining -= cap;
      let size = 0;
      const tee = new PassThrough();
      const counter = new Transform({
        transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
          size += chunk.length;
          capture?.add(chunk);
          done(null, chunk);
        },
      });
      openTees.set(tee, counter);
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        openTees.delete(tee);
        attachment.release?.();
      };
      attachment.content.on('error', (error: Error) => {
        defects.push(`attachment ${index} could not be decoded: ${error.message}`);
        tee.end();
        release();
      });
      attachment.content.pipe(counter).pipe(tee);
      tee.on('end', release);
      tee.on('close', release);

      const filename = safeFilename(attachment.filename);
      const meta: InboundAttachment = {
        ...(filename ? { filename } : {}),
        contentType,
        size: 0,
        key: '',
        ...(attachment.cid ? { contentId: attachment.cid } : {}),
        inline: Boolean(attachment.related) || (attachment.contentDisposition === 'inline' && Boolean(attachment.cid)),
      };
      attachments[index] = meta;

      const stored = sink
        ? sink.put(filename ?? defaultName(contentType, index), contentType, tee)
        : Promise.resolve({ key: '', size: 0 });
      if (!sink) tee.resume();
      pendingStores.push(
        Promise.all([stored, ended(tee)]).then(
          ([result]) => {
            // A sink that returned before reading everything must not stall the parser.
            tee.resume();
            meta.key = result.key;
            meta.size = size;
            if (attachment.checksum) meta.checksum = attachment.checksum;
            if (capture && retainKind) {
              // Give back what the part did not need.
              limits.retainedBudget.remaining += cap - capture.size;
              retained.push({
                kind: retainKind,
                contentType,
                attachedAsFile: attachment.contentDisposition === 'attachment' || Boolean(filename),
                attachmentIndex: index,
                content: capture.buffer(),
                truncated: capture.truncated,
              });
            }
          },
          (error: unknown) => {
            sinkError ??= error;
            tee.resume();
            release();
          },
        ),
      );
    };

    if (Buffer.isBuffer(source)) {
      parser.end(headerGuard.filter(source));
    } else {
      source.on('error', (error: Error) => {
        if (settled) return;
        settled = true;
        parser.destroy();
        for (const tee of openTees.keys()) tee.destroy(error);
        reject(error);
      });
      source.pipe(headerGuard.stream()).pipe(parser);
    }
  });
}

async function parseEmbedded(part: RetainedPart, limits: Limits, depth: number): Promise<EmbeddedMessage> {
  limits.embeddedBudget.remaining -= 1;
  const parsed = await parseMessage(part.content, null, limits);
  const nested: EmbeddedMessage[] = [];
  if (depth < limits.maxEmbeddedDepth) {
    for (const inner of parsed.retained) {
      if (inner.kind !== 'embedded' || limits.embeddedBudget.remaining <= 0) continue;
      nested.push(await parseEmbedded(inner, limits, depth + 1));
    }
  }
  const core = parsed.message;
  return {
    ...(part.attachmentIndex !== undefined && depth === 1 ? { attachmentIndex: part.attachmentIndex } : {}),
    ...core,
    contentType: part.contentType,
    attachedAsFile: part.attachedAsFile,
    embeddedMessages: nested,
    truncated: part.truncated,
  };
}

function toReportPart(part: RetainedPart): ReportPart {
  return { contentType: part.contentType, content: part.content.toString('utf8'), truncated: part.truncated };
}

class CappedCapture {
  private readonly chunks: Buffer[] = [];
  private length = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  add(chunk: Buffer): void {
    if (this.length >= this.cap) {
      this.truncated = true;
      return;
    }
    const room = this.cap - this.length;
    const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (piece.length < chunk.length) this.truncated = true;
    this.chunks.push(Buffer.from(piece));
    this.length += piece.length;
  }

  get size(): number {
    return this.length;
  }

  buffer(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

/** Resolves when the stream is done one way or another; errors are reported elsewhere. */
function ended(stream: Readable): Promise<void> {
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}

/**
 * Headers taken from the raw lines: mailparser folds the List-* headers into one object (the
 * raw List-Id / List-Unsubscribe values are what evidence and classification read), and it
 * replaces an unparseable Date with the current time (we would rather have no date).
 */
function rawLineHeaders(lines: ReadonlyArray<{ key: string; line: string }>): HeaderMap {
  const out: HeaderMap = {};
  for (const { key, line } of lines) {
    if (!key.startsWith('list-') && key !== 'date') continue;
    const value = line
      .slice(line.indexOf(':') + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim()
      .slice(0, MAX_HEADER_VALUE_LENGTH);
    (out[key] ??= []).push(value);
  }
  return out;
}

function defaultName(contentType: string, index: number): string {
  if (EMBEDDED_MESSAGE_TYPES.has(contentType)) return `message-${index + 1}.eml`;
  return `attachment-${index + 1}`;
}

function buildCore(
  headers: Headers | undefined,
  lineHeaders: HeaderMap,
  text: MessageText | undefined,
  defects: string[],
): MessageCore {
  const map = headers ?? new Map<string, HeaderValue>();
  if (!headers) defects.push('no header section could be parsed');
  const contentType = asStructured(map.get('content-type')) ?? { value: 'text/plain', params: {} };
  const rawDate = lineHeaders.date?.[0];
  const parsedDate = rawDate !== undefined ? new Date(rawDate) : undefined;
  const validDate = parsedDate && !Number.isNaN(parsedDate.getTime()) ? parsedDate : undefined;
  if (text?.textConversionError) defects.push(`html not converted to text: ${text.textConversionError.message}`);
  const messageId = firstString(map.get('message-id'));
  const inReplyTo = firstString(map.get('in-reply-to'));
  const fromAll = mailboxes(map.get('from'));
  const from = fromAll[0];
  const sender = firstMailbox(map.get('sender'));
  return {
    ...(messageId ? { messageId: normalizeMessageId(messageId) } : {}),
    ...(inReplyTo ? { inReplyTo: normalizeMessageId(inReplyTo.split(/\s+/)[0] ?? inReplyTo) } : {}),
    references: parseReferences(map.get('references')),
    subject: firstString(map.get('subject')) ?? '',
    ...(validDate ? { date: validDate } : {}),
    ...(from ? { from } : {}),
    fromAll,
    ...(sender ? { sender } : {}),
    replyTo: mailboxes(map.get('reply-to')),
    to: mailboxes(map.get('to')),
    cc: mailboxes(map.get('cc')),
    headers: { ...toHeaderMap(map), ...lineHeaders, ...(rawDate !== undefined ? { date: [rawDate] } : {}) },
    contentType: { value: contentType.value.toLowerCase(), params: contentType.params },
    ...(text?.text ? { text: text.text } : {}),
    ...(text?.html ? { html: text.html } : {}),
    defects,
  };
}

function parseReferences(value: HeaderValue | undefined): string[] {
  return messageIdsIn(([] as unknown[]).concat(value ?? []).filter((v): v is string => typeof v === 'string'));
}

function firstString(value: HeaderValue | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

function asStructured(value: HeaderValue | undefined): StructuredHeader | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (first && typeof first === 'object' && 'value' in first && 'params' in first) {
    return first as StructuredHeader;
  }
  return undefined;
}

function isAddressObject(value: unknown): value is AddressObject {
  return Boolean(value) && typeof value === 'object' && Array.isArray((value as AddressObject).value);
}

function flattenAddresses(list: EmailAddress[]): EmailAddress[] {
  return list.flatMap((entry) => (entry.group ? flattenAddresses(entry.group) : [entry]));
}

function mailboxes(value: HeaderValue | undefined): MailAddress[] {
  const objects = ([] as unknown[]).concat(value ?? []).filter(isAddressObject);
  return objects.flatMap((object) =>
    flattenAddresses(object.value)
      .filter((entry) => typeof entry.address === 'string' && entry.address.includes('@'))
      .map((entry) => ({
        address: (entry.address as string).trim(),
        ...(entry.name?.trim() ? { name: entry.name.trim() } : {}),
      })),
  );
}

function firstMailbox(value: HeaderValue | undefined): MailAddress | undefined {
  return mailboxes(value)[0];
}

function headerValueToStrings(value: HeaderValue): string[] {
  if (Array.isArray(value)) return (value as HeaderValue[]).flatMap(headerValueToStrings);
  if (typeof value === 'string') return [value];
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? [] : [value.toISOString()];
  if (isAddressObject(value)) return [value.text];
  if (value && typeof value === 'object' && 'value' in value && 'params' in value) {
    const structured = value as StructuredHeader;
    const params = Object.entries(structured.params).map(([k, v]) => `; ${k}=${JSON.stringify(v)}`);
    return [structured.value + params.join('')];
  }
  if (value && typeof value === 'object') {
    // mailparser folds List-* headers into one object keyed by the part after "list-".
    return [JSON.stringify(value)];
  }
  return [];
}

function toHeaderMap(map: Headers | Map<string, HeaderValue>): HeaderMap {
  const out: HeaderMap = {};
  let count = 0;
  for (const [key, value] of map) {
    if (count >= MAX_HEADER_VALUES) break;
    if (key === 'list') continue;
    const values = headerValueToStrings(value)
      .map((v) => (v.length > MAX_HEADER_VALUE_LENGTH ? v.slice(0, MAX_HEADER_VALUE_LENGTH) : v))
      .slice(0, MAX_HEADER_VALUES - count);
    count += values.length;
    if (values.length) out[key] = values;
  }
  return out;
}
