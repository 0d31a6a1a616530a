/**
 * The inbound test (DESIGN capability 12): connects to the company's IMAP server as the poller
 * will, stage by stage (`policy`/`dns` by the destination guard, `oauth` for the access token,
 * `connect`, `tls`, `greeting`, `auth`, `folder`), stops at the first failure and answers within
 * the deadline (15 s) whatever the server does. The answer has the SMTP test's shape.
 */
import { isOAuthError } from '../oauth/oauth-client';
import { oauthTokenHint } from '../oauth/oauth-hints';
import { accessTokenForms, mergeSecretForms } from '../oauth/xoauth2';
import { redactDeep, secretForms } from '../smtp/redact-secrets';
import type { OAuthTestCredentials } from '../smtp/test-smtp-settings';
import type { ImapResultCode } from '../error-catalogue';
import { classifyImapFailure } from './classify-imap-failure';
import { checkImapDestination, imapTargetOf, type ImapRoute } from './imap-destination';
import { isImapFailure, type ConnectMailbox, type MailboxReader } from './mailbox-reader';
import type { ImapServerSettings, ImapStage } from './model';

export const IMAP_TEST_DEADLINE_MS = 15_000;

export interface ImapTestResult {
  ok: boolean;
  stage: ImapStage;
  code: ImapResultCode;
  message: string;
  hint: string | null;
  /** The server's words where it said something (credentials redacted). */
  serverResponse: string | null;
  durationMs: number;
  egressIps: string[];
  transcript: string[];
}

export interface TestImapOptions extends ImapRoute {
  connect: ConnectMailbox;
  egressIps: string[];
  /** Called once the destination passed every check, just before connecting (the rate limit). */
  beforeConnect?: (destination: { address: string; port: number }) => Promise<void>;
  /** Log in with OAuth2: the user and access token come from here (stage `oauth`). */
  oauth?: OAuthTestCredentials;
  deadlineMs?: number;
  clock?: () => number;
}

type Verdict = Omit<ImapTestResult, 'durationMs' | 'egressIps' | 'transcript'>;

class DeadlinePassed extends Error {}

export async function testImapSettings(settings: ImapServerSettings, options: TestImapOptions): Promise<ImapTestResult> {
  const clock = options.clock ?? Date.now;
  const startedAt = clock();
  const deadlineMs = options.deadlineMs ?? IMAP_TEST_DEADLINE_MS;
  const endsAt = Date.now() + deadlineMs;
  const left = () => Math.max(1, endsAt - Date.now());
  const transcript: string[] = [];
  const secrets: string[] = secretForms(settings.username, settings.password);
  const finish = (verdict: Verdict): ImapTestResult =>
    redactDeep({ ...verdict, durationMs: Math.max(0, Math.round(clock() - startedAt)), egressIps: options.egressIps, transcript: transcript.slice(0, 200) }, secrets);

  const destination = await checkImapDestination(settings, options, Math.min(3000, left()));
  if (!destination.ok) {
    return finish({ ok: false, stage: destination.stage === 'policy' ? 'policy' : 'dns', code: destination.code as ImapResultCode, message: destination.message, hint: destination.hint, serverResponse: null });
  }
  transcript.push(`*  ${settings.host} resolved to ${destination.resolved.join(', ')}; connecting to ${destination.address}:${settings.port}`);

  let login: { user: string; password?: string; accessToken?: string } = { user: settings.username, password: settings.password };
  if (options.oauth) {
    try {
      const credentials = await options.oauth.obtain();
      secrets.push(...mergeSecretForms(accessTokenForms(credentials.user, credentials.accessToken)));
      transcript.push(`*  ${options.oauth.provider} issued an access token for ${credentials.user}`);
      login = { user: credentials.user, accessToken: credentials.accessToken };
    } catch (error) {
      if (!isOAuthError(error)) throw error;
      transcript.push(`*  getting an access token from ${options.oauth.provider} failed: ${error.providerResponse ?? error.message}`);
      return finish({ ok: false, stage: 'oauth', code: error.code, message: error.message, hint: oauthTokenHint(error, options.oauth.flow), serverResponse: error.providerResponse });
    }
  }
  await options.beforeConnect?.({ address: destination.address, port: settings.port });

  const context = {
    host: settings.host,
    port: settings.port,
    security: settings.security,
    auth: settings.auth,
    folder: settings.folder,
    username: login.user,
    oauth: options.oauth ? { provider: options.oauth.provider, flow: options.oauth.flow } : undefined,
  };
  let reader: MailboxReader | null = null;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlinePassed()), left());
  });
  let stage: ImapStage = 'connect';
  let finished = false;
  try {
    const target = imapTargetOf(destination, settings, options, login, Math.min(10_000, left()));
    const opening = options.connect(target, (line) => transcript.push(line));
    // A session that opens after the deadline is closed at once.
    opening.then((late) => (finished ? late.close() : undefined)).catch(() => undefined);
    reader = await Promise.race([opening, deadline]);
    stage = 'folder';
    const folder = await Promise.race([reader.openFolder(settings.folder), deadline]);
    transcript.push(`*  ${settings.folder}: ${folder.exists} messages, UIDVALIDITY ${folder.uidValidity}`);
    return finish({
      ok: true,
      stage: 'done',
      code: 'OK',
      message: `Signed in as ${login.user} and opened ${settings.folder} (${folder.exists} messages). Nothing was changed in the mailbox.`,
      hint: null,
      serverResponse: null,
    });
  } catch (error) {
    if (error instanceof DeadlinePassed) {
      const late: ImapResultCode = stage === 'connect' ? 'CONNECTION_TIMEOUT' : 'TEMPORARY_FAILURE';
      return finish({
        ok: false,
        stage,
        code: late,
        message: `The server did not answer within ${Math.round(deadlineMs / 1000)} seconds.`,
        hint: 'Check host and port (993 SSL/TLS, 143 STARTTLS); a firewall may drop the connection: ask your IT to allow the egress IP addresses listed here.',
        serverResponse: null,
      });
    }
    if (!isImapFailure(error)) throw error;
    transcript.push(`*  ${error.stage} failed: ${error.errorCode ? `${error.errorCode}: ` : ''}${error.message}`);
    const verdict = classifyImapFailure(error, context);
    return finish({ ok: false, ...verdict, serverResponse: error.serverText });
  } finally {
    finished = true;
    clearTimeout(timer);
    await (reader as MailboxReader | null)?.close().catch(() => undefined);
  }
}
