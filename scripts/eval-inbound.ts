/**
 * Measures the WHOLE inbound pipeline on the real-mail corpus in ../shared/corpora, the way a
 * company uses it: the local backend in-process, a company scope with address
 * jobs@company.example, every expected original sender of the manifest registered as a
 * candidate, every .eml delivered byte for byte through the local inbound SMTP listener (the
 * SES stand-in) to the scope's inbound address, and then read back through the HTTP API:
 * where was each message filed?
 *
 *   npm run eval:inbound            (node --import tsx scripts/eval-inbound.ts [--verbose])
 *
 * Prints a table per manifest `kind` (filed under the expected candidate, under a wrong one,
 * unassigned, not stored), the plain-From baseline, how mails without an expected sender
 * (bounces, auto-replies...) were classified, and every miss with its match and evidence.
 * Exits 0 with a message when the corpus is absent (a fresh clone has no ../shared); exits 1
 * when any message is filed under a wrong candidate.
 *
 * Files are matched to stored messages by their Message-ID (the raw mail must stay as it is,
 * so nothing is added to it); mails without one by subject + From, in delivery order.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { startLocalBackend } from '../infra/local/local-backend';
import { signLocalToken } from '../infra/local/local-jwt';
import { classifyInboundMail } from '../shared/inbound/classify-inbound-mail';
import { parseInboundMail, type AttachmentSink, type ParsedInboundMail } from '../shared/inbound/parse-inbound-mail';
import { resolveOriginalSender } from '../shared/inbound/resolve-original-sender';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const corpusDir = resolve(repoRoot, '..', 'shared', 'corpora');
const COMPANY_ADDRESS = 'jobs@company.example';
const COMPANY_ID = 'eval-company';
const INBOUND_DOMAIN = 'inbound.localhost';
const DEFAULT_FROM = 'no-reply@mail.localhost';
const verbose = process.argv.includes('--verbose');

interface ManifestEntry {
  file: string;
  kind: string;
  expected_original_sender: string | null;
  header_from: string | null;
  client?: string;
}

/** The API's list view of a message (the fields this script reads). */
interface StoredMessage {
  id: string;
  candidateId: string | null;
  subject: string;
  from: { address: string } | null;
  messageIdHeader: string | null;
  receivedAt: string | null;
  match: { by: string; address: string | null } | null;
  originalSender: { address: string } | null;
  flags: { spam: boolean; autoReply: boolean; bounce: boolean } | null;
}

interface Delivery {
  entry: ManifestEntry;
  parsed: ParsedInboundMail | null;
  smtp: { ok: boolean; response: string };
}

type Outcome = 'correct' | 'wrong' | 'unassigned' | 'deduped' | 'not_stored';

interface FileResult extends Delivery {
  stored: StoredMessage | null;
  /** Other files with the same Message-ID: the product keeps one message per Message-ID. */
  sharedWith: string[];
  /** When another file of the same Message-ID is the one that was stored: that file. */
  dedupedInto: string | null;
  notStoredReason: string | null;
}


