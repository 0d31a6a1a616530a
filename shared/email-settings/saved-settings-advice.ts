/**
 * Advice about a scope's settings as saved, shown with every view of them: mail that goes out
 * From one address while the scope's `address` — the company mailbox that forwards candidates'
 * replies to the inbound address, and where the redirect check goes — is another. It happens
 * when an OAuth2 sign-in was made with another account than the scope's address: the signed-in
 * account becomes the From address (a provider sends only as the account it signed in).
 */
import { settingsWarning } from '../smtp/advise-settings';
import type { SettingsAdvice } from '../smtp/types';
import type { ScopeSettings } from './model';

export function savedSettingsAdvice(settings: ScopeSettings): SettingsAdvice[] {
  const smtp = settings.smtp;
  if (settings.mode !== 'smtp' || !smtp || !settings.address) return [];
  const from = smtp.fromAddress.trim();
  const address = settings.address.trim();
  if (from.toLowerCase() === address.toLowerCase()) return [];
  if (smtp.auth === 'oauth2' && smtp.oauth) {
    return [
      settingsWarning(
        'FROM_DIFFERS_FROM_ADDRESS',
        `Mail is now sent from the signed-in account ${from}, but this scope's address is ${address}.`,
        `Candidates will reply to ${from}. Sign in again as ${address}` +
          (smtp.oauth.provider === 'microsoft' ? ' (for a shared mailbox: the app flow with "mailbox")' : '') +
          `, or change the scope's address to ${from} and make that mailbox forward to ${settings.inboundAddress}.`,
      ),
    ];
  }
  return [
    settingsWarning(
      'FROM_DIFFERS_FROM_ADDRESS',
      `Mail is sent from ${from}, but this scope's address is ${address}.`,
      `Candidates will reply to ${from}: make that mailbox forward to ${settings.inboundAddress} too, or send from ${address}.`,
    ),
  ];
}
