/**
 * The SES account's send rate (`GetSendQuota`: `MaxSendRate`, recipients a second), the pace of
 * the default provider (send-pace.ts). The only code that asks SES for it.
 */
import { GetSendQuotaCommand, SESClient } from '@aws-sdk/client-ses';
import { adapterClient } from './tracing';

export function createSesSendRate(options: { client?: SESClient; region?: string } = {}): () => Promise<number> {
  const client = options.client ?? adapterClient(new SESClient({ ...(options.region ? { region: options.region } : {}) }));
  return async () => {
    const quota = await client.send(new GetSendQuotaCommand({}));
    if (quota.MaxSendRate === undefined || !(quota.MaxSendRate > 0)) throw new Error(`SES GetSendQuota answered no MaxSendRate (${JSON.stringify(quota)})`);
    return quota.MaxSendRate;
  };
}
