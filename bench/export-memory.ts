/**
 * Section 7: the memory of a candidate export. 200 messages (half received, half sent) with
 * 100 MB of attachments are stored on the local stand-ins (dynalite and s3rver, in a child
 * process), then the export runs in this process: the zip is streamed to s3rver. Its peak RSS
 * is sampled during the export and set against this process's RSS just before it.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import { withStandIns } from './local-stand-ins-process';
import { bytes, ms, printTable } from './report';

const MESSAGES = 200;
const ATTACHMENT_BYTES = Math.floor((100 * 1024 * 1024) / MESSAGES);
const COMPANY = 'bench-export';
const CANDIDATE = 'cand-bench';
const RSS_SAMPLE_MS = 5;

export async function benchExportMemory(tempDir: string): Promise<void> {
  // The adapters and handlers read their configuration from the environment when they load.
  return withStandIns({
    port: 0,
    sesPort: 0,
    dataDir: path.join(tempDir, 'export-backend'),
    fresh: true,
    inMemory: true,
    jwtSecret: 'bench-jwt-secret',
    inboundDomain: 'inbound.bench.localhost',
    defaultFromAddress: 'no-reply@mail.bench.localhost',
  }, async () => {
    const { createS3BlobStore } = await import('../shared/adapters/s3-blob-store');
    const { createS3BlobEraser } = await import('../shared/adapters/s3-blob-eraser');
    const { createDynamoCandidatesStore } = await import('../shared/adapters/dynamodb-candidates-store');
    const { createDynamoMessagesStore } = await import('../shared/adapters/dynamodb-messages-store');
    const { createDynamoExportStore } = await import('../shared/adapters/dynamodb-export-store');
    const { runExport } = await import('../shared/data-lifecycle/run-export');
    const { newMessageRecord } = await import('../shared/messages/model');
    const { exportKey, MAIL_PREFIXES } = await import('../shared/mail-bucket-layout');
    const deps = {
      bucket: createS3BlobStore(),
      blobs: createS3BlobEraser(),
      candidates: createDynamoCandidatesStore(),
      messages: createDynamoMessagesStore(),
      exports: createDynamoExportStore(),
      now: () => new Date(),
    };

    const at = new Date().toISOString();
    const candidateAddress = 'candidate@bench.example';
    await deps.candidates.put({ companyId: COMPANY, id: CANDIDATE, name: 'Bench Candidate', emails: [candidateAddress], scope: 'main', closedAt: null, createdAt: at, updatedAt: at, version: 0 }, null);
    // Received mail: the raw MIME with its attachment, as the listener stores it. Sent mail:
    // the message with its attachment in outbound/, rebuilt by the export.
    for (let index = 0; index < MESSAGES; index += 1) {
      const id = `msg-bench-${String(index).padStart(4, '0')}`;
      const createdAt = new Date(Date.UTC(2026, 5, 1, 9, 0, index)).toISOString();
      const attachment = randomBytes(ATTACHMENT_BYTES);
      if (index % 2 === 0) {
        const raw = await new MailComposer({
          from: candidateAddress,
          to: 'jobs@bench.example',
          subject: `Application ${index}`,
          text: 'Please find my documents attached.',
          messageId: `<in-${index}@bench.example>`,
          attachments: [{ filename: `cv-${index}.pdf`, contentType: 'application/pdf', content: attachment }],
          newline: 'windows',
          disableFileAccess: true,
          disableUrlAccess: true,
        }).compile().build();
        const rawKey = `${MAIL_PREFIXES.inbound}bench-${index}`;
        await deps.bucket.put(rawKey, raw, 'message/rfc822');
        await deps.messages.create(newMessageRecord({ id, companyId: COMPANY, scope: 'main', direction: 'inbound', status: 'received', createdAt, candidateId: CANDIDATE, subject: `Application ${index}`, from: { address: candidateAddress, name: null }, rawKey, receivedAt: createdAt }));
      } else {
        const key = `${MAIL_PREFIXES.outbound}${COMPANY}/${id}/0`;
        await deps.bucket.put(key, attachment, 'application/pdf');
        await deps.messages.create(
          newMessageRecord({
            id, companyId: COMPANY, scope: 'main', direction: 'outbound', status: 'sent', createdAt, candidateId: CANDIDATE, subject: `Offer ${index}`,
            from: { address: 'jobs@bench.example', name: 'Bench Jobs' }, to: [{ address: candidateAddress, name: null }], text: 'Our offer is attached.',
            messageIdHeader: `<out-${index}@mail.bench.example>`, provider: 'smtp', sentAt: createdAt,
            attachments: [{ id: `att-${index}`, filename: `offer-${index}.pdf`, contentType: 'application/pdf', size: ATTACHMENT_BYTES, key, contentId: null, inline: false }],
          }),
        );
      }
    }

    const exportId = 'exp-bench';
    const objectKey = exportKey(COMPANY, CANDIDATE, exportId);
    await deps.exports.create({ exportId, companyId: COMPANY, candidateId: CANDIDATE, status: 'pending', objectKey, messages: 0, createdAt: at, finishedAt: null });
    (globalThis as { gc?: () => void }).gc?.();
    const rssBefore = process.memoryUsage.rss();
    let peakRss = rssBefore;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), RSS_SAMPLE_MS);
    const started = performance.now();
    const outcome = await runExport(deps, { kind: 'export', companyId: COMPANY, exportId });
    const durationMs = performance.now() - started;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const record = await deps.exports.get(COMPANY, exportId);
    const zipBytes = (await deps.bucket.getBuffer(objectKey)).length;
    const load = os.loadavg().map((value) => value.toFixed(2)).join(' / ');
    printTable(
      '7. Candidate export memory (200 messages, 100 MB of attachments; zip streamed to s3rver)',
      ['outcome', 'messages', 'attachments', 'zip', 'duration', 'RSS before', 'peak RSS', 'peak − before'],
      [[outcome, record?.messages ?? 0, bytes(ATTACHMENT_BYTES * MESSAGES), bytes(zipBytes), ms(durationMs), bytes(rssBefore), bytes(peakRss), bytes(peakRss - rssBefore)]],
      [`load average (1 / 5 / 15 min): ${load} on ${os.cpus().length} CPU(s); the worker Lambda has 1,024 MB`, `RSS sampled every ${RSS_SAMPLE_MS} ms in this process (the stand-ins run in a child process)`],
    );
  });
}
