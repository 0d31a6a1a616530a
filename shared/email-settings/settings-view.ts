import { sendingRoute } from './company-fallback';
import type { ScopeSettings } from './model';
import { redirectView } from './redirect-check';
import { savedSettingsAdvice } from './saved-settings-advice';

/** The API's view of a scope: never the password or its ciphertext; `route` says where mail goes now. */
export function toSettingsView(settings: ScopeSettings, main: ScopeSettings | null, now = new Date()) {
  const route = sendingRoute(settings, main);
  const smtp = settings.smtp;
  return {
    scope: settings.scope,
    address: settings.address,
    displayName: settings.displayName,
    mode: settings.mode,
    smtp: smtp
      ? {
          host: smtp.host,
          port: smtp.port,
          security: smtp.security,
          username: smtp.username,
          fromAddress: smtp.fromAddress,
          fromName: smtp.fromName,
          passwordSet: smtp.passwordCiphertext !== null,
          auth: smtp.auth ?? 'password',
          oauth: smtp.oauth
            ? {
                provider: smtp.oauth.provider,
                flow: smtp.oauth.flow,
                account: smtp.oauth.account,
                tenantId: smtp.oauth.tenantId,
                connectedAt: smtp.oauth.connectedAt,
                connected: true as const,
              }
            : null,
        }
      : null,
    fallbackToDefault: settings.fallbackToDefault,
    status: settings.status,
    lastTest: settings.lastTest,
    failure: settings.failure,
    route,
    inboundAddress: settings.inboundAddress,
    redirect: redirectView(settings.redirect, settings.address, settings.inboundAddress, now),
    warnings: savedSettingsAdvice(settings),
    updatedAt: settings.updatedAt,
  } as const;
}
