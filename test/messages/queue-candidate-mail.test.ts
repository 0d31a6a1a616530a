import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../shared/errors';
import { newMessageRecord } from '../../shared/messages/model';
import { announceAttachmentUpload } from '../../shared/messages/attachment-uploads';
import { queueCandidateMail, type QueueMailDeps, type SendMessageInput } from '../../shared/messages/queue-candidate-mail';
import type { SendJob } from '../../shared/messages/send-job';
import { MAX_ATTACHMENTS_TOTAL_BYTES } from '../../shared/outbound/limits';
import { MemoryUploadStore } from '../support/memory-upload-store';
import { MemoryBlobStore } from '../support/memory-blob-store';
import { MemoryCandidatesStore } from '../support/memory-candidates-store';
import { MemoryMessagesStore } from '../support/memory-messages-store';
import { RecordingJobQueue } from '../support/recording-job-queue';

const MESSAGE_ID_DOMAIN = 'mail.recruiting.example';

async function setup() {
  const candidates = new MemoryCandidatesStore();
  const messages = new MemoryMessagesStore();
  const blobs = new MemoryBlobStore();
  const queue = new RecordingJobQueue<SendJob>();
  const uploads = new MemoryUploadStore(blobs);
  const deps: QueueMailDeps = { candidates, messages, blobs, uploads, queue, messageIdDomain: MESSAGE_ID_DOMAIN, now: () => new Date('2026-03-02T09:00:00Z') };
  const at = '2026-03-01T08:00:00.000Z';
  await candidates.put({ companyId: 'acme', id: 'cand-1', name: 'Jane Doe', emails: ['jane@candidate.example', 'jane.doe@old-mail.example'], scope: 'berlin', closedAt: null, createdAt: at, updatedAt: at, version: 1 }, null);
  await candidates.put({ companyId: 'globex', id: 'cand-9', name: 'Hank', emails: ['hank@candidate.example'], scope: 'main', closedAt: null, createdAt: at, updatedAt: at, version: 1 }, null);
  return { deps, candidates, messages, blobs, uploads, queue };
}

const body = (overrides: Partial<SendMessageInput> = {}): SendMessageInput => ({
  subject: 'Your interview on Monday',
  text: 'Hello Jane, see you on Monday.',
  ...overrides,
});

async function assertAppError(promise: Promise<unknown>, code: AppError['code'], paths?: string[]) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (paths) {
      assert.deepEqual(
        (error.details as { path: string }[]).map((issue) => issue.path),
        paths,
      );
    }
    return true;
  });
}

