/**
 * One streaming MailParser run over one message: its fields, its attachments streamed to the
 * sink, and the parts kept in memory for inspection (embedded messages and report parts, within
 * the memory budget). `parse-inbound-mail.ts` runs it on the mail and again on embedded messages.
 *
 * Everything the parser hands over is read as untrusted and of unknown type, and no failure
 * escapes as an exception: every event callback and every stream of the run is guarded, so a
 * throw inside one (which no try/catch around the parse would see, and which would end the
 * process) rejects this parse with {@link UnparseableMail} instead. A failing source or sink
 * rejects with its own error: that is storage failing, not the mail.
 */
import { PassThrough, type Readable, Transform, type TransformCallback } from 'node:stream';
import { type AttachmentStream, type Headers, MailParser, type MessageText } from 'mailparser';
import { CappedCapture, ended } from './capped-capture';
import type { AttachmentSink, HeaderMap, InboundAttachment, MessageCore } from './inbound-mail';
import { buildCore, rawLineHeaders } from './mail-header-fields';
import { OversizedHeaderGuard } from './oversized-header-guard';
import { safeFilename, safeMediaType, safeText } from './safe-header-value';
import { UnparseableMail } from './unparseable-mail';

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

export interface Limits {
  maxRetainedPartBytes: number;
  /**
   * Attachments stored separately, per message; later parts are read past (they stay in the
   * raw mail) and counted in `omittedParts`, so that a mail of thousands of parts costs neither
   * thousands of uploads nor an item over DynamoDB's limit.
   */
  maxStoredParts: number;
  /** Shared budget across the whole tree. */
  retainedBudget: { remaining: number };
  maxEmbeddedDepth: number;
  maxHtmlLengthToParse: number;
  /** Shared budget across the whole tree. */
  embeddedBudget: { remaining: number };
}

export interface RetainedPart {
  kind: 'embedded' | 'report';
  contentType: string;
  attachedAsFile: boolean;
  attachmentIndex?: number;
  content: Buffer;
  truncated: boolean;
}

export interface MessageParseResult {
  message: MessageCore;
  attachments: InboundAttachment[];
  retained: RetainedPart[];
  /** Parts past `maxStoredParts`: not stored separately, only in the raw mail. */
  omittedParts: number;
}

/**
 * Runs one streaming MailParser over the source. With a sink, attachments are stored; without
 * one (inside an embedded message, whose bytes are already stored as the outer part) they are
 * drained and only their metadata kept.
 */
export function parseMessage(source: Readable | Buffer, sink: AttachmentSink | null, limits: Limits): Promise<MessageParseResult> {
  return new MessageParse(sink, limits).run(source);
}

/** A part kept in memory while it streams to the sink. */
interface Retention {
  kind: RetainedPart['kind'];
  capture: CappedCapture;
  /** The bytes taken from the mail's budget for it. */
  cap: number;
}

/** An attachment's bytes on their way to the sink, counted (and captured when retained). */
interface MeteredStream {
  tee: PassThrough;
  size(): number;
  /** Lets the parser go on: the attachment is done with, one way or another. */
  release(): void;
}

class MessageParse {
  private readonly parser: MailParser;
  // Drops a too large header field, so that the parser keeps the others (oversized-header-guard.ts).
  private readonly headerGuard = new OversizedHeaderGuard();
  private readonly defects: string[] = [];
  private readonly attachments: InboundAttachment[] = [];
  private readonly retained: RetainedPart[] = [];
  private readonly pendingStores: Promise<void>[] = [];
  // Attachment streams still being written, with the stage that feeds them.
  private readonly openTees: Map<PassThrough, Transform> = new Map();
  private headers: Headers | undefined;
  private lineHeaders: HeaderMap = {};
  private text: MessageText | undefined;
  private sinkError: unknown;
  private settled = false;
  private omittedParts = 0;
  private rejectRun: (error: unknown) => void = () => undefined;

  constructor(
    private readonly sink: AttachmentSink | null,
    private readonly limits: Limits,
  ) {
    this.parser = new MailParser({
      skipTextToHtml: true,
      skipTextLinks: true,
      keepDeliveryStatus: true,
      ignoreEmbedded: true,
      maxHtmlLengthToParse: limits.maxHtmlLengthToParse,
    });
  }

  run(source: Readable | Buffer): Promise<MessageParseResult> {
    return new Promise<MessageParseResult>((resolve, reject) => {
      this.rejectRun = reject;
      try {
        this.collectParserOutput(() => this.finish(source, resolve, reject), source);
        this.feed(source, reject);
      } catch (error) {
        this.fail(source, error);
      }
    });
  }

