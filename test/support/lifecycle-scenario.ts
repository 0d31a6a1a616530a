/**
 * The mail of three candidates in two companies, through the real flows of a local backend
 * (API, send worker, inbound listener): what the data-lifecycle tests erase, export and take
 * inventory of. Jane (ACME) has sent and received mail with attachments, a threaded reply, an
 * idempotent send, a learned sender address and unassigned mail naming her; Bob (ACME) and
 * Hank (Globex) have mail of their own that must come through untouched.
 */
import { deliverTo, getMessage, listAll, rawMail, setUpCompany, type Company, uniqueMessageId } from './inbound-e2e';
import { waitForDelivery, type TestBackend } from './test-backend';

export interface Person {
  companyId: string;
  candidateId: string;
  name: string;
  addresses: string[];
  /** Unique strings of this person's mail: subjects, bodies, attachment contents. */
  markers: string[];
}

export interface LifecycleScenario {
  acme: Company;
  globex: Company;
  jane: Person;
  bob: Person;
  hank: Person;
  /** The raw bytes of Jane's first inbound mail, as the listener received them. */
  janeInboundRaw: Buffer;
}

/** Every string of a person the store could hold. */
export const stringsOf = (person: Person): string[] => [person.name, ...person.addresses, ...person.markers];

/** A mail with a text part and one attachment. */
function mailWithAttachment(fields: { from: string; to: string; cc?: string; subject: string; text: string; attachment: string; messageId: string; inReplyTo?: string }): Buffer {
  const boundary = `b-${Math.random().toString(36).slice(2)}`;
  return rawMail(
    [
      `From: ${fields.from}`,
      `To: ${fields.to}`,
      ...(fields.cc ? [`Cc: ${fields.cc}`] : []),
      `Subject: ${fields.subject}`,
      `Message-ID: <${fields.messageId}>`,
      ...(fields.inReplyTo ? [`In-Reply-To: ${fields.inReplyTo}`, `References: ${fields.inReplyTo}`] : []),
      'Date: Mon, 02 Mar 2026 09:00:00 +0000',
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
    ],
    [
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      fields.text,
      `--${boundary}`,
      'Content-Type: text/plain; name="notes.txt"',
      'Content-Disposition: attachment; filename="notes.txt"',
      '',
      fields.attachment,
      `--${boundary}--`,
    ],
  );
}

async function sendTo(api: TestBackend, company: Company, person: Person, label: string, idempotencyKey?: string): Promise<any> {
  const subject = `Subj-${label}-${person.candidateId}`;
  const text = `Body-${label}-${person.candidateId}`;
  const attachment = `Attach-${label}-${person.candidateId}`;
  person.markers.push(subject, text, attachment);
  const response = await api.request('POST', `/v1/candidates/${person.candidateId}/messages`, {
    token: company.token,
    body: { subject, text, attachments: [{ filename: 'offer.txt', contentType: 'text/plain', contentBase64: Buffer.from(attachment).toString('base64') }] },
    headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
  });
  if (response.status !== 202) throw new Error(`send answered ${response.status}: ${response.text}`);
  return waitForDelivery(api, company.token, response.json.id);
}

async function receiveFrom(api: TestBackend, company: Company, person: Person, label: string, from: string, extra: { inReplyTo?: string } = {}): Promise<Buffer> {
  const raw = mailWithAttachment({
    from: `${person.name} <${from}>`,
    to: company.address,
    subject: `Subj-${label}-${person.candidateId}`,
    text: `Body-${label}-${person.candidateId}`,
    attachment: `Attach-${label}-${person.candidateId}`,
    messageId: uniqueMessageId(`${label}-${person.candidateId}`),
    ...extra,
  });
  person.markers.push(`Subj-${label}-${person.candidateId}`, `Body-${label}-${person.candidateId}`, `Attach-${label}-${person.candidateId}`);
  await deliverTo(api, company, raw);
  return raw;
}