describe('queueCandidateMail', () => {
  it('answers NOT_FOUND for an unknown candidate, or one of another company', async () => {
    const { deps, queue, messages } = await setup();
    await assertAppError(queueCandidateMail(deps, 'acme', 'nobody', body()), 'NOT_FOUND');
    await assertAppError(queueCandidateMail(deps, 'acme', 'cand-9', body()), 'NOT_FOUND');
    assert.equal(queue.jobs.length, 0);
    assert.equal(messages.messages.size, 0);
  });

  it("stores a queued message to the candidate's primary address from the candidate's scope, and queues it", async () => {
    const { deps, queue, messages } = await setup();
    const message = await queueCandidateMail(deps, 'acme', 'cand-1', body());
    assert.equal(message.status, 'queued');
    assert.equal(message.direction, 'outbound');
    assert.equal(message.candidateId, 'cand-1');
    assert.equal(message.scope, 'berlin');
    assert.deepEqual(message.to, [{ address: 'jane@candidate.example', name: null }]);
    assert.match(message.messageIdHeader ?? '', /^<[^@<>]+@mail\.recruiting\.example>$/);
    assert.equal(message.attempts, 0);
    assert.deepEqual(queue.jobs, [{ job: { messageId: message.id }, delaySeconds: 0 }]);
    assert.deepEqual(messages.peek(message.id), message);
    assert.equal(await messages.findByMessageIdHeader('acme', message.messageIdHeader!), message.id);
  });

  it('takes an explicit to, cc and scope', async () => {
    const { deps } = await setup();
    const message = await queueCandidateMail(deps, 'acme', 'cand-1', body({ to: ['jane.doe@old-mail.example'], cc: ['manager@acme.example'], scope: 'main' }));
    assert.deepEqual(
      message.to.map((entry) => entry.address),
      ['jane.doe@old-mail.example'],
    );
    assert.deepEqual(
      message.cc.map((entry) => entry.address),
      ['manager@acme.example'],
    );
    assert.equal(message.scope, 'main');
  });

  it('stores attachments in the blob store and only their keys in the message', async () => {
    const { deps, blobs } = await setup();
    const pdf = Buffer.from('%PDF-1.4\n\u0000\u00ff binary\n%%EOF', 'latin1');
    const message = await queueCandidateMail(
      deps,
      'acme',
      'cand-1',
      body({ attachments: [{ filename: 'offer.pdf', contentType: 'application/pdf', contentBase64: pdf.toString('base64') }] }),
    );
    assert.equal(message.attachments.length, 1);
    const [attachment] = message.attachments;
    assert.equal(attachment.filename, 'offer.pdf');
    assert.equal(attachment.size, pdf.length);
    assert.deepEqual(await blobs.getBuffer(attachment.key), pdf);
    assert.ok(!JSON.stringify(message).includes(pdf.toString('base64')));
  });

  describe('bad input fails before the Idempotency-Key is claimed', () => {
    const cases: { name: string; input: SendMessageInput; code: AppError['code']; paths?: string[] }[] = [
      {
        name: 'invalid base64',
        input: body({ attachments: [{ filename: 'cv.pdf', contentType: 'application/pdf', contentBase64: 'not base64 at all!' }] }),
        code: 'VALIDATION_FAILED',
        paths: ['attachments.0.contentBase64'],
      },
      {
        name: 'attachments over the total limit',
        input: body({
          attachments: [
            { filename: 'a.bin', contentType: 'application/octet-stream', contentBase64: Buffer.alloc(MAX_ATTACHMENTS_TOTAL_BYTES / 2 + 1).toString('base64') },
            { filename: 'b.bin', contentType: 'application/octet-stream', contentBase64: Buffer.alloc(MAX_ATTACHMENTS_TOTAL_BYTES / 2).toString('base64') },
          ],
        }),
        code: 'PAYLOAD_TOO_LARGE',
      },
      {
        name: 'a header injection in the subject',
        input: body({ subject: 'Interview\r\nBcc: everyone@attacker.example' }),
        code: 'VALIDATION_FAILED',
        paths: ['subject'],
      },
      {
        name: 'a header injection in an attachment filename',
        input: body({ attachments: [{ filename: 'cv.pdf\r\nContent-Type: text/html', contentType: 'application/pdf', contentBase64: 'JVBERg==' }] }),
        code: 'VALIDATION_FAILED',
        paths: ['attachments.0.filename'],
      },
      {
        name: 'an invalid recipient',
        input: body({ to: ['jane@candidate.example>\r\nBcc: x@attacker.example'] }),
        code: 'VALIDATION_FAILED',
        paths: ['to.0'],
      },
      {
        name: 'a message id with a second header in inReplyTo',
        input: body({ inReplyTo: '<a@b.example>\r\nBcc: x@attacker.example' }),
        code: 'VALIDATION_FAILED',
      },
    ];

    for (const testCase of cases) {
      it(testCase.name, async () => {
        const { deps, messages, queue, blobs } = await setup();
        await assertAppError(queueCandidateMail(deps, 'acme', 'cand-1', testCase.input, 'key-1'), testCase.code, testCase.paths);
        assert.equal(messages.idempotency.size, 0);
        assert.equal(messages.messages.size, 0);
        assert.equal(blobs.objects.size, 0);
        assert.equal(queue.jobs.length, 0);

        // The key was not spent: a corrected request with it goes through.
        const message = await queueCandidateMail(deps, 'acme', 'cand-1', body(), 'key-1');
        assert.equal(message.status, 'queued');
        assert.equal(messages.idempotency.get('acme#key-1')?.messageId, message.id);
      });
    }
  });

  describe('Idempotency-Key', () => {
    it('the same key and body returns the first message, queued again only while it is still queued', async () => {
      const { deps, messages, queue } = await setup();
      const first = await queueCandidateMail(deps, 'acme', 'cand-1', body(), 'key-1');
      const again = await queueCandidateMail(deps, 'acme', 'cand-1', body(), 'key-1');
      assert.equal(again.id, first.id);
      assert.equal(messages.messages.size, 1);
      // Still queued: the first request may have died before its job was sent.
      assert.deepEqual(
        queue.jobs.map((entry) => entry.job.messageId),
        [first.id, first.id],
      );

      await messages.update(first.id, { status: 'sent', provider: 'smtp' });
      const third = await queueCandidateMail(deps, 'acme', 'cand-1', body(), 'key-1');
      assert.equal(third.id, first.id);
      assert.equal(third.status, 'sent');
      assert.equal(queue.jobs.length, 2);
      assert.equal(messages.messages.size, 1);
    });

    it('the same key with another body is IDEMPOTENCY_KEY_REUSED, and sends nothing', async () => {
      const { deps, messages, queue } = await setup();
      await queueCandidateMail(deps, 'acme', 'cand-1', body(), 'key-1');
      await assertAppError(queueCandidateMail(deps, 'acme', 'cand-1', body({ subject: 'Another subject' }), 'key-1'), 'IDEMPOTENCY_KEY_REUSED');
      assert.equal(messages.messages.size, 1);
      assert.equal(queue.jobs.length, 1);
    });

    it('keys are per company', async () => {
      const { deps, messages } = await setup();
      const acme = await queueCandidateMail(deps, 'acme', 'cand-1', body(), 'shared-key');
      const globex = await queueCandidateMail(deps, 'globex', 'cand-9', body(), 'shared-key');
      assert.notEqual(acme.id, globex.id);
      assert.equal(messages.messages.size, 2);
    });

    it('completes a first request that died after claiming the key, with the claimed id', async () => {
      const { deps, messages, queue } = await setup();
      // Run the first request up to its claim, then let it "die" (the store throws on create).
      const dying: QueueMailDeps = {
        ...deps,
        messages: Object.assign(Object.create(messages) as MemoryMessagesStore, {
          create: async () => {
            throw new Error('Lambda timed out');
          },
        }),
      };
      await assert.rejects(queueCandidateMail(dying, 'acme', 'cand-1', body(), 'key-1'), /Lambda timed out/);
      const claimed = messages.idempotency.get('acme#key-1');
      assert.ok(claimed);
      assert.equal(messages.messages.size, 0);

      const retry = await queueCandidateMail(deps, 'acme', 'cand-1', body(), 'key-1');
      assert.equal(retry.id, claimed.messageId);
      assert.equal(retry.status, 'queued');
      assert.equal(messages.messages.size, 1);
      assert.deepEqual(
        queue.jobs.map((entry) => entry.job.messageId),
        [claimed.messageId],
      );
    });
  });

  describe('inReplyTo', () => {
    it('one of our message ids threads with its Message-ID and the one SES gave it', async () => {
      const { deps, messages } = await setup();
      const first = await queueCandidateMail(deps, 'acme', 'cand-1', body());
      await messages.update(first.id, { status: 'sent', provider: 'default', providerMessageIdHeader: '<0100019abc@email.amazonses.com>' });

      const reply = await queueCandidateMail(deps, 'acme', 'cand-1', body({ subject: 'Re: Your interview', inReplyTo: first.id }));
      // The candidate saw the SES id, so that is what the reply answers…
      assert.equal(reply.inReplyTo, '<0100019abc@email.amazonses.com>');
      // …and both ids stay in the thread.
      assert.deepEqual(reply.references, [first.messageIdHeader, '<0100019abc@email.amazonses.com>']);
    });

    it('a message sent through the company server threads with our own Message-ID', async () => {
      const { deps, messages } = await setup();
      const first = await queueCandidateMail(deps, 'acme', 'cand-1', body());
      await messages.update(first.id, { status: 'sent', provider: 'smtp' });
      const reply = await queueCandidateMail(deps, 'acme', 'cand-1', body({ inReplyTo: first.id }));
      assert.equal(reply.inReplyTo, first.messageIdHeader);
      assert.deepEqual(reply.references, [first.messageIdHeader]);
    });

    it("another company's message id (or an unknown one) is VALIDATION_FAILED", async () => {
      const { deps, messages } = await setup();
      const foreign = newMessageRecord({
        id: 'msg_globex1',
        companyId: 'globex',
        scope: 'main',
        direction: 'outbound',
        status: 'sent',
        createdAt: '2026-03-01T08:00:00.000Z',
        messageIdHeader: '<secret.thread@mail.recruiting.example>',
      });
      await messages.create(foreign);
      await assertAppError(queueCandidateMail(deps, 'acme', 'cand-1', body({ inReplyTo: foreign.id }), 'key-x'), 'VALIDATION_FAILED', ['inReplyTo']);
      await assertAppError(queueCandidateMail(deps, 'acme', 'cand-1', body({ inReplyTo: 'msg_doesnotexist' })), 'VALIDATION_FAILED', ['inReplyTo']);
      assert.equal(messages.idempotency.size, 0);
      assert.equal(messages.messages.size, 1);
    });

    it('a raw Message-ID header is used as given', async () => {
      const { deps } = await setup();
      const reply = await queueCandidateMail(deps, 'acme', 'cand-1', body({ inReplyTo: 'CAFx1@mail.gmail.com' }));
      assert.equal(reply.inReplyTo, '<CAFx1@mail.gmail.com>');
      assert.deepEqual(reply.references, ['<CAFx1@mail.gmail.com>']);
    });
  });
});

