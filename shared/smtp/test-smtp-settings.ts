/**
 * The "test settings" button (DESIGN section 2): runs the SMTP conversation stage by stage
 * against the company's server and stops at the first failure, answering within the total
 * deadline whatever the server does. Uses the probe session (smtp-probe-session.ts) for
 * exact stages; connects only to the IP checked by the destination guard.
 *
 * The steps: the OAuth2 token (`obtainAccessToken`), the preflight shared with sending
 * (smtp-preflight.ts), the destination guard, the connection, then `CONVERSATION`, one
 * named step per SMTP stage; a failure anywhere is classified once (`failedTest`).
 */
import { randomUUID } from 'node:crypto';
import tls from 'node:tls';
import MailComposer from 'nodemailer/lib/mail-composer';
import { isOAuthError } from '../oauth/oauth-client';
import { oauthSmtpHint, oauthTokenHint } from '../oauth/oauth-hints';
import { xoauth2InitialResponse } from '../oauth/xoauth2';
import { withSecretsRedacted } from '../security/secret-scope';
import { settingsWarning } from './advise-settings';
import { classifySmtpFailure, type SmtpFailure } from './classify-smtp-reply';
import { checkDestination, type CheckedDestination, type HostResolver } from './destination-guard';
import { redactDeep, redactText } from './redact-secrets';
import { defaultClientName } from './smtp-client-name';
import { preflight, settingsSecrets } from './smtp-preflight';
import { ProbeFailure, SmtpProbeSession, replyText, type SmtpReply, type TlsUpgradeOptions } from './smtp-probe-session';
import { TEST_TIMEOUTS, withTimeouts, type SmtpTimeouts } from './smtp-timeouts';
import { smtpTlsOptions, type ExtraCas } from './smtp-tls';
import type { OAuthFlow, OAuthProvider, OutboundPolicy, SettingsAdvice, SmtpServerSettings, SmtpStage, SmtpTestResult } from './types';

export interface TestSmtpOptions {
  policy: OutboundPolicy;
  /** The egress IPs customers allowlist; echoed in the answer. */
  egressIps: string[];
  resolver?: HostResolver;
  timeouts?: Partial<SmtpTimeouts>;
  /** Send a real test message to this address instead of stopping after RCPT. */
  sendTestMessage?: { to: string };
  /**
   * Called once the destination passed every check, just before the first connection: the
   * place for the per-company rate limit (tests refused before connecting cannot scan). What
   * it throws ends the test.
   */
  beforeConnect?: (destination: { address: string; port: number }) => Promise<void>;
  /** Milliseconds clock for `durationMs` (timeouts always use real timers). */
  clock?: () => number;
  /** Extra trusted CA certificates (tests, local mode); certificate checking stays on. */
  tlsCa?: ExtraCas;
  /** The name sent in EHLO. */
  clientName?: string;
  /**
   * Log in with OAuth2 (SASL XOAUTH2): `obtain` gets the user and access token first (stage
   * `oauth`); the user becomes the username and, when `fromAddress` is empty, the from address.
   */
  oauth?: OAuthTestCredentials;
}

export interface OAuthTestCredentials {
  provider: OAuthProvider;
  flow: OAuthFlow;
  obtain(): Promise<{ user: string; accessToken: string }>;
}

interface Ehlo {
  extensions: Set<string>;
  authMechanisms: string[];
  /** The largest message the server takes (`SIZE 10240000`), when it says so; `SIZE 0` means no limit. */
  sizeLimit: number | null;
}

function parseEhlo(reply: SmtpReply): Ehlo {
  const extensions = new Set<string>();
  let authMechanisms: string[] = [];
  let sizeLimit: number | null = null;
  for (const line of reply.lines.slice(1)) {
    const words = line.slice(4).trim().split(/\s+/);
    const keyword = (words[0] ?? '').toUpperCase();
    extensions.add(keyword);
    if (keyword === 'SIZE' && /^\d+$/.test(words[1] ?? '')) sizeLimit = Number(words[1]) || null;
    // Old servers announce "AUTH=LOGIN PLAIN" as well as or instead of "AUTH LOGIN PLAIN".
    if (keyword === 'AUTH' || keyword.startsWith('AUTH=')) {
      extensions.add('AUTH');
      const first = keyword.startsWith('AUTH=') ? [keyword.slice(5)] : [];
      authMechanisms = [...new Set([...authMechanisms, ...first, ...words.slice(1).map((w) => w.toUpperCase())])];
    }
  }
  return { extensions, authMechanisms, sizeLimit };
}

