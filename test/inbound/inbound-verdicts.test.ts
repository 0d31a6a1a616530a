/**
 * Issue 5 end to end, SES's side of receiving: verdicts and at-least-once delivery. The local
 * SMTP listener always passes PASS verdicts, so these tests do what SES does: the raw mail goes
 * into the (local) S3 bucket under `inbound/<SES message id>` and the inbound Lambda handler is
 * invoked with an SES event carrying the verdicts. The result is read through the HTTP API.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { SESEvent } from 'aws-lambda';
import { localLambdaContext } from '../../infra/local/lambda-context';
import { createS3BlobStore } from '../../shared/adapters/s3-blob-store';
import type { BlobStore } from '../../shared/blob-store';
import { INBOUND_RAW_PREFIX, sesEventFor } from '../../shared/messages/ses-receipt';
import { startTestBackend, type TestBackend } from '../support/test-backend';
import { fixture, getMessage, listAll, setUpCompany, uniqueMessageId, type Company } from '../support/inbound-e2e';

type Verdicts = NonNullable<Parameters<typeof sesEventFor>[0]['verdicts']>;

let api: TestBackend;
let blobs: BlobStore;
let inboundHandler: (event: SESEvent, context: ReturnType<typeof localLambdaContext>) => Promise<{ outcomes: any[] }>;

before(async () => {
  api = await startTestBackend();
  // The backend set the environment (bucket, local endpoints) the adapters and the handler read.
  blobs = createS3BlobStore();
  inboundHandler = (await import('../../functions/inbound/receive')).handler as unknown as typeof inboundHandler;
});

after(async () => {
  await api?.stop();
});

/** What SES does: S3 action first, then the Lambda action with the receipt's verdicts. */
async function receiveAsSes(company: Company, raw: Buffer, verdicts: Verdicts, sesMessageId = `ses-${randomBytes(10).toString('hex')}`) {
  await blobs.put(`${INBOUND_RAW_PREFIX}${sesMessageId}`, raw, 'message/rfc822');
  const event = sesEventFor({ messageId: sesMessageId, source: 'bounce@forwarder.example', recipients: [company.inboundAddress], timestamp: new Date(), verdicts });
  const { outcomes } = await inboundHandler(event, localLambdaContext('inbound-test', 30_000));
  return { sesMessageId, event, outcomes };
}

describe('inbound: SES verdicts', () => {
  it('quarantines a mail with a virus FAIL verdict: not filed, not unassigned', async () => {
    const sender = 'virus.sender@mail.example';
    const company = await setUpCompany(api, 'virus-co', { address: 'jobs@virus-co.example', candidates: { 'cand-v': [sender] } });
    const raw = fixture('redirected-by-mailbox.eml', { SENDER: sender, COMPANY_ADDRESS: company.address, MESSAGE_ID: uniqueMessageId('virus') });

    const { outcomes } = await receiveAsSes(company, raw, { virus: 'FAIL' });

    assert.equal(outcomes.length, 1);
    assert.equal(outcomes[0].result, 'quarantined');
    assert.deepEqual(await listAll(api, company.token, '/v1/messages/unassigned'), []);
    assert.deepEqual(await listAll(api, company.token, '/v1/candidates/cand-v/messages'), []);
    const message = await getMessage(api, company.token, outcomes[0].messageId);
    assert.equal(message.status, 'quarantined');
    assert.equal(message.candidateId, null);
    assert.equal(message.verdicts.virus, 'FAIL');
  });

  it('files a mail with a spam FAIL verdict, flagged `spam`', async () => {
    const sender = 'spam.sender@mail.example';
    const company = await setUpCompany(api, 'spam-co', { address: 'jobs@spam-co.example', candidates: { 'cand-s': [sender] } });
    const raw = fixture('redirected-by-mailbox.eml', { SENDER: sender, COMPANY_ADDRESS: company.address, MESSAGE_ID: uniqueMessageId('spam') });

    const { outcomes } = await receiveAsSes(company, raw, { spam: 'FAIL' });

    assert.equal(outcomes[0].result, 'filed');
    const [filed, ...rest] = await listAll(api, company.token, '/v1/candidates/cand-s/messages');
    assert.equal(rest.length, 0);
    assert.equal(filed.flags.spam, true);
    assert.equal(filed.verdicts.spam, 'FAIL');
  });

  for (const check of ['spf', 'dkim', 'dmarc'] as const) {
    it(`never matches on From alone when ${check.toUpperCase()} failed: unassigned`, async () => {
      const sender = `${check}.sender@mail.example`;
      const company = await setUpCompany(api, `${check}-co`, { address: `jobs@${check}-co.example`, candidates: { 'cand-f': [sender] } });
      const raw = fixture('plain-from-sender.eml', { SENDER: sender, COMPANY_ADDRESS: company.address, SUBJECT: 'Perhaps forged', MESSAGE_ID: uniqueMessageId(check) });

      const { outcomes } = await receiveAsSes(company, raw, { [check]: 'FAIL' });

      assert.equal(outcomes[0].result, 'unassigned');
      assert.deepEqual(await listAll(api, company.token, '/v1/candidates/cand-f/messages'), []);
      const [unassigned, ...rest] = await listAll(api, company.token, '/v1/messages/unassigned');
      assert.equal(rest.length, 0);
      assert.equal(unassigned.candidateId, null);
      assert.equal(unassigned.match, null);
      assert.equal(unassigned.verdicts[check], 'FAIL');
    });
  }

  it('files the same mail once when Lambda delivers the same SES event again (no Message-ID to go by)', async () => {
    const sender = 'retry.sender@mail.example';
    const company = await setUpCompany(api, 'retry-co', { address: 'jobs@retry-co.example', candidates: { 'cand-r': [sender] } });
    const raw = fixture('no-message-id.eml', { SENDER: sender, COMPANY_ADDRESS: company.address });

    const first = await receiveAsSes(company, raw, {});
    const again = await inboundHandler(first.event, localLambdaContext('inbound-test', 30_000));

    assert.equal(first.outcomes[0].result, 'filed');
    assert.equal(again.outcomes[0].result, 'duplicate');
    assert.equal(again.outcomes[0].messageId, first.outcomes[0].messageId);
    const filed = await listAll(api, company.token, '/v1/candidates/cand-r/messages');
    assert.equal(filed.length, 1);
    assert.equal(filed[0].messageIdHeader, null);
  });
});
