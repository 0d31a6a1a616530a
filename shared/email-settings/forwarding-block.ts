/**
 * The redirect check learns the forwarding block (DESIGN capability 12): Exchange Online refuses
 * to forward to outside addresses by default, and the bounce of the redirect test mail says so
 * (`550 5.7.520 Access denied, Your organization does not allow external forwarding. Please
 * contact your administrator for further assistance. AS(7555)`). Whoever sees that bounce (the
 * inbound filer, reading it from the mailbox or the inbound address; the default provider's
 * bounce events) turns the scope's redirect `failed` with `FORWARDING_BLOCKED` and the admin's
 * step, which also points to reading the mailbox over IMAP instead.
 */
import { REDIRECT_RESULTS } from '../error-catalogue';
import type { RedirectState, ScopeSettings } from './model';
import type { SettingsStore } from './settings-store';

/** Exchange Online's words for blocked external forwarding, in a DSN's status or diagnostic or a bounce's text. */
const FORWARDING_BLOCKED = /\b5\.7\.520\b|does not allow external forwarding|AS\(7555\)/i;

/**
 * Whether a bounce's diagnostic (a DSN's `Diagnostic-Code` or `Status`, an SES bounce event's
 * `diagnosticCode`, or the bounce's text) says that the company's mail system refused to
 * forward. The one place that recognises it: SES bounce events call it too.
 */
export function isForwardingBlockedBounce(...diagnostics: Array<string | null | undefined>): boolean {
  return diagnostics.some((diagnostic) => typeof diagnostic === 'string' && FORWARDING_BLOCKED.test(diagnostic));
}

/** The redirect state once the block is known: `failed`, `FORWARDING_BLOCKED`, the admin's step. */
export function forwardingBlockedRedirect(redirect: RedirectState): RedirectState {
  return { ...redirect, status: 'failed', code: 'FORWARDING_BLOCKED', hint: REDIRECT_RESULTS.FORWARDING_BLOCKED.hint };
}

/**
 * Records the block on the scope whose redirect test mail (`token`) bounced; false when that
 * test is no longer the scope's current one. A conflict throws (the caller's retry reads again).
 */
export async function markForwardingBlocked(store: Pick<SettingsStore, 'replace'>, settings: ScopeSettings, token: string, now: Date): Promise<boolean> {
  if (settings.redirect.token !== token || settings.redirect.status === 'verified') return false;
  const at = now.toISOString();
  await store.replace({ ...settings, redirect: forwardingBlockedRedirect(settings.redirect), updatedAt: at, version: settings.version + 1 }, settings.version);
  return true;
}