class Deadline {
  private readonly endsAt: number;
  constructor(totalMs: number) {
    this.endsAt = Date.now() + totalMs;
  }
  /** The stage's own timeout, cut to what is left of the whole test (at least 1 ms). */
  budget(stageMs: number): number {
    return Math.max(1, Math.min(stageMs, this.endsAt - Date.now()));
  }
}

type Verdict = Omit<SmtpTestResult, 'durationMs' | 'egressIps' | 'warnings' | 'transcript' | 'sizeLimit'>;

export async function testSmtpSettings(given: SmtpServerSettings, options: TestSmtpOptions): Promise<SmtpTestResult> {
  const clock = options.clock ?? Date.now;
  const startedAt = clock();
  const transcript: string[] = [];
  let settings = given;
  if (options.oauth) {
    const token = await obtainAccessToken(given, options.oauth, transcript);
    if (!token.ok) return { ...token.verdict, durationMs: Math.max(0, Math.round(clock() - startedAt)), egressIps: options.egressIps, transcript, warnings: [], sizeLimit: null };
    settings = token.settings;
  }
  const secrets = settingsSecrets(settings);
  return withSecretsRedacted(secrets, () => runSmtpTest(settings, options, { secrets, transcript, startedAt }));
}

/** Stage `oauth`: the access token, or the verdict of its failure. */
async function obtainAccessToken(
  given: SmtpServerSettings,
  oauth: OAuthTestCredentials,
  transcript: string[],
): Promise<{ ok: true; settings: SmtpServerSettings } | { ok: false; verdict: Verdict }> {
  try {
    const credentials = await oauth.obtain();
    transcript.push(`*  ${oauth.provider} issued an access token for ${credentials.user}`);
    return {
      ok: true,
      settings: { ...given, auth: 'oauth2', username: credentials.user, accessToken: credentials.accessToken, fromAddress: given.fromAddress || credentials.user },
    };
  } catch (error) {
    if (!isOAuthError(error)) throw error;
    transcript.push(`*  getting an access token from ${oauth.provider} failed: ${error.providerResponse ?? error.message}`);
    return {
      ok: false,
      verdict: { ok: false, stage: 'oauth', code: error.code, message: error.message, hint: oauthTokenHint(error, oauth.flow), smtpResponse: error.providerResponse },
    };
  }
}

/** What the steps of the conversation share. */
interface Conversation {
  settings: SmtpServerSettings;
  options: TestSmtpOptions;
  timeouts: SmtpTimeouts;
  deadline: Deadline;
  session: SmtpProbeSession;
  tls: TlsUpgradeOptions;
  /** What the server said so far (greeting, EHLO), to recognise the provider. */
  serverText: string;
  ehlo: Ehlo;
  /** The recipient: the test message's, or the from address itself. */
  to: string;
  /** The reply the answer quotes when every stage passed. */
  lastReply: SmtpReply | null;
}

type ConversationStep = (conversation: Conversation) => Promise<void>;

/** Implicit TLS (`security: ssl`) before anything is said. */
const implicitTls: ConversationStep = async (c) => {
  if (c.settings.security === 'ssl') await c.session.upgradeToTls(c.tls, c.deadline.budget(c.timeouts.tls));
};

const greeting: ConversationStep = async (c) => {
  const reply = await c.session.readReply('greeting', c.deadline.budget(c.timeouts.greeting));
  c.serverText += replyText(reply);
  if (reply.code !== 220) throw replyFailure('greeting', reply);
};