async function evaluate(): Promise<number> {
  const token = await signLocalToken(jwtSecret, { companyId: COMPANY_ID, roles: ['admin'] });
  const api = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> => {
    const response = await fetch(`${backend.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: (text ? JSON.parse(text) : undefined) as T };
  };

  const settings = await api<{ inboundAddress: string }>('PUT', '/v1/email-settings/main', { address: COMPANY_ADDRESS, mode: 'default' });
  if (settings.status !== 200) throw new Error(`PUT /v1/email-settings/main answered ${settings.status}: ${JSON.stringify(settings.json)}`);
  const inboundAddress = settings.json.inboundAddress;

  // One candidate per distinct expected sender.
  const candidateOf = new Map<string, string>();
  const unregistrable: string[] = [];
  const senders = [...new Set(manifest.map((e) => e.expected_original_sender?.toLowerCase()).filter((s): s is string => !!s))].sort();
  for (const [index, address] of senders.entries()) {
    const id = `cand-${String(index + 1).padStart(4, '0')}`;
    const put = await api('PUT', `/v1/candidates/${id}`, { emails: [address], name: `Corpus sender ${index + 1}` });
    if (put.status === 200 || put.status === 201) candidateOf.set(address, id);
    else unregistrable.push(`${address} (${put.status} ${JSON.stringify(put.json)})`);
  }
  const addressOf = new Map([...candidateOf].map(([address, id]) => [id, address]));

  // Deliver every file, in manifest order, over one SMTP session (RSET after a refusal).
  const deliveries: Delivery[] = [];
  const client = new InboundClient(backend.inboundSmtpPort);
  for (const entry of manifest) {
    const raw = await readFile(resolve(corpusDir, entry.file));
    const envelopeFrom = entry.header_from && /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/.test(entry.header_from) ? entry.header_from : COMPANY_ADDRESS;
    const smtp = await client.send(envelopeFrom, inboundAddress, raw);
    deliveries.push({ entry, parsed: await parseQuietly(raw), smtp });
  }
  await client.close();
  const deliveredAt = Date.now();
  await backend.idle();
  const filedAt = Date.now();

  // Where did everything go?
  const stored: StoredMessage[] = [];
  const collect = async (path: string) => {
    let cursor: string | null = null;
    do {
      const page: { status: number; json: { items: StoredMessage[]; nextCursor: string | null } } = await api('GET', `${path}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      if (page.status !== 200) throw new Error(`GET ${path} answered ${page.status}`);
      stored.push(...page.json.items);
      cursor = page.json.nextCursor;
    } while (cursor);
  };
  await collect('/v1/messages/unassigned');
  for (const id of candidateOf.values()) await collect(`/v1/candidates/${id}/messages`);
  const deadLetters = readDeadLetters(join(dataDir, 'dead-letters', 'inbound.jsonl'));

  const results = attribute(deliveries, stored, deadLetters);
  const outcomeOf = (result: FileResult): Outcome => {
    if (!result.stored) return 'not_stored';
    const expected = result.entry.expected_original_sender?.toLowerCase();
    const right = !!expected && candidateOf.get(expected) === result.stored.candidateId;
    // Dropped as a duplicate of a different mail with the same Message-ID: not this file's filing.
    if (result.dedupedInto && !right) return 'deduped';
    if (!result.stored.candidateId) return 'unassigned';
    return right ? 'correct' : 'wrong';
  };

  // Scored: mails with an expected sender.
  type Row = { mails: number; expected: number; correct: number; wrong: number; unassigned: number; deduped: number; notStored: number; fromCorrect: number; fromWrong: number };
  const emptyRow = (): Row => ({ mails: 0, expected: 0, correct: 0, wrong: 0, unassigned: 0, deduped: 0, notStored: 0, fromCorrect: 0, fromWrong: 0 });
  const rows = new Map<string, Row>();
  const total = emptyRow();
  // Not scored: mails without an expected sender (bounces, auto-replies, uncertain authors).
  type Unscored = { mails: number; underCandidate: number; unassigned: number; deduped: number; notStored: number; bounce: number; autoReply: number; spam: number };
  const unscored = new Map<string, Unscored>();
  const emptyUnscored = (): Unscored => ({ mails: 0, underCandidate: 0, unassigned: 0, deduped: 0, notStored: 0, bounce: 0, autoReply: 0, spam: 0 });
  const unscoredTotal = emptyUnscored();
  const misses: FileResult[] = [];
  const unscoredFiled: FileResult[] = [];

  for (const result of results) {
    const { kind } = result.entry;
    const expected = result.entry.expected_original_sender?.toLowerCase() ?? null;
    const outcome = outcomeOf(result);
    if (expected === null) {
      const u = unscored.get(kind) ?? unscored.set(kind, emptyUnscored()).get(kind)!;
      for (const target of [u, unscoredTotal]) {
        target.mails += 1;
        if (outcome === 'not_stored') target.notStored += 1;
        else if (outcome === 'deduped') target.deduped += 1;
        else if (outcome === 'unassigned') target.unassigned += 1;
        else target.underCandidate += 1;
        if (outcome === 'deduped') continue;
        if (result.stored?.flags?.bounce) target.bounce += 1;
        if (result.stored?.flags?.autoReply) target.autoReply += 1;
        if (result.stored?.flags?.spam) target.spam += 1;
      }
      if (outcome !== 'deduped' && result.stored?.candidateId) unscoredFiled.push(result);
      continue;
    }
    const row = rows.get(kind) ?? rows.set(kind, emptyRow()).get(kind)!;
    const plainFrom = result.parsed?.from?.address.toLowerCase() ?? null;
    for (const target of [row, total]) {
      target.mails += 1;
      target.expected += 1;
      if (outcome === 'correct') target.correct += 1;
      else if (outcome === 'wrong') target.wrong += 1;
      else if (outcome === 'unassigned') target.unassigned += 1;
      else if (outcome === 'deduped') target.deduped += 1;
      else target.notStored += 1;
      if (plainFrom === expected) target.fromCorrect += 1;
      else if (plainFrom && candidateOf.has(plainFrom)) target.fromWrong += 1;
    }
    if (outcome !== 'correct') misses.push(result);
  }
  for (const [kind, u] of unscored) {
    const row = rows.get(kind) ?? rows.set(kind, emptyRow()).get(kind)!;
    row.mails += u.mails;
    total.mails += u.mails;
  }

  const pct = (part: number, whole: number) => (whole ? `${((100 * part) / whole).toFixed(1)}%` : '-');
  console.log(`Inbound pipeline on ${manifest.length} corpus mails (${corpusDir})`);
  console.log(
    `  ${candidateOf.size} candidates registered; delivered through smtp://127.0.0.1:${backend.inboundSmtpPort} to ${inboundAddress} in ${((deliveredAt - startedAt) / 1000).toFixed(1)} s (backend start included; filing runs alongside), idle ${((filedAt - deliveredAt) / 1000).toFixed(1)} s after the last delivery; ${stored.length} messages stored`,
  );
  if (unregistrable.length) console.log(`  could not register as candidates: ${unregistrable.join('; ')}`);
  console.log('');
  console.log('With an expected sender (scored):');
  console.log(
    table(
      ['kind', 'mails', 'expected', 'correct', 'WRONG', 'unassigned', 'deduped by Message-ID', 'not stored', 'correct %', 'From-only correct', 'From-only wrong'],
      [...[...rows].sort(([a], [b]) => a.localeCompare(b)).map(([kind, r]) => [kind, r] as const), ['all', total] as const].map(([kind, r]) => [
        kind,
        String(r.mails),
        String(r.expected),
        String(r.correct),
        String(r.wrong),
        String(r.unassigned),
        String(r.deduped),
        String(r.notStored),
        pct(r.correct, r.expected),
        `${r.fromCorrect} (${pct(r.fromCorrect, r.expected)})`,
        String(r.fromWrong),
      ]),
    ),
  );
  console.log('');
  console.log('Without an expected sender (not scored: how they were classified):');
  console.log(
    table(
      ['kind', 'mails', 'under a candidate', 'unassigned', 'deduped by Message-ID', 'not stored', 'flag bounce', 'flag autoReply', 'flag spam'],
      [...[...unscored].sort(([a], [b]) => a.localeCompare(b)), ['all', unscoredTotal] as const].map(([kind, u]) => [
        kind,
        String(u.mails),
        String(u.underCandidate),
        String(u.unassigned),
        String(u.deduped),
        String(u.notStored),
        String(u.bounce),
        String(u.autoReply),
        String(u.spam),
      ]),
    ),
  );
  const correctShare = total.expected ? total.correct / total.expected : 1;
  console.log('');
  console.log(
    `Bar: >= 99% correct and none under a wrong candidate: ${pct(total.correct, total.expected)} correct, ${total.wrong} wrong -> ${correctShare >= 0.99 && total.wrong === 0 ? 'met' : 'NOT met'}`,
  );

  const context = { companyAddresses: [COMPANY_ADDRESS, inboundAddress], ourDomains: [INBOUND_DOMAIN, DEFAULT_FROM.split('@')[1]] };
  if (misses.length) {
    console.log('');
    console.log('Misses (with an expected sender):');
    for (const miss of misses) {
      const outcome = outcomeOf(miss);
      const expected = miss.entry.expected_original_sender!.toLowerCase();
      const got = miss.stored?.candidateId ? `${miss.stored.candidateId} (${addressOf.get(miss.stored.candidateId)})` : null;
      console.log(`${outcome.toUpperCase().padEnd(10)} ${miss.entry.kind.padEnd(18)} ${miss.entry.file}`);
      const where = got ? (outcome === 'deduped' ? `, the message kept for its Message-ID is under ${got}` : `, filed under ${got}`) : '';
      console.log(`           expected ${expected} (${candidateOf.get(expected) ?? 'not registered'})${where}`);
      printDetails(miss, context);
    }
  }
  if (unscoredFiled.length) {
    console.log('');
    console.log('Mails without an expected sender that were filed under a candidate:');
    for (const result of unscoredFiled) {
      console.log(`           ${result.entry.kind.padEnd(18)} ${result.entry.file}: ${result.stored!.candidateId} (${addressOf.get(result.stored!.candidateId!)})`);
      if (verbose) printDetails(result, context);
    }
  }
  const unflagged = results.filter(
    (r) => r.stored && !r.dedupedInto && ((r.entry.kind === 'bounce' && !r.stored.flags?.bounce) || (r.entry.kind === 'autoreply' && !r.stored.flags?.autoReply)),
  );
  if (unflagged.length) {
    console.log('');
    console.log('Bounces / auto-replies (by the manifest) stored without their flag:');
    for (const result of unflagged) console.log(`           ${result.entry.kind.padEnd(18)} ${result.entry.file}: flags ${JSON.stringify(result.stored!.flags)}`);
  }
  if (verbose) {
    console.log('');
    console.log('Not stored (all kinds):');
    for (const result of results.filter((r) => !r.stored)) console.log(`           ${result.entry.kind.padEnd(18)} ${result.entry.file}: ${result.notStoredReason}`);
  }
  const shared = results.filter((r) => r.sharedWith.length > 0);
  if (shared.length) {
    console.log('');
    console.log(
      `${shared.length} files share a Message-ID with another corpus file; the product stores the same mail once (Message-ID, From, Date and Subject) and different mails that reuse a Message-ID apart, so ${results.filter((r) => r.dedupedInto).length} of them were not stored as mails of their own. ` +
        `A dropped file counts as correct when the message kept for its Message-ID is under its expected candidate, else as "deduped".`,
    );
  }
  console.log(`\nDone in ${((Date.now() - startedAt) / 1000).toFixed(1)} s.`);
  return total.wrong > 0 ? 1 : 0;
}

