import type { Readable } from 'node:stream';
import type { AttachmentSink, EmbeddedMessage, ParsedInboundMail, ReportPart } from './inbound-mail';
import { type Limits, parseMessage, type RetainedPart } from './parse-mime-message';
import { UnparseableMail } from './unparseable-mail';

/** The function's input and output shapes, defined with the others in inbound-mail.ts. */
export type { AttachmentSink, ParsedInboundMail } from './inbound-mail';

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
 * reason in `defects`. A failing source stream or a failing sink rejects with its error, because
 * then data would be lost (a retry may succeed); a mail that trips the parser in a way nothing
 * here foresaw rejects with {@link UnparseableMail} (a retry would fail the same way). An
 * embedded message that does so is left out, noted in `defects`.
 */

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
  /** Attachments stored separately (default 100); later parts stay only in the raw mail. */
  maxStoredParts?: number;
}

/** How many attachments of one mail are stored and listed on its message. */
export const DEFAULT_MAX_STORED_PARTS = 100;

const DEFAULT_RETAINED_PART_BYTES = 2 * 1024 * 1024;

export async function parseInboundMail(
  source: Readable | Buffer,
  sink: AttachmentSink,
  options: ParseInboundMailOptions = {},
): Promise<ParsedInboundMail> {
  const limits: Limits = {
    maxRetainedPartBytes: options.maxRetainedPartBytes ?? DEFAULT_RETAINED_PART_BYTES,
    maxStoredParts: options.maxStoredParts ?? DEFAULT_MAX_STORED_PARTS,
    retainedBudget: { remaining: options.maxRetainedTotalBytes ?? 4 * DEFAULT_RETAINED_PART_BYTES },
    maxEmbeddedDepth: options.maxEmbeddedDepth ?? 2,
    maxHtmlLengthToParse: options.maxHtmlLengthToParse ?? 5 * 1024 * 1024,
    embeddedBudget: { remaining: options.maxEmbeddedMessages ?? 20 },
  };
  const result = await parseMessage(source, sink, limits);
  const embeddedMessages: EmbeddedMessage[] = [];
  for (const part of result.retained) {
    if (part.kind !== 'embedded' || limits.embeddedBudget.remaining <= 0) continue;
    const embedded = await parseEmbeddedOrNote(part, limits, 1, result.message.defects);
    if (embedded) embeddedMessages.push(embedded);
  }
  return {
    ...result.message,
    attachments: result.attachments,
    omittedParts: result.omittedParts,
    embeddedMessages,
    reportParts: result.retained.filter((part) => part.kind === 'report').map(toReportPart),
  };
}

/** An embedded message, or null with a defect noted when it cannot be parsed (the outer mail still is). */
async function parseEmbeddedOrNote(part: RetainedPart, limits: Limits, depth: number, defects: string[]): Promise<EmbeddedMessage | null> {
  try {
    return await parseEmbedded(part, limits, depth);
  } catch (error) {
    if (!(error instanceof UnparseableMail)) throw error;
    defects.push(`embedded message (part ${(part.attachmentIndex ?? 0) + 1}) left out: ${error.reason}`);
    return null;
  }
}

async function parseEmbedded(part: RetainedPart, limits: Limits, depth: number): Promise<EmbeddedMessage> {
  limits.embeddedBudget.remaining -= 1;
  const parsed = await parseMessage(part.content, null, limits);
  const nested: EmbeddedMessage[] = [];
  if (depth < limits.maxEmbeddedDepth) {
    for (const inner of parsed.retained) {
      if (inner.kind !== 'embedded' || limits.embeddedBudget.remaining <= 0) continue;
      const embedded = await parseEmbeddedOrNote(inner, limits, depth + 1, parsed.message.defects);
      if (embedded) nested.push(embedded);
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
