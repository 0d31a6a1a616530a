/**
 * The SES adapter's configuration set and tags, and the local SES stand-in's event publishing:
 * the SDK's real `SendRawEmail` against aws-ses-v2-local behind the simulator, every event read
 * back with the same parser the deployed function uses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LOCAL_SES_CREDENTIALS, startLocalSes, type LocalSes } from '../../infra/local/local-ses';
import { createSesDefaultProvider } from '../../shared/adapters/ses-default-provider';
import { newMessageId } from '../../shared/mail/message-id';
import { buildCandidateMail } from '../../shared/outbound/build-candidate-mail';
import { readSentMailTags, sentMailTags } from '../../shared/sender-reputation/message-tags';
import { parseSesDeliveryEvent, type SesDeliveryEvent } from '../../shared/sender-reputation/ses-delivery-event';

let ses: LocalSes;
const published: string[] = [];

before(async () => {
  ses = await startLocalSes({ port: 0 });
  ses.onEvents((event) => published.push(event));
});
after(async () => {
  await ses?.stop();
});

async function send(to: string[], configurationSetName?: string): Promise<{ providerMessageId: string; events: SesDeliveryEvent[] }> {
  published.length = 0;
  const provider = createSesDefaultProvider({ endpoint: ses.endpoint, region: 'us-east-1', credentials: LOCAL_SES_CREDENTIALS, configurationSetName });
  const mail = await buildCandidateMail({
    from: { address: 'no-reply@mail.recruiting.example', name: 'ACME Recruiting' },
    to,
    subject: 'Your interview',
    text: 'Hello',
    messageIdDomain: 'mail.recruiting.example',
    messageId: newMessageId('mail.recruiting.example'),
  });
  const result = await provider.send({ ...mail, tags: sentMailTags({ companyId: 'acme.de:hq', kind: 'candidate-mail', messageId: 'msg_42' }) });
  return { providerMessageId: result.providerMessageId, events: published.map(parseSesDeliveryEvent) };
}

const summary = (events: SesDeliveryEvent[]) =>
  events.map((event) => {
    if (event.eventType === 'Bounce') return `Bounce ${event.bounce!.bounceType}/${event.bounce!.bounceSubType}: ${event.bounce!.bouncedRecipients.map((r) => r.emailAddress).join(',')}`;
    if (event.eventType === 'Delivery') return `Delivery: ${event.delivery!.recipients.join(',')}`;
    if (event.eventType === 'Complaint') return `Complaint: ${event.complaint!.complainedRecipients.map((r) => r.emailAddress).join(',')}`;
    return event.eventType;
  });

describe('the local SES plays SES event publishing with the mailbox simulator', () => {
  it('publishes, for a send through a configuration set, the events of each simulator address with our tags', async () => {
    const to = [
      'success@simulator.amazonses.com',
      'bounce+c1@simulator.amazonses.com',
      'complaint@simulator.amazonses.com',
      'suppressionlist@simulator.amazonses.com',
      'ooto@simulator.amazonses.com',
    ];
    const { providerMessageId, events } = await send(to, 'recruiting-mail-test');
    assert.deepEqual(summary(events), [
      'Send',
      'Delivery: success@simulator.amazonses.com,ooto@simulator.amazonses.com,complaint@simulator.amazonses.com',
      'Bounce Permanent/General: bounce+c1@simulator.amazonses.com',
      'Bounce Permanent/OnAccountSuppressionList: suppressionlist@simulator.amazonses.com',
      'Complaint: complaint@simulator.amazonses.com',
    ]);
    for (const event of events) {
      assert.equal(event.mail.messageId, providerMessageId);
      assert.deepEqual(event.mail.destination, to);
      assert.deepEqual(event.mail.tags?.['ses:configuration-set'], ['recruiting-mail-test']);
      assert.deepEqual(readSentMailTags(event.mail.tags), { companyId: 'acme.de:hq', kind: 'candidate-mail', messageId: 'msg_42' });
    }
    const envelope = JSON.parse(published[2]!);
    assert.equal(envelope.source, 'aws.ses');
    assert.equal(envelope['detail-type'], 'Email Bounced');
    assert.equal(envelope.detail.bounce.bouncedRecipients[0].diagnosticCode, 'smtp; 550 5.1.1 user unknown');
  });

  it('delivers any other address, and publishes nothing for a send without a configuration set', async () => {
    assert.deepEqual(summary((await send(['jane@candidate.example'], 'recruiting-mail-test')).events), ['Send', 'Delivery: jane@candidate.example']);
    assert.deepEqual((await send(['bounce@simulator.amazonses.com'])).events, []);
  });
});
