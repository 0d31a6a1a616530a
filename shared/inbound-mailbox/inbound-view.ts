import type { ScopeSettings } from '../email-settings/model';

/** The API's view of how inbound mail arrives: never the password, `passwordSet` instead. */
export function inboundView(settings: ScopeSettings) {
  const inbound = settings.inbound;
  const imap = inbound?.mode === 'imap' ? inbound.imap : null;
  if (!imap) return { mode: 'forward' as const, imap: null, lastPollAt: null, status: null, failure: null };
  const poll = settings.inboundPoll?.revision === imap.revision ? settings.inboundPoll : null;
  return {
    mode: 'imap' as const,
    imap: {
      host: imap.host,
      port: imap.port,
      security: imap.security,
      username: imap.username,
      auth: imap.auth,
      passwordSet: imap.passwordCiphertext !== null,
      folder: imap.folder,
      backfillDays: imap.backfillDays,
    },
    lastPollAt: poll?.lastPollAt ?? null,
    status: poll?.status ?? ('active' as const),
    failure: poll?.failure ?? null,
  };
}
