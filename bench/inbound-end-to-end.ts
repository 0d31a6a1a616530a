/**
 * Inbound end to end: the inbound Lambda handler (`functions/inbound/receive.ts`) on the local
 * stand-ins of `npm start` (dynalite, s3rver), fed SES receipt events for raw mails that were
 * first put where SES's S3 action puts them. Only the handler calls are timed: storing the raw
 * mail is SES's work. The stand-ins run in this process, so the numbers are a local measure,
 * not a prediction of Lambda with DynamoDB and S3.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { errorText } from './report';

const TIME_LIMIT_MS = 10_000;
const COMPANY = 'bench-co';

export interface EndToEndResult {
  filed: number;
  failures: number;
  firstFailure?: string;
  perSecond: number;
  megabytesPerSecond: number;
  recipient: string;
}

/** Null when the inbound handler is not there; throws when the local backend cannot run. */
export async function measureInboundEndToEnd(root: string, tempDir: string, mails: Buffer[]): Promise<EndToEndResult | null> {
  if (!existsSync(path.join(root, 'functions', 'inbound', 'receive.ts'))) return null;
  const { startLocalBackend } = await import('../infra/local/local-backend');
  const { signLocalToken } = await import('../infra/local/local-jwt');
  const { localLambdaContext } = await import('../infra/local/lambda-context');
  const jwtSecret = 'bench-jwt-secret';
  const backend = await startLocalBackend({
    port: 0,
    sesPort: 0,
    dataDir: path.join(tempDir, 'local-backend'),
    fresh: true,
    inMemory: true,
    jwtSecret,
    inboundDomain: 'inbound.bench.localhost',
    defaultFromAddress: 'no-reply@mail.bench.localhost',
  });
  try {
    // The environment the handlers read is set by startLocalBackend: import them only now.
    const { handler } = await import('../functions/inbound/receive');
    const { sesEventFor, INBOUND_RAW_PREFIX } = await import('../shared/messages/ses-receipt');
    const { createS3BlobStore } = await import('../shared/adapters/s3-blob-store');
    const blobs = createS3BlobStore();

    // A company whose inbound address receives the mail, configured through the HTTP API.
    const token = await signLocalToken(jwtSecret, { companyId: COMPANY, roles: ['admin', 'recruiter'] });
    const saved = await fetch(`${backend.apiUrl}/v1/email-settings/main`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ address: 'jobs@company.bench.example', mode: 'default' }),
    });
    const settings = (await saved.json()) as { inboundAddress?: string; error?: { message: string } };
    if (!saved.ok || !settings.inboundAddress) throw new Error(`could not configure the bench company: ${saved.status} ${settings.error?.message ?? ''}`);
    const recipient = settings.inboundAddress;

    const context = localLambdaContext('bench-inbound', 60_000);
    let handlerMs = 0;
    let filed = 0;
    let filedBytes = 0;
    let failures = 0;
    let firstFailure: string | undefined;
    for (const [index, raw] of mails.entries()) {
      if (handlerMs >= TIME_LIMIT_MS) break;
      const messageId = `bench-${Date.now().toString(36)}-${index}`;
      await blobs.put(`${INBOUND_RAW_PREFIX}${messageId}`, raw, 'message/rfc822');
      const event = sesEventFor({ messageId, source: 'sender@bench.example', recipients: [recipient], timestamp: new Date() });
      const started = performance.now();
      try {
        await handler(event, context);
        filed += 1;
        filedBytes += raw.length;
      } catch (error) {
        failures += 1;
        firstFailure ??= errorText(error);
      } finally {
        handlerMs += performance.now() - started;
      }
    }
    const seconds = handlerMs / 1000;
    return { filed, failures, firstFailure, perSecond: (filed + failures) / seconds, megabytesPerSecond: filedBytes / seconds / (1024 * 1024), recipient };
  } finally {
    await backend.stop();
  }
}