  /** `handler` as an event callback that cannot throw: a throw fails this mail's parse, nothing else. */
  private guarded<A extends unknown[]>(source: Readable | Buffer, handler: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      try {
        handler(...args);
      } catch (error) {
        this.fail(source, error);
      }
    };
  }

  /** Stops the run on a fault in the mail (or in how it was read): rejects once with UnparseableMail. */
  private fail(source: Readable | Buffer, error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.parser.destroy();
    for (const tee of this.openTees.keys()) tee.destroy();
    if (!Buffer.isBuffer(source)) source.destroy();
    // Uploads in flight end with their destroyed stream; the mail is failed already.
    void Promise.allSettled(this.pendingStores);
    this.rejectRun(UnparseableMail.from(error));
  }

  /** Keeps the header section, the raw header lines and the text; sends each attachment on. */
  private collectParserOutput(finish: () => void, source: Readable | Buffer): void {
    const { parser } = this;
    const guarded = <A extends unknown[]>(handler: (...args: A) => void) => this.guarded(source, handler);
    parser.on(
      'headers',
      guarded((parsed: Headers) => {
        this.headers = parsed instanceof Map ? parsed : undefined;
      }),
    );
    parser.on(
      'headerLines',
      guarded((lines: ReadonlyArray<{ key: string; line: string }>) => {
        this.lineHeaders = rawLineHeaders(Array.isArray(lines) ? lines : []);
      }),
    );
    parser.on(
      'data',
      guarded((data: AttachmentStream | MessageText) => {
        if (data?.type === 'text') {
          this.text = data;
          return;
        }
        this.storeAttachment(data, source);
      }),
    );
    parser.on(
      'error',
      guarded((error: Error) => {
        this.defects.push(`parse error: ${safeText(error?.message) ?? 'unknown'}`);
        finish();
      }),
    );
    parser.on('end', guarded(finish));
  }

  /** Pipes the source through the header guard into the parser; a failing source rejects the parse. */
  private feed(source: Readable | Buffer, reject: (error: unknown) => void): void {
    if (Buffer.isBuffer(source)) {
      this.parser.end(this.headerGuard.filter(source));
      return;
    }
    const guard = this.headerGuard.stream();
    guard.on('error', (error: Error) => this.fail(source, error));
    source.on('error', (error: Error) => {
      if (this.settled) return;
      this.settled = true;
      this.parser.destroy();
      for (const tee of this.openTees.keys()) tee.destroy(error);
      reject(error);
    });
    source.pipe(guard).pipe(this.parser);
  }

  /** Streams one attachment to the sink (or drains it), keeping its metadata and, if retained, its first bytes. */
  private storeAttachment(attachment: AttachmentStream, source: Readable | Buffer): void {
    if (this.attachments.length >= this.limits.maxStoredParts) {
      this.readPast(attachment, source);
      return;
    }
    const contentType = safeMediaType(attachment.contentType);
    const index = this.attachments.length;
    const retention = this.retentionFor(contentType, index);
    const stream = this.metered(attachment, index, retention?.capture ?? null, source);

    const filename = safeFilename(attachment.filename);
    const contentId = safeText(attachment.cid);
    const disposition = safeText(attachment.contentDisposition)?.toLowerCase();
    const meta: InboundAttachment = {
      ...(filename ? { filename } : {}),
      contentType,
      size: 0,
      key: '',
      ...(contentId ? { contentId } : {}),
      inline: attachment.related === true || (disposition === 'inline' && Boolean(contentId)),
    };
    this.attachments[index] = meta;

    const { tee } = stream;
    const stored = this.sink
      ? this.sink.put(filename ?? defaultName(contentType, index), contentType, tee)
      : Promise.resolve({ key: '', size: 0 });
    if (!this.sink) tee.resume();
    this.pendingStores.push(
      Promise.all([stored, ended(tee)]).then(
        ([result]) => {
          // A sink that returned before reading everything must not stall the parser.
          tee.resume();
          meta.key = result.key;
          meta.size = stream.size();
          const checksum = safeText(attachment.checksum, 128);
          if (checksum) meta.checksum = checksum;
          if (retention) this.retain(retention, disposition, { contentType, filename, index });
        },
        (error: unknown) => {
          this.sinkError ??= error;
          tee.resume();
          stream.release();
        },
      ),
    );
  }

  /** A part past the cap: read to its end and counted, not stored (it stays in the raw mail). */
  private readPast(attachment: AttachmentStream, source: Readable | Buffer): void {
    this.omittedParts++;
    const content = attachment.content;
    let released = false;
    const release = this.guarded(source, () => {
      if (released) return;
      released = true;
      attachment.release?.();
    });
    content.on('error', release);
    content.on('end', release);
    content.on('close', release);
    content.resume();
  }

  /** Whether a part is kept in memory: embedded messages and reports are, while the mail's budget lasts. */
  private retentionFor(contentType: string, index: number): Retention | null {
    const kind = EMBEDDED_MESSAGE_TYPES.has(contentType) ? 'embedded' : REPORT_PART_TYPES.has(contentType) ? 'report' : null;
    // Memory is bounded per part and per mail; a part over the mail's budget is only stored.
    const cap = Math.min(this.limits.maxRetainedPartBytes, this.limits.retainedBudget.remaining);
    const capture = kind && cap > 0 ? new CappedCapture(cap) : null;
    if (kind && !capture) this.defects.push(`part ${index + 1} (${contentType}) stored but not inspected: memory budget used up`);
    if (!kind || !capture) return null;
    this.limits.retainedBudget.remaining -= cap;
    return { kind, capture, cap };
  }

  /** The attachment's decoded bytes through a counter (and the capture) into the stream the sink reads. */
  private metered(attachment: AttachmentStream, index: number, capture: CappedCapture | null, source: Readable | Buffer): MeteredStream {
    let size = 0;
    const tee = new PassThrough();
    const counter = new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
        size += chunk.length;
        capture?.add(chunk);
        done(null, chunk);
      },
    });
    this.openTees.set(tee, counter);
    let released = false;
    const release = this.guarded(source, (): void => {
      if (released) return;
      released = true;
      this.openTees.delete(tee);
      attachment.release?.();
    });
    attachment.content.on(
      'error',
      this.guarded(source, (error: Error) => {
        this.defects.push(`attachment ${index} could not be decoded: ${safeText(error?.message) ?? 'unknown'}`);
        tee.end();
        release();
      }),
    );
    counter.on('error', (error: Error) => this.fail(source, error));
    attachment.content.pipe(counter).pipe(tee);
    tee.on('end', release);
    tee.on('close', release);
    return { tee, size: () => size, release };
  }

  /** Keeps a stored part's captured bytes, giving back to the budget what it did not need. */
  private retain(
    { kind, capture, cap }: Retention,
    disposition: string | undefined,
    part: { contentType: string; filename: string | undefined; index: number },
  ): void {
    this.limits.retainedBudget.remaining += cap - capture.size;
    this.retained.push({
      kind,
      contentType: part.contentType,
      attachedAsFile: disposition === 'attachment' || Boolean(part.filename),
      attachmentIndex: part.index,
      content: capture.buffer(),
      truncated: capture.truncated,
    });
  }

  /** Ends what a broken mail left open, waits for the sink, and answers once. */
  private finish(source: Readable | Buffer, resolve: (result: MessageParseResult) => void, reject: (error: unknown) => void): void {
    if (this.settled) return;
    this.settled = true;
    // A broken mail may leave an attachment half-read: end it so its sink call completes.
    for (const [tee, feeder] of this.openTees) {
      feeder.unpipe(tee);
      tee.end();
    }
    if (!Buffer.isBuffer(source)) source.destroy();
    Promise.allSettled(this.pendingStores).then(() => {
      if (this.sinkError !== undefined) {
        reject(this.sinkError);
        return;
      }
      const defects = [...this.headerGuard.defects(), ...this.defects];
      if (this.omittedParts > 0) defects.push(`${this.omittedParts} parts past the first ${this.limits.maxStoredParts} not stored separately: they are in the raw mail`);
      try {
        resolve({
          message: buildCore(this.headers, this.lineHeaders, this.text, defects),
          attachments: this.attachments.filter(Boolean),
          retained: this.retained.sort((a, b) => (a.attachmentIndex ?? 0) - (b.attachmentIndex ?? 0)),
          omittedParts: this.omittedParts,
        });
      } catch (error) {
        reject(UnparseableMail.from(error));
      }
    }, reject);
  }
}

function defaultName(contentType: string, index: number): string {
  if (EMBEDDED_MESSAGE_TYPES.has(contentType)) return `message-${index + 1}.eml`;
  return `attachment-${index + 1}`;
}