const ehlo: ConversationStep = async (c) => {
  const reply = await c.session.command(`EHLO ${c.options.clientName ?? defaultClientName()}`, 'ehlo', c.deadline.budget(c.timeouts.command));
  if (reply.code !== 250) throw replyFailure('ehlo', reply);
  c.serverText += `\n${replyText(reply)}`;
  c.ehlo = parseEhlo(reply);
};

const startTls: ConversationStep = async (c) => {
  if (c.settings.security !== 'starttls') return;
  if (!c.ehlo.extensions.has('STARTTLS')) throw new ProbeFailure({ kind: 'starttls_not_offered', stage: 'tls' });
  const ready = await c.session.command('STARTTLS', 'tls', c.deadline.budget(c.timeouts.command));
  if (ready.code !== 220) throw replyFailure('tls', ready);
  await c.session.upgradeToTls(c.tls, c.deadline.budget(c.timeouts.tls));
  // RFC 3207: everything learnt before TLS is forgotten; ask again.
  await ehlo(c);
};

const logIn: ConversationStep = async (c) => {
  const username = c.settings.username?.trim() ?? '';
  const timeoutMs = c.deadline.budget(c.timeouts.auth);
  if (c.settings.accessToken) await authenticateXoauth2(c.session, c.ehlo, username, c.settings.accessToken, timeoutMs);
  else if (username !== '') await authenticate(c.session, c.ehlo, username, c.settings.password ?? '', timeoutMs);
};

const mailFrom: ConversationStep = async (c) => {
  const from = c.settings.fromAddress.trim();
  const smtputf8 = /[^\x00-\x7f]/.test(from) && c.ehlo.extensions.has('SMTPUTF8') ? ' SMTPUTF8' : '';
  const reply = await c.session.command(`MAIL FROM:<${from}>${smtputf8}`, 'mail_from', c.deadline.budget(c.timeouts.command));
  if (reply.code !== 250) throw replyFailure('mail_from', reply);
};

const rcptTo: ConversationStep = async (c) => {
  const reply = await c.session.command(`RCPT TO:<${c.to}>`, 'rcpt', c.deadline.budget(c.timeouts.command));
  if (reply.code !== 250 && reply.code !== 251) throw replyFailure('rcpt', reply);
  c.lastReply = reply;
};

/** DATA with the test message when asked for; otherwise the transaction ends unsent. */
const dataOrReset: ConversationStep = async (c) => {
  if (!c.options.sendTestMessage) {
    // Nothing is sent: end the transaction. A refusal of RSET does not change the verdict.
    await c.session.command('RSET', 'done', c.deadline.budget(Math.min(c.timeouts.command, 2000))).catch(() => undefined);
    return;
  }
  const go = await c.session.command('DATA', 'data', c.deadline.budget(c.timeouts.command));
  if (go.code !== 354) throw replyFailure('data', go);
  c.session.writeRaw(dotStuff(await testMessage(c.settings, c.to)) + '.\r\n', '(test message sent)');
  const accepted = await c.session.readReply('data', c.deadline.budget(c.timeouts.data));
  if (accepted.code !== 250) throw replyFailure('data', accepted);
  c.lastReply = accepted;
};

/** The SMTP stages after the connection, in order; the first failure ends the test. */
const CONVERSATION: readonly ConversationStep[] = [implicitTls, greeting, ehlo, startTls, logIn, mailFrom, rcptTo, dataOrReset];