function printDetails(result: FileResult, context: { companyAddresses: string[]; ourDomains: string[] }): void {
  if (!result.stored) {
    console.log(`           not stored: ${result.notStoredReason}`);
    return;
  }
  if (result.dedupedInto) console.log(`           not stored: same Message-ID as ${result.dedupedInto}, which was kept`);
  const { match, originalSender, flags } = result.stored;
  console.log(`           match ${match ? `${match.by} ${match.address ?? ''}` : 'null'}; originalSender ${originalSender?.address ?? 'null'}; flags ${JSON.stringify(flags)}`);
  if (result.parsed) {
    // The record's evidence is not part of the API; the resolver's trail is recomputed here.
    for (const line of resolveOriginalSender(result.parsed, context).evidence) console.log(`             · ${line}`);
  }
}

/**
 * Pairs each delivered file with the message stored for it: by Message-ID and, where several
 * stored messages share one, by subject + From; files without a Message-ID by subject + From in
 * delivery order. The product stores the same mail once but keeps different mails that reuse a
 * Message-ID apart, so a file with no message of its own was de-duplicated into another file's.
 */
function attribute(deliveries: Delivery[], stored: StoredMessage[], deadLetters: string[]): FileResult[] {
  const keyOf = (subject: string | undefined, from: string | undefined | null) => `${subject ?? ''}\u0000${(from ?? '').toLowerCase()}`;
  const byMessageId = new Map<string, StoredMessage[]>();
  // Stored messages not yet paired, per Message-ID + subject + From, in order of arrival.
  const unpaired = new Map<string, StoredMessage[]>();
  const withoutId = new Map<string, StoredMessage[]>();
  for (const message of stored) {
    if (message.messageIdHeader) {
      byMessageId.set(message.messageIdHeader, [...(byMessageId.get(message.messageIdHeader) ?? []), message]);
      const key = `${message.messageIdHeader}\u0000${keyOf(message.subject, message.from?.address)}`;
      unpaired.set(key, [...(unpaired.get(key) ?? []), message]);
    }
    else {
      const key = keyOf(message.subject, message.from?.address);
      withoutId.set(key, [...(withoutId.get(key) ?? []), message]);
    }
  }
  const arrival = (a: StoredMessage, b: StoredMessage) => (a.receivedAt ?? '').localeCompare(b.receivedAt ?? '') || a.id.localeCompare(b.id);
  for (const list of [...withoutId.values(), ...unpaired.values()]) list.sort(arrival);
  const filesById = new Map<string, Delivery[]>();
  for (const d of deliveries) {
    const id = d.parsed?.messageId;
    if (id && d.smtp.ok) filesById.set(id, [...(filesById.get(id) ?? []), d]);
  }
  const deliveryKey = (d: Delivery) => keyOf(d.parsed?.subject, d.parsed?.from?.address);

  return deliveries.map((delivery): FileResult => {
    const base = { ...delivery, sharedWith: [] as string[], dedupedInto: null as string | null, notStoredReason: null as string | null };
    if (!delivery.smtp.ok) return { ...base, stored: null, notStoredReason: `refused by the inbound listener: ${delivery.smtp.response}` };
    const id = delivery.parsed?.messageId;
    let found: StoredMessage | null = null;
    if (id) {
      const group = byMessageId.get(id) ?? [];
      const siblings = filesById.get(id) ?? [];
      base.sharedWith = siblings.filter((d) => d !== delivery).map((d) => d.entry.file);
      // Files are delivered in order, so same-header files pair with same-header messages in order;
      // a file left without one was stored as the same mail as an earlier file.
      found = unpaired.get(`${id}\u0000${deliveryKey(delivery)}`)?.shift() ?? null;
      if (!found && group.length > 0) {
        const earlier = siblings.find((d) => d !== delivery && deliveryKey(d) === deliveryKey(delivery)) ?? siblings.find((d) => d !== delivery);
        found = group.find((message) => keyOf(message.subject, message.from?.address) === deliveryKey(delivery)) ?? group[0];
        base.dedupedInto = earlier?.entry.file ?? '(another mail with this Message-ID)';
      }
    } else {
      found = withoutId.get(deliveryKey(delivery))?.shift() ?? null;
    }
    if (found) return { ...base, stored: found };
    return { ...base, stored: null, notStoredReason: whyNotStored(delivery, deadLetters) };
  });
}

