/**
 * "This scope's settings, else the company's": a sub-company scope (any scope but `main`) sends
 * through the company's SMTP server and shows the company's display name when it has none of its
 * own. Every reader of that rule asks here.
 */
import { MAIN_SCOPE, type ScopeSettings } from './model';
import type { SettingsStore } from './settings-store';

/** The company's own settings (scope `main`) behind `scope`: the scope's settings themselves when it is `main`. */
export async function companySettingsBehind(
  store: Pick<SettingsStore, 'get'>,
  companyId: string,
  scope: string,
  scopeSettings: ScopeSettings | null,
): Promise<ScopeSettings | null> {
  return scope === MAIN_SCOPE ? scopeSettings : store.get(companyId, MAIN_SCOPE);
}

/** The scope's own server, else the company's; null means the default provider. */
export function smtpOwner(scope: ScopeSettings, company: ScopeSettings | null): ScopeSettings | null {
  if (scope.mode === 'smtp' && scope.smtp) return scope;
  if (company?.mode === 'smtp' && company.smtp) return company;
  return null;
}

/** Where a scope's mail goes now, as the API shows it. */
export function sendingRoute(scope: ScopeSettings, company: ScopeSettings | null): 'smtp' | 'company' | 'default' {
  return scope.mode === 'smtp' ? 'smtp' : scope.scope !== MAIN_SCOPE && company?.mode === 'smtp' ? 'company' : 'default';
}

/** The name the default sender shows for a scope: the scope's display name, else the company's, else its id. */
export function companyDisplayName(scope: ScopeSettings, company: ScopeSettings | null, companyId: string): string {
  return scope.displayName ?? company?.displayName ?? companyId;
}