/** The conversation itself, inside the secret scope (every log line written meanwhile is redacted). */
async function runSmtpTest(
  settings: SmtpServerSettings,
  options: TestSmtpOptions,
  { secrets, transcript, startedAt }: { secrets: string[]; transcript: string[]; startedAt: number },
): Promise<SmtpTestResult> {
  const clock = options.clock ?? Date.now;
  const { warnings, refusal } = preflight(settings, options.policy);

  let conversation: Conversation | null = null;
  const finish = (result: Verdict): SmtpTestResult =>
    redactDeep(
      {
        ...result,
        durationMs: Math.max(0, Math.round(clock() - startedAt)),
        egressIps: options.egressIps,
        transcript,
        warnings,
        sizeLimit: conversation?.ehlo.sizeLimit ?? null,
      },
      secrets,
    );

  if (refusal) return finish({ ok: false, ...refusal, smtpResponse: null });

  const timeouts = withTimeouts(TEST_TIMEOUTS, options.timeouts);
  const deadline = new Deadline(timeouts.total);
  const destination = await checkDestination(settings.host, settings.port, options.policy, {
    resolver: options.resolver,
    dnsTimeoutMs: deadline.budget(timeouts.dns),
  });
  if (!destination.ok) {
    const { ok, code, stage, message, hint } = destination;
    return finish({ ok, code, stage, message, hint, smtpResponse: null });
  }
  transcript.push(`*  ${settings.host} resolved to ${destination.resolved.join(', ')}; connecting to ${destination.address}:${settings.port}`);

  await options.beforeConnect?.({ address: destination.address, port: settings.port });
  let session: SmtpProbeSession | null = null;
  try {
    session = await SmtpProbeSession.connect(destination.address, settings.port, deadline.budget(timeouts.connect), (text) =>
      redactText(text, secrets),
    );
    conversation = {
      settings,
      options,
      timeouts,
      deadline,
      session,
      tls: { host: destination.servername ?? destination.address, ...smtpTlsOptions(destination, options.policy, options.tlsCa) },
      serverText: '',
      ehlo: { extensions: new Set(), authMechanisms: [], sizeLimit: null },
      to: options.sendTestMessage?.to.trim() ?? settings.fromAddress.trim(),
      lastReply: null,
    };
    for (const step of CONVERSATION) await step(conversation);
    await session.close(deadline.budget(1000));
    transcript.push(...session.transcript);
    warnUntrustedCertificate(session, warnings);
    session = null;
    return finish({
      ok: true,
      stage: 'done',
      code: 'OK',
      message: options.sendTestMessage
        ? `The server accepted the login and a test message to ${conversation.to}.`
        : 'The server accepted the login, the sender and the recipient. No message was sent.',
      hint: null,
      smtpResponse: conversation.lastReply ? replyText(conversation.lastReply) : null,
    });
  } catch (error) {
    if (!(error instanceof ProbeFailure)) {
      session?.destroy();
      throw error;
    }
    return finish(
      await failedTest(error, { settings, options, secrets, timeouts, deadline, destination, session, serverText: conversation?.serverText ?? '', sizeLimit: conversation?.ehlo.sizeLimit ?? null, transcript, warnings }),
    );
  }
}

/** Closes what is left of the session and classifies the failure once. */
async function failedTest(
  error: ProbeFailure,
  at: {
    settings: SmtpServerSettings;
    options: TestSmtpOptions;
    secrets: string[];
    timeouts: SmtpTimeouts;
    deadline: Deadline;
    destination: CheckedDestination;
    session: SmtpProbeSession | null;
    serverText: string;
    sizeLimit: number | null;
    transcript: string[];
    warnings: SettingsAdvice[];
  },
): Promise<Verdict> {
  const { settings, options, secrets, timeouts, deadline, destination, session, serverText, transcript } = at;
  if (session) {
    warnUntrustedCertificate(session, at.warnings);
    session.note(describeFailure(error.failure, timeouts));
    // After a negative reply the session is still in step: leave politely but briefly.
    // After a timeout or a broken connection a QUIT would only wait for nothing.
    if (error.failure.kind === 'reply') await session.close(Math.min(500, deadline.budget(500)));
    else session.destroy();
    transcript.push(...session.transcript);
  } else {
    transcript.push(`*  ${describeFailure(error.failure, timeouts)}`);
  }
  // No greeting on a plain connection: a port that answers a TLS handshake expects SSL/TLS
  // from the start. One short handshake on the checked IP turns a guess into a diagnosis.
  const speaksImplicitTls =
    error.failure.stage === 'greeting' && settings.security !== 'ssl' && serverText === ''
      ? await answersTlsHandshake(destination.address, settings.port, destination.servername, Math.min(2500, deadline.budget(2500)))
      : false;
  if (speaksImplicitTls) transcript.push('*  a TLS handshake on the same port succeeds: the port expects SSL/TLS from the start');
  // Redacted before classifying: the classifier may quote or cut the server's text.
  const classification = classifySmtpFailure(redactDeep(error.failure, secrets), {
    host: settings.host,
    port: settings.port,
    security: settings.security,
    serverText: redactText(serverText, secrets),
    speaksImplicitTls,
    sizeLimit: at.sizeLimit,
  });
  // Without a test message the only recipient is the from address itself.
  const ownAddressRefused = classification.code === 'RECIPIENT_REJECTED' && !options.sendTestMessage;
  const tokenHint = options.oauth ? oauthSmtpHint(classification.code, options.oauth.provider, options.oauth.flow, settings.username ?? '') : null;
  return {
    ok: false,
    stage: error.failure.stage,
    code: classification.code,
    message: ownAddressRefused ? `The server does not accept mail for the from address ${settings.fromAddress} (the test addresses it to itself).` : classification.message,
    hint: ownAddressRefused
      ? 'Check that the from address is a mailbox or alias of this server; a typing mistake in it is the usual cause.'
      : (tokenHint ?? classification.hint),
    smtpResponse: error.reply === null ? null : redactText(error.reply, secrets),
  };
}