describe('queueCandidateMail: attachments uploaded beforehand', () => {
  const pdf = Buffer.from('%PDF-1.7 offer letter');

  /** Announces a file and "uploads" what the test says into the presigned key. */
  async function announced(deps: QueueMailDeps, uploads: MemoryUploadStore, companyId: string, upload: { body: Buffer; contentType: string } | null) {
    const answer = await announceAttachmentUpload(deps, companyId, { filename: 'offer.pdf', contentType: 'application/pdf', size: pdf.length });
    const key = decodeURIComponent(new URL(answer.uploadUrl).pathname.slice(1));
    if (upload) await uploads.blobs.put(key, upload.body, upload.contentType);
    return answer;
  }

  it('copies an upload that arrived as announced next to the message, with its announced name', async () => {
    const { deps, uploads, blobs } = await setup();
    const { attachmentId, headers } = await announced(deps, uploads, 'acme', { body: pdf, contentType: 'application/pdf' });
    assert.deepEqual(headers, { 'Content-Type': 'application/pdf', 'Content-Length': String(pdf.length) });
    const inline = { filename: 'note.txt', contentType: 'text/plain', contentBase64: Buffer.from('hi').toString('base64') };
    const message = await queueCandidateMail(deps, 'acme', 'cand-1', body({ attachments: [inline, { attachmentId }] }));
    assert.deepEqual(message.attachments.map((a) => [a.filename, a.contentType, a.size]), [['note.txt', 'text/plain', 2], ['offer.pdf', 'application/pdf', pdf.length]]);
    assert.deepEqual(await blobs.getBuffer(message.attachments[1].key), pdf);
  });

  it('refuses an announced file that never arrived, or arrived with another size or type, each on its path', async () => {
    const { deps, uploads, messages } = await setup();
    const missing = await announced(deps, uploads, 'acme', null);
    const longer = await announced(deps, uploads, 'acme', { body: Buffer.concat([pdf, Buffer.from('x')]), contentType: 'application/pdf' });
    const otherType = await announced(deps, uploads, 'acme', { body: pdf, contentType: 'application/zip' });
    await assertAppError(
      queueCandidateMail(deps, 'acme', 'cand-1', body({ attachments: [{ attachmentId: missing.attachmentId }, { attachmentId: longer.attachmentId }, { attachmentId: otherType.attachmentId }] })),
      'VALIDATION_FAILED',
      ['attachments.0.attachmentId', 'attachments.1.attachmentId', 'attachments.2.attachmentId'],
    );
    assert.equal(messages.messages.size, 0);
  });

  it('does not let one company use another company\'s attachmentId', async () => {
    const { deps, uploads } = await setup();
    const globexFile = await announced(deps, uploads, 'globex', { body: pdf, contentType: 'application/pdf' });
    await assertAppError(queueCandidateMail(deps, 'acme', 'cand-1', body({ attachments: [{ attachmentId: globexFile.attachmentId }] })), 'VALIDATION_FAILED', [
      'attachments.0.attachmentId',
    ]);
    await assertAppError(queueCandidateMail(deps, 'acme', 'cand-1', body({ attachments: [{ attachmentId: '../globex/x' }] })), 'VALIDATION_FAILED', ['attachments.0.attachmentId']);
  });

  it('counts uploads and inline files together against the 15 MB per message', async () => {
    const { deps, uploads } = await setup();
    const big = Buffer.alloc(MAX_ATTACHMENTS_TOTAL_BYTES - 10, 1);
    const answer = await announceAttachmentUpload(deps, 'acme', { filename: 'big.bin', contentType: 'application/octet-stream', size: big.length });
    await uploads.blobs.put(decodeURIComponent(new URL(answer.uploadUrl).pathname.slice(1)), big, 'application/octet-stream');
    const inline = { filename: 'b.bin', contentType: 'application/octet-stream', contentBase64: Buffer.alloc(11).toString('base64') };
    await assertAppError(queueCandidateMail(deps, 'acme', 'cand-1', body({ attachments: [{ attachmentId: answer.attachmentId }, inline] })), 'PAYLOAD_TOO_LARGE');
  });
});