function whyNotStored(delivery: Delivery, deadLetters: string[]): string {
  const smtpId = /stored as (\S+)/.exec(delivery.smtp.response)?.[1];
  const dead = smtpId ? deadLetters.find((line) => line.includes(smtpId)) : undefined;
  if (dead) return `filing failed (dead letter): ${JSON.parse(dead).error ?? 'unknown error'}`;
  if (!delivery.parsed) return 'accepted, not stored; the file does not parse here either';
  const classification = classifyInboundMail(delivery.parsed, { ourDomains: [INBOUND_DOMAIN, DEFAULT_FROM.split('@')[1]] });
  if (classification.kind === 'loop') return `ignored as our own mail coming back: ${classification.reasons.join('; ')}`;
  return `accepted (${delivery.smtp.response}) but not found through the API (no Message-ID match and no subject + From match)`;
}

function readDeadLetters(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** Discards attachment content: only the headers are needed here. */
const discardingSink: AttachmentSink = {
  async put(name, _contentType, content) {
    let size = 0;
    await new Promise<void>((done, fail) => {
      content
        .pipe(new Writable({ write: (chunk: Buffer, _encoding, next) => ((size += chunk.length), next()) }))
        .on('finish', done)
        .on('error', fail);
    });
    return { key: name, size };
  },
};

async function parseQuietly(raw: Buffer): Promise<ParsedInboundMail | null> {
  try {
    return await parseInboundMail(raw, discardingSink);
  } catch {
    return null;
  }
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.slice(0, -1).map(line), rule, line(rows[rows.length - 1])].join('\n');
}

