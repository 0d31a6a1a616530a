/**
 * Inbound end to end: the inbound Lambda handler (`functions/inbound/receive.ts`), in this
 * process, on the local stand-ins of `npm start` (dynalite, s3rver, local SES) running in a
 * child process, fed SES receipt events for raw mails that were first put where SES's S3 action
 * puts them. Only the handler calls are measured: storing the raw mail is SES's work.
 *
 * With the stand-ins out of process, the CPU time this process spends inside the handler
 * (process.cpuUsage around each call) is the handler's own cost per mail: parsing, filing
 * logic, the AWS SDK's request signing and checksums, HTTP. The stand-ins' CPU is counted
 * apart; wall time still waits for them, so msg/s remains a local measure only.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { errorText } from './report';
import { withStandIns } from './local-stand-ins-process';

/** Mails measured, the first of the set: the same ones in every run, so that runs compare. */
const MEASURED_MAILS = 200;
/** Wall-time budget of the measured pass: only a guard for a very slow machine. */
export const TIME_LIMIT_MS = 30_000;
/** Mails filed first and not counted: JIT, lazy initialisation, connection setup. */
const WARM_UP_MAILS = 20;
const COMPANY = 'bench-co';
const WARM_UP_COMPANY = 'bench-warm-up';

export interface EndToEndResult {
  /** How many of the mails (from the first) went through the measured pass. */
  measured: number;
  filed: number;
  failures: number;
  firstFailure?: string;
  perSecond: number;
  megabytesPerSecond: number;
  /** Per mail, in milliseconds. */
  handlerWallMs: number;
  handlerCpuMs: number;
  standInsCpuMs: number;
  /** AWS requests the handler made per mail, by command (GetItem, BatchGetItem, PutObject...). */
  requestsPerMail: Record<string, number>;
  recipient: string;
}

const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

/** Null when the inbound handler is not there; throws when the local backend cannot run. */
export async function measureInboundEndToEnd(root: string, tempDir: string, mails: Buffer[]): Promise<EndToEndResult | null> {
  if (!existsSync(path.join(root, 'functions', 'inbound', 'receive.ts'))) return null;
  const { signLocalToken } = await import('../infra/local/local-jwt');
  const { invokeLocally, prepareLocalInvocations } = await import('../infra/local/lambda-context');
  const jwtSecret = 'bench-jwt-secret';
  // The adapters and handlers read their configuration from the environment when they load.
  return withStandIns({
    port: 0,
    sesPort: 0,
    dataDir: path.join(tempDir, 'local-backend'),
    fresh: true,
    inMemory: true,
    jwtSecret,
    inboundDomain: 'inbound.bench.localhost',
    defaultFromAddress: 'no-reply@mail.bench.localhost',
  }, async (standIns) => {
    // Before the handler loads: the stand-ins' environment says invocations overlap, and
    // Powertools then needs the invocation store in place.
    await prepareLocalInvocations();
    const { handler } = await import('../functions/inbound/receive');
    const { sesEventFor, INBOUND_RAW_PREFIX } = await import('../shared/messages/ses-receipt');
    const { createS3BlobStore, getS3Client } = await import('../shared/adapters/s3-blob-store');
    const { getDocumentClient } = await import('../shared/adapters/dynamodb');
    const blobs = createS3BlobStore();
    // What the handler asks of DynamoDB and S3 per mail (each request costs the SDK about a
    // millisecond of CPU here): counted on the shared clients, during the measured calls only.
    const requests = new Map<string, number>();
    let countRequests = false;
    const countRequest =
      (next: (args: any) => Promise<any>, context: { commandName?: string }) =>
      (args: any) => {
        const command = String(context.commandName).replace(/Command$/, '');
        if (countRequests) requests.set(command, (requests.get(command) ?? 0) + 1);
        return next(args);
      };
    getDocumentClient().middlewareStack.add(countRequest, { step: 'initialize', name: 'benchRequestCount' });
    getS3Client().middlewareStack.add(countRequest, { step: 'initialize', name: 'benchRequestCount' });

    // Companies whose inbound addresses receive the mail, configured through the HTTP API.
    const inboundAddressOf = async (companyId: string, address: string): Promise<string> => {
      const token = await signLocalToken(jwtSecret, { companyId, roles: ['admin', 'recruiter'] });
      const saved = await fetch(`${standIns.apiUrl}/v1/email-settings/main`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ address, mode: 'default' }),
      });
      const settings = (await saved.json()) as { inboundAddress?: string; error?: { message: string } };
      if (!saved.ok || !settings.inboundAddress) throw new Error(`could not configure the bench company: ${saved.status} ${settings.error?.message ?? ''}`);
      return settings.inboundAddress;
    };
    const recipient = await inboundAddressOf(COMPANY, 'jobs@company.bench.example');
    const warmUpRecipient = await inboundAddressOf(WARM_UP_COMPANY, 'jobs@warm-up.bench.example');

    // As the local backend invokes it: each call in its own invocation store.
    const invoke = (event: Parameters<typeof handler>[0]) => invokeLocally('bench-inbound', handler, event, 60_000);
    const deliver = async (raw: Buffer, key: string, to: string) => {
      await blobs.put(`${INBOUND_RAW_PREFIX}${key}`, raw, 'message/rfc822');
      return sesEventFor({ messageId: key, source: 'sender@bench.example', recipients: [to], timestamp: new Date() });
    };
    const run = Date.now().toString(36);
    for (const [index, raw] of mails.slice(0, WARM_UP_MAILS).entries()) {
      await invoke(await deliver(raw, `bench-${run}-warm-${index}`, warmUpRecipient)).catch(() => undefined);
    }

    let handlerWallMs = 0;
    let handlerCpuMs = 0;
    let measured = 0;
    let filed = 0;
    let filedBytes = 0;
    let failures = 0;
    let firstFailure: string | undefined;
    const standInsBefore = await standIns.cpuUsage();
    for (const [index, raw] of mails.slice(0, MEASURED_MAILS).entries()) {
      if (handlerWallMs >= TIME_LIMIT_MS) break;
      const event = await deliver(raw, `bench-${run}-${index}`, recipient);
      countRequests = true;
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      try {
        await invoke(event);
        filed += 1;
        filedBytes += raw.length;
      } catch (error) {
        failures += 1;
        firstFailure ??= errorText(error);
      } finally {
        handlerWallMs += performance.now() - started;
        handlerCpuMs += cpuMs(process.cpuUsage(cpuBefore));
        countRequests = false;
        measured += 1;
      }
    }
    // Includes the stand-ins' share of storing the raw mails (the S3 puts above): an upper bound.
    const standInsCpuMs = cpuMs(await standIns.cpuUsage()) - cpuMs(standInsBefore);
    const seconds = handlerWallMs / 1000;
    return {
      measured,
      filed,
      failures,
      firstFailure,
      perSecond: measured / seconds,
      megabytesPerSecond: filedBytes / seconds / (1024 * 1024),
      handlerWallMs: handlerWallMs / measured,
      handlerCpuMs: handlerCpuMs / measured,
      standInsCpuMs: standInsCpuMs / measured,
      requestsPerMail: Object.fromEntries([...requests].sort((a, b) => b[1] - a[1]).map(([command, count]) => [command, count / measured])),
      recipient,
    };
  });
}
