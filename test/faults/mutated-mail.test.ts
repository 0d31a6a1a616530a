/**
 * Fault suite, mutated mails: truncated, NUL and control bytes in headers (and in a part's
 * Content-Type, which once went into the storage upload's header), a never-closing boundary,
 * 300-deep nesting. Each is acknowledged by the inbound listener and findable through the API
 * (under the candidate or unassigned), with a malformed part kept as opaque bytes; replaying a
 * stored mail through the inbound function works and files nothing twice.
 */
import '../support/quiet-logs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sesEventFor } from '../../shared/messages/ses-receipt';
import { startTestBackend, type TestBackend } from '../support/test-backend';
import { deliver, getMessage, listAll, setUpCompany, uniqueMessageId } from '../support/inbound-e2e';
import { mutatedMails } from './mutated-mail';

let api: TestBackend;

before(async () => {
  api = await startTestBackend();
});

after(async () => {
  await api?.stop();
});

describe('fault suite: mutated mails', () => {
  it('every mutated mail is acknowledged, filed once and findable; replay files nothing twice', async () => {
    const sender = 'mutant@candidate.example';
    const company = await setUpCompany(api, 'mutant-co', { address: 'jobs@mutant-co.example', candidates: { 'cand-mutant': [sender] } });
    const mails = mutatedMails(sender, company.address, uniqueMessageId);
    const stored: Array<{ name: string; id: string }> = [];
    for (const mail of mails) {
      const answer = await deliver(api.backend.inboundSmtpPort, { from: 'forwarder@mutant-co.example', to: [company.inboundAddress] }, mail.raw);
      const id = /stored as (\S+)/.exec(answer)?.[1];
      assert.ok(id, `${mail.name}: acknowledged with the stored id (${answer})`);
      stored.push({ name: mail.name, id });
    }
    await api.backend.idle();

    const filed = [
      ...(await listAll(api, company.token, '/v1/candidates/cand-mutant/messages')),
      ...(await listAll(api, company.token, '/v1/messages/unassigned')),
    ];
    const accepted = mails.length;
    const findable = new Set(filed.map((item) => item.id)).size;
    process.stdout.write(`# mutated mails: accepted ${accepted}, findable ${findable}, duplicated ${filed.length - findable}, lost ${accepted - findable}\n`);
    assert.equal(filed.length, accepted, `filed ${filed.length} of ${accepted}`);
    assert.equal(findable, accepted);

    for (const item of filed) {
      const message = await getMessage(api, company.token, item.id);
      for (const attachment of message.attachments) {
        assert.match(attachment.contentType, /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/, `a storable media type: ${JSON.stringify(attachment.contentType)}`);
        assert.doesNotMatch(attachment.filename, /[\u0000-\u001f\u007f]/, 'no control bytes in the filename');
        const download = await fetch(attachment.downloadUrl);
        assert.equal(download.status, 200, `${attachment.filename} downloads`);
        await download.arrayBuffer();
      }
    }
    const controlType = filed.find((item) => item.subject === 'CV attached');
    assert.ok(controlType, 'the mail with a control byte in a Content-Type is filed');
    const cv = (await getMessage(api, company.token, controlType.id)).attachments[0];
    assert.equal(cv.contentType, 'application/octet-stream', 'a malformed part type is stored as opaque bytes');

    // Replay (the operator's tool calls the inbound function the same way) works on such mail.
    const replayed = await api.request('POST', '/2015-03-31/functions/inbound/invocations', {
      rawBody: JSON.stringify(sesEventFor({ messageId: stored[0].id, source: '', recipients: [company.inboundAddress], timestamp: new Date() })),
    });
    assert.equal(replayed.status, 200);
    assert.equal(replayed.headers.get('x-amz-function-error'), null, replayed.text);
    assert.match(replayed.text, /"result":"duplicate"/);
    const after = await listAll(api, company.token, '/v1/candidates/cand-mutant/messages');
    const unassigned = await listAll(api, company.token, '/v1/messages/unassigned');
    assert.equal(after.length + unassigned.length, accepted, 'replay filed nothing twice');
  });
});