/** One SMTP session to the local listener, reused for every mail; a refused mail is answered with RSET. */
class InboundClient {
  private connection: SMTPConnection | null = null;

  constructor(private readonly port: number) {}

  async send(from: string, to: string, raw: Buffer): Promise<{ ok: boolean; response: string }> {
    const connection = await this.open();
    return new Promise((done) => {
      connection.send({ from, to: [to] }, raw, (error, info) => {
        if (!error) return done({ ok: true, response: info.response ?? '' });
        const response = (error as { response?: string }).response ?? error.message;
        // The next mail starts a fresh transaction; a session that cannot reset is replaced.
        connection.reset((resetError) => {
          if (resetError) this.connection = null;
          done({ ok: false, response });
        });
      });
    });
  }

  async close(): Promise<void> {
    this.connection?.quit();
    this.connection = null;
  }

  private async open(): Promise<SMTPConnection> {
    if (this.connection && !(this.connection as unknown as { _destroyed?: boolean })._destroyed) return this.connection;
    const connection = new SMTPConnection({ host: '127.0.0.1', port: this.port, secure: false, ignoreTLS: true, connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 60_000 });
    connection.on('error', () => undefined);
    connection.on('end', () => {
      if (this.connection === connection) this.connection = null;
    });
    await new Promise<void>((done, fail) => connection.connect((error?: Error) => (error ? fail(error) : done())));
    this.connection = connection;
    return connection;
  }
}

// Run last: the classes and constants above are initialised by now.
if (!existsSync(resolve(corpusDir, 'manifest.json'))) {
  console.log(`No corpus at ${corpusDir}: nothing to evaluate (skipped).`);
  process.exit(0);
}

const startedAt = Date.now();
const manifest = JSON.parse(readFileSync(resolve(corpusDir, 'manifest.json'), 'utf8')) as ManifestEntry[];
const dataDir = mkdtempSync(join(tmpdir(), 'eval-inbound-'));
const jwtSecret = `eval-${Math.random().toString(36).slice(2)}`;
// The evaluation reads every conversation back at once: no stage throttling for it.
process.env.API_THROTTLE_RATE_LIMIT ??= '100000';
process.env.API_THROTTLE_BURST_LIMIT ??= '100000';
const backend = await startLocalBackend({
  port: 0,
  sesPort: 0,
  dataDir,
  fresh: true,
  inMemory: true,
  jwtSecret,
  inboundDomain: INBOUND_DOMAIN,
  defaultFromAddress: DEFAULT_FROM,
});

let exitCode = 0;
try {
  exitCode = await evaluate();
} finally {
  await backend.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
