/**
 * A scope's `smtp.limits` (capability 11): what the admin set, completed from the preset of the
 * detected provider (provider-presets.ts). Settings saved before limits existed, or connected
 * with OAuth, have none stored and get the preset.
 */
import { presetLimits } from '../smtp/provider-presets';
import type { SmtpLimits } from '../smtp/types';
import type { StoredSmtp } from './model';

/** The limits a stored configuration sends with. */
export function effectiveLimits(smtp: Pick<StoredSmtp, 'host' | 'username' | 'limits' | 'oauth'>): SmtpLimits {
  return smtp.limits ?? presetLimits(smtp.host, smtp.oauth?.account ?? smtp.username);
}

/**
 * The limits to store for submitted settings: each field given wins; a missing one keeps what
 * the same mailbox (host and login) had, else the provider's preset.
 */
export function limitsToStore(
  given: Partial<SmtpLimits> | undefined,
  server: { host: string; username?: string | null },
  current: StoredSmtp | null,
  serverText?: string,
): SmtpLimits {
  const sameMailbox =
    current !== null &&
    current.host.toLowerCase() === server.host.toLowerCase() &&
    (current.username ?? '').toLowerCase() === (server.username ?? '').toLowerCase();
  const base = sameMailbox ? effectiveLimits(current) : presetLimits(server.host, server.username, serverText);
  return {
    maxConnections: given?.maxConnections !== undefined ? given.maxConnections : base.maxConnections,
    perMinute: given?.perMinute !== undefined ? given.perMinute : base.perMinute,
    perDay: given?.perDay !== undefined ? given.perDay : base.perDay,
  };
}
