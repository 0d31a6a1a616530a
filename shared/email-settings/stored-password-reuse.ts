import { normalizeHost } from '../smtp/advise-settings';
import type { SmtpServerSettings } from '../smtp/types';
import type { StoredSmtp } from './model';

/**
 * When submitted settings leave the password out, the stored one may be used only where it was
 * meant to go: the same host (compared without case and a trailing dot, as DNS does) and exactly
 * the same username (without case, as mail servers compare logins), and never over a connection
 * without TLS, where anyone on the path could read it. Any port is fine: moving from 587 to
 * 465 is a usual fix. Returns why not, or null when the stored password may be used.
 */
export function storedPasswordReuseRefusal(
  saved: Pick<StoredSmtp, 'host' | 'username' | 'passwordCiphertext'> | null | undefined,
  submitted: { host: string; username: string; security: SmtpServerSettings['security'] },
): { message: string; detail: string } | null {
  if (!saved?.passwordCiphertext) {
    return { message: 'A password is needed for this host and username', detail: 'is required: no password is stored for this host and username' };
  }
  const sameHost = normalizeHost(saved.host) === normalizeHost(submitted.host);
  const sameUser = (saved.username ?? '').toLowerCase() === submitted.username.toLowerCase();
  if (!sameHost || !sameUser) {
    return {
      message: 'A password is needed for this host and username',
      detail: 'is required: the stored password is only used for the host and username it was saved for',
    };
  }
  if (submitted.security === 'none') {
    return {
      message: 'The stored password is never sent without encryption; type it again to use it over an unencrypted connection',
      detail: 'is required with security "none": the stored password is only sent over STARTTLS or SSL/TLS',
    };
  }
  return null;
}