/** Worth knowing whether the test passed or not (a failed login on a self-signed server too). */
function warnUntrustedCertificate(session: SmtpProbeSession, warnings: SettingsAdvice[]): void {
  if (!session.untrustedCertificate) return;
  warnings.push(
    settingsWarning(
      'TLS_CERTIFICATE_UNTRUSTED',
      `The server's certificate is not trusted (${session.untrustedCertificate}); it was accepted only because the server is in a private range this installation allows.`,
      'Fine for a local test server; a real mail server needs a certificate from a public authority that matches its host name.',
    ),
  );
}

/** One transcript line saying what ended the conversation, for IT. */
function describeFailure(failure: SmtpFailure, timeouts: SmtpTimeouts): string {
  switch (failure.kind) {
    case 'timeout': {
      const limits: Partial<Record<SmtpStage, number>> = { connect: timeouts.connect, greeting: timeouts.greeting, tls: timeouts.tls, auth: timeouts.auth };
      const limit = limits[failure.stage] ?? timeouts.command;
      return `no answer during ${failure.stage} within ${Math.min(limit, timeouts.total)} ms (or the test's ${timeouts.total} ms budget)`;
    }
    case 'closed':
      return `the server closed the connection during ${failure.stage}`;
    case 'socket_error':
      return `${failure.stage} failed: ${failure.errorCode ? `${failure.errorCode}: ` : ''}${failure.errorMessage}`;
    case 'malformed_reply':
      return `not an SMTP reply during ${failure.stage}`;
    case 'auth_not_offered':
      return failure.mechanisms.length ? `no usable AUTH mechanism (offered: ${failure.mechanisms.join(' ')})` : 'the server offers no AUTH';
    case 'starttls_not_offered':
      return 'the server does not offer STARTTLS';
    case 'reply':
      return `stopped at ${failure.stage}`;
    case 'too_large':
      return `the message (${failure.messageSize} bytes) is larger than the server's SIZE ${failure.sizeLimit}`;
  }
}

function replyFailure(stage: SmtpStage, reply: SmtpReply): ProbeFailure {
  const failure: SmtpFailure = { kind: 'reply', stage, reply: replyText(reply) };
  return new ProbeFailure(failure);
}