export async function seedLifecycleScenario(api: TestBackend): Promise<LifecycleScenario> {
  const jane: Person = { companyId: 'acme-lc', candidateId: 'cand-jane', name: 'Jane Erasable', addresses: ['jane.erasable@cand.example', 'j.erasable@other.example'], markers: [] };
  const bob: Person = { companyId: 'acme-lc', candidateId: 'cand-bob', name: 'Bob Keeper', addresses: ['bob.keeper@cand.example'], markers: [] };
  const hank: Person = { companyId: 'globex-lc', candidateId: 'cand-hank', name: 'Hank Globex', addresses: ['hank.globex@cand.example'], markers: [] };
  const acme = await setUpCompany(api, jane.companyId, { address: 'jobs@acme-lc.example' });
  const globex = await setUpCompany(api, hank.companyId, { address: 'jobs@globex-lc.example' });
  for (const [company, person] of [[acme, jane], [acme, bob], [globex, hank]] as const) {
    const put = await api.request('PUT', `/v1/candidates/${person.candidateId}`, { token: company.token, body: { emails: person.addresses, name: person.name } });
    if (put.status !== 200) throw new Error(`PUT candidate answered ${put.status}: ${put.text}`);
  }

  // Jane: a sent mail (idempotent), her mail with an attachment, and her reply in the thread.
  const sent = await sendTo(api, acme, jane, 'OUT1', 'idem-jane-1');
  const janeInboundRaw = await receiveFrom(api, acme, jane, 'IN1', jane.addresses[0]!);
  await receiveFrom(api, acme, jane, 'REPLY', jane.addresses[1]!, { inReplyTo: sent.messageIdHeader });
  // Unassigned mail that names her (an agency writing with her in Cc), and mail from an address
  // of hers the directory does not know, assigned to her by hand with `learn`.
  const agencyMarker = 'Subj-AGENCY-cand-jane';
  jane.markers.push(agencyMarker, 'Body-AGENCY-cand-jane');
  await deliverTo(api, acme, rawMail(['From: Agency <recruiter@agency.example>', `To: ${acme.address}`, `Cc: ${jane.addresses[0]}`, `Subject: ${agencyMarker}`, `Message-ID: <${uniqueMessageId('agency')}>`], ['Body-AGENCY-cand-jane']));
  jane.addresses.push('jane.home@private.example');
  await receiveFrom(api, acme, jane, 'HOME', 'jane.home@private.example');
  const home = (await listAll(api, acme.token, '/v1/messages/unassigned')).find((message) => message.subject === 'Subj-HOME-cand-jane');
  const assigned = await api.request('POST', `/v1/messages/${home.id}/assign`, { token: acme.token, body: { candidateId: jane.candidateId, learn: true } });
  if (assigned.status !== 200) throw new Error(`assign answered ${assigned.status}: ${assigned.text}`);

  // Bob and Hank: mail both ways.
  await sendTo(api, acme, bob, 'OUT1');
  await receiveFrom(api, acme, bob, 'IN1', bob.addresses[0]!);
  await sendTo(api, globex, hank, 'OUT1');
  await receiveFrom(api, globex, hank, 'IN1', hank.addresses[0]!);

  const conversation = await listAll(api, acme.token, `/v1/candidates/${jane.candidateId}/messages`);
  if (conversation.length !== 4) throw new Error(`Jane's conversation has ${conversation.length} messages, not 4`);
  await getMessage(api, acme.token, conversation[0].id);
  return { acme, globex, jane, bob, hank, janeInboundRaw };
}

/** Polls `GET /v1/erasures/{id}` until `done`, bounded. */
export async function waitForErasure(api: TestBackend, token: string, erasureId: string, timeoutMs = 60_000): Promise<any> {
  const endsAt = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < endsAt) {
    const response = await api.request('GET', `/v1/erasures/${erasureId}`, { token });
    last = response.json;
    if (response.status === 200 && response.json.status === 'done') return response.json;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Erasure ${erasureId} not done within ${timeoutMs} ms: ${JSON.stringify(last)}`);
}
