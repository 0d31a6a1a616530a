/**
 * The `sendSmtp` collaborator of delivery, for settings that log in with OAuth2: gets an
 * access token first (a failure is an `SmtpSendError` of stage `oauth`, so delivery treats
 * `OAUTH_REAUTHORIZE_REQUIRED` like any configuration error: settings `failing`, fallback per
 * `fallbackToDefault`), and when the server refuses a token we thought valid (revoked early,
 * clock skew) refreshes it once and sends again on a new connection. Password settings pass
 * through unchanged.
 */
import { SmtpSendError, isSmtpSendError, type SendSmtp } from '../smtp/smtp-port';
import type { OAuthFlow, OAuthProvider, SmtpServerSettings } from '../smtp/types';
import type { OAuthAccessTokens } from './oauth-access-tokens';
import { isOAuthError } from './oauth-client';
import { oauthSmtpHint, oauthTokenHint } from './oauth-hints';


export function sendWithOAuth(tokens: OAuthAccessTokens, send: SendSmtp): SendSmtp {
  return async (settings, message) => {
    const identity = settings.oauth;
    if (!identity) return send(settings, message);
    const obtain = async (forceRefresh: boolean) => {
      try {
        return await tokens.accessTokenFor(identity, { forceRefresh });
      } catch (error) {
        if (!isOAuthError(error)) throw error;
        throw new SmtpSendError({
          code: error.code,
          stage: 'oauth',
          message: error.message,
          hint: oauthTokenHint(error, identity.flow),
          smtpResponse: error.providerResponse,
          dataSent: false,
          temporary: error.temporary,
        });
      }
    };
    const attempt = async (accessToken: string) => send({ ...settings, auth: 'oauth2', username: identity.account, accessToken }, message);
    try {
      return await attempt(await obtain(false));
    } catch (error) {
      if (!(isSmtpSendError(error) && error.stage === 'auth' && (error.code === 'AUTH_FAILED' || error.code === 'PROTOCOL_ERROR'))) {
        throw withOAuthHint(error, identity.provider, identity.flow, identity.account);
      }
    }
    try {
      return await attempt(await obtain(true));
    } catch (error) {
      throw withOAuthHint(error, identity.provider, identity.flow, identity.account);
    }
  };
}

function withOAuthHint(error: unknown, ...args: [provider: OAuthProvider, flow: OAuthFlow, account: string]): unknown {
  if (!isSmtpSendError(error) || error.stage !== 'auth') return error;
  const hint = oauthSmtpHint(error.code, ...args);
  if (!hint) return error;
  return new SmtpSendError({
    code: error.code,
    stage: error.stage,
    message: error.message,
    hint,
    smtpResponse: error.smtpResponse,
    dataSent: error.dataSent,
    temporary: error.temporary,
  });
}