/** AUTH PLAIN where offered, else LOGIN; credentials never enter the transcript. */
async function authenticate(session: SmtpProbeSession, ehlo: Ehlo, username: string, password: string, timeoutMs: number): Promise<void> {
  if (!ehlo.extensions.has('AUTH')) throw new ProbeFailure({ kind: 'auth_not_offered', stage: 'auth', mechanisms: [] });
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  const endsAt = Date.now() + timeoutMs;
  const left = () => Math.max(1, endsAt - Date.now());
  let reply: SmtpReply;
  if (ehlo.authMechanisms.includes('PLAIN')) {
    reply = await session.command(`AUTH PLAIN ${b64(`\u0000${username}\u0000${password}`)}`, 'auth', left(), 'AUTH PLAIN <redacted>');
    // A server that does not take the initial response asks for it with an empty 334.
    if (reply.code === 334) reply = await session.command(b64(`\u0000${username}\u0000${password}`), 'auth', left(), '<redacted>');
  } else if (ehlo.authMechanisms.includes('LOGIN')) {
    reply = await session.command('AUTH LOGIN', 'auth', left());
    if (reply.code === 334) reply = await session.command(b64(username), 'auth', left(), '<redacted username>');
    if (reply.code === 334) reply = await session.command(b64(password), 'auth', left(), '<redacted password>');
  } else {
    throw new ProbeFailure({ kind: 'auth_not_offered', stage: 'auth', mechanisms: ehlo.authMechanisms });
  }
  if (reply.code !== 235) throw replyFailure('auth', reply);
}

/**
 * SASL XOAUTH2 with the initial response. A refused token gets `334 <base64 JSON>` from Google
 * (the JSON's status and scope say why, shown in the transcript); the client answers with an
 * empty line and the server ends with `535 5.7.8`. Microsoft answers `535 5.7.3` at once.
 */
async function authenticateXoauth2(session: SmtpProbeSession, ehlo: Ehlo, username: string, accessToken: string, timeoutMs: number): Promise<void> {
  if (!ehlo.authMechanisms.includes('XOAUTH2')) {
    throw new ProbeFailure({ kind: 'auth_not_offered', stage: 'auth', mechanisms: ehlo.authMechanisms });
  }
  const endsAt = Date.now() + timeoutMs;
  const left = () => Math.max(1, endsAt - Date.now());
  let reply = await session.command(`AUTH XOAUTH2 ${xoauth2InitialResponse(username, accessToken)}`, 'auth', left(), 'AUTH XOAUTH2 <redacted>');
  if (reply.code === 334) {
    const challenge = reply.lines[0].slice(4).trim();
    const decoded = Buffer.from(challenge, 'base64').toString('utf8');
    if (/^\{[\s\S]*\}$/.test(decoded)) session.note(`the server's reason: ${decoded.replace(/\s+/g, ' ')}`);
    reply = await session.command('', 'auth', left(), '(empty line: ends the refused XOAUTH2 exchange)');
  }
  if (reply.code !== 235) throw replyFailure('auth', reply);
}

/** RFC 5321 4.5.2: a line starting with "." gets another one; the body ends with CRLF. */
export function dotStuff(message: string): string {
  const normalised = message.replace(/\r?\n/g, '\r\n');
  const stuffed = normalised.replace(/^\./gm, '..');
  return stuffed.endsWith('\r\n') ? stuffed : `${stuffed}\r\n`;
}

/** The test message, composed by nodemailer (never reading a file or URL). */
async function testMessage(settings: SmtpServerSettings, to: string): Promise<string> {
  const from = settings.fromAddress.trim();
  const composer = new MailComposer({
    from: settings.fromName ? { name: settings.fromName, address: from } : from,
    to,
    subject: 'SMTP settings test',
    date: new Date(),
    messageId: `<${randomUUID()}@${from.split('@')[1] ?? 'localhost'}>`,
    headers: { 'Auto-Submitted': 'auto-generated' },
    text: 'This message was sent to check the SMTP settings of your recruiting mailbox.\r\nThe settings work: no action is needed.\r\n',
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return (await composer.compile().build()).toString('utf8');
}

/** Whether ip:port completes a TLS handshake (any certificate: this only tells what the port speaks). */
function answersTlsHandshake(ip: string, port: number, servername: string | null, timeoutMs: number): Promise<boolean> {
  if (timeoutMs <= 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = tls.connect({ host: ip, port, ...(servername ? { servername } : {}), rejectUnauthorized: false });
    const done = (speaks: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(speaks);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
  });
}
