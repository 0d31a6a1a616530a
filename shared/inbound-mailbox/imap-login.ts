/**
 * The login of a saved IMAP mailbox: the password, decrypted (purpose `imap-password`, the same
 * secret cipher as the SMTP password), or an access token of the scope's OAuth2 connection of
 * capability 7 (one token store: refreshed and rotated exactly as for sending).
 */
import { decryptSaved } from '../email-settings/email-settings-service';
import type { ScopeSettings } from '../email-settings/model';
import type { OAuthAccessTokens } from '../oauth/oauth-access-tokens';
import type { SecretCipher } from '../secrets/secret-cipher';
import type { OAuthTestCredentials } from '../smtp/test-smtp-settings';
import type { ImapServerSettings, StoredImap } from './model';

export const imapSecretContext = (companyId: string, scope: string) => ({ companyId, scope, purpose: 'imap-password' });

export interface ImapLoginDeps {
  cipher: SecretCipher;
  oauthTokens?: OAuthAccessTokens;
}

/** The saved mailbox with its password decrypted (only in memory). */
export async function savedImapSettings(deps: Pick<ImapLoginDeps, 'cipher'>, settings: ScopeSettings, imap: StoredImap): Promise<ImapServerSettings> {
  const password = imap.passwordCiphertext ? await deps.cipher.decrypt(imap.passwordCiphertext, imapSecretContext(settings.companyId, settings.scope)) : undefined;
  return { host: imap.host, port: imap.port, security: imap.security, username: imap.username, auth: imap.auth, password, folder: imap.folder };
}

/** Access tokens of the scope's OAuth2 connection, or null when it has none. */
export async function scopeOAuthLogin(deps: ImapLoginDeps, settings: ScopeSettings, options: { forceRefresh?: boolean } = {}): Promise<OAuthTestCredentials | null> {
  const tokens = deps.oauthTokens;
  if (!tokens || settings.smtp?.auth !== 'oauth2' || !settings.smtp.oauth) return null;
  const identity = (await decryptSaved(deps, settings)).oauth!;
  return {
    provider: identity.provider,
    flow: identity.flow,
    obtain: async () => ({ user: identity.account, accessToken: await tokens.accessTokenFor(identity, options) }),
  };
}
