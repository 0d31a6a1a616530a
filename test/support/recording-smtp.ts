import { isSmtpSendError, type SmtpMessage, type SmtpSendResult } from '../../shared/smtp/smtp-port';
import type { SmtpServerSettings, SmtpTestResult } from '../../shared/smtp/types';
import { tick } from './tick';

/** A stand-in for `testSmtpSettings`: records what it was given, answers as scripted. */
export class RecordingSmtpTester {
  readonly calls: { settings: SmtpServerSettings; options: { sendTestMessage?: { to: string } } }[] = [];
  /** Whether the scripted tests get as far as connecting (and so through the rate limit). */
  connects = true;
  /** Tests that got past `beforeConnect`: those that would have opened a connection. */
  connections = 0;
  private readonly outcomes: Partial<SmtpTestResult>[] = [];

  /** The next tests fail with these results (one per call); afterwards tests pass. */
  failNext(...results: Partial<SmtpTestResult>[]): this {
    this.outcomes.push(...results);
    return this;
  }

  readonly test = async (
    settings: SmtpServerSettings,
    options: { sendTestMessage?: { to: string }; beforeConnect?: (destination: { address: string; port: number }) => Promise<void> },
  ): Promise<SmtpTestResult> => {
    this.calls.push({ settings: structuredClone(settings), options: structuredClone({ sendTestMessage: options.sendTestMessage }) });
    if (this.connects) {
      await options.beforeConnect?.({ address: '192.0.2.25', port: settings.port });
      this.connections++;
    }
    await tick();
    const failure = this.outcomes.shift();
    const base: SmtpTestResult = {
      ok: true,
      stage: 'done',
      code: 'OK',
      message: 'The server accepted the login and the sender.',
      hint: null,
      smtpResponse: '250 2.1.5 Ok',
      durationMs: 12,
      egressIps: ['203.0.113.10'],
      transcript: ['S: 220 mail.acme.example ESMTP', 'C: AUTH PLAIN <redacted>', 'S: 235 2.7.0 Authentication successful'],
      warnings: [],
      sizeLimit: null,
    };
    return failure ? { ...base, ok: false, hint: 'Check the password', ...failure } : base;
  };
}

/**
 * A stand-in for `sendViaSmtp`: records every message with the settings it was sent with; each
 * call takes the next scripted error (an `SmtpSendError`), else the server accepts.
 */
export class RecordingSmtpSender {
  readonly attempts: { settings: SmtpServerSettings; message: SmtpMessage }[] = [];
  readonly accepted: { settings: SmtpServerSettings; message: SmtpMessage }[] = [];
  private readonly failures: Error[] = [];
  /** Runs during each attempt, before the outcome (e.g. an admin saving new settings meanwhile). */
  during: (() => Promise<void>) | null = null;

  failNext(...errors: Error[]): this {
    this.failures.push(...errors);
    return this;
  }

  readonly send = async (settings: SmtpServerSettings, message: SmtpMessage): Promise<SmtpSendResult> => {
    this.attempts.push({ settings: structuredClone(settings), message });
    await tick();
    // As sendViaSmtp does: the hook runs once the server asked for the data.
    const next = this.failures[0];
    const reachesData = !next || (isSmtpSendError(next) && (next.dataSent || next.stage === 'data'));
    if (reachesData) await message.beforeData?.();
    if (this.during) await this.during();
    await tick();
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.accepted.push({ settings: structuredClone(settings), message });
    return {
      accepted: true,
      response: '250 2.0.0 Ok: queued as 4Xyz12',
      acceptedRecipients: message.envelope.to,
      rejectedRecipients: [],
    };
  };
}
