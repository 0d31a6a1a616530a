import { emailSettingsOperations as ops } from '../../shared/api/email-settings-operations';
import type { OperationResult } from '../../shared/api/operation';
import { emailSettingsDeps } from '../../shared/composition/email-settings-deps';
import { emailSettingsFunctionConfig } from '../../shared/config/function-configs';
import {
  deleteScopeSettings,
  getScopeSettings,
  listScopeSettings,
  saveScopeSettings,
  testScopeSettings,
  type SaveOutcome,
} from '../../shared/email-settings/email-settings-service';
import { companySettingsBehind } from '../../shared/email-settings/company-fallback';
import { completeOAuthConnect, startOAuthConnect } from '../../shared/email-settings/connect-oauth-mailbox';
import { MAIN_SCOPE, type ScopeSettings } from '../../shared/email-settings/model';
import { toSettingsView } from '../../shared/email-settings/settings-view';
import type { OperationHandlers } from '../../shared/http/api-handler';
import { guardDeps } from '../../shared/composition/sender-reputation-deps';
import { defaultProviderView } from '../../shared/sender-reputation/reputation-guard';

const config = emailSettingsFunctionConfig();
const deps = emailSettingsDeps(config);
const guard = guardDeps(config.tableName, config.defaultProvider);

/** A sub-company's `route` depends on the company's own settings; `defaultProvider` is the company's. */
async function view(companyId: string, settings: ScopeSettings) {
  const [main, defaultProvider] = await Promise.all([
    companySettingsBehind(deps.store, companyId, settings.scope, settings),
    defaultProviderView(guard, companyId),
  ]);
  return { ...toSettingsView(settings, main), defaultProvider };
}

/** `200` with the active settings and the test, or `422` with the test and the settings that stay active. */
async function saveAnswer(companyId: string, outcome: SaveOutcome): Promise<Extract<OperationResult<typeof ops.put>, { status: 200 | 422 }>> {
  const settings = await view(companyId, outcome.settings);
  if (outcome.saved) return { status: 200, body: { ...settings, test: outcome.test } };
  return {
    status: 422,
    body: {
      error: { code: 'SMTP_TEST_FAILED', message: `The settings were not saved: ${outcome.test.message}` },
      test: outcome.test,
      settings,
    },
  };
}

export const handlers: OperationHandlers<typeof ops> = {
  list: async ({ caller }) => {
    const [all, defaultProvider] = await Promise.all([listScopeSettings(deps, caller.companyId), defaultProviderView(guard, caller.companyId)]);
    const main = all.find((settings) => settings.scope === MAIN_SCOPE) ?? null;
    return { status: 200, body: { items: all.map((settings) => ({ ...toSettingsView(settings, main), defaultProvider })) } };
  },
  get: async ({ caller, params }) => ({
    status: 200,
    body: await view(caller.companyId, await getScopeSettings(deps, caller.companyId, params.scope)),
  }),
  put: async ({ caller, params, body }) => saveAnswer(caller.companyId, await saveScopeSettings(deps, caller.companyId, params.scope, body)),
  delete: async ({ caller, params }) => ({
    status: 200,
    body: await view(caller.companyId, await deleteScopeSettings(deps, caller.companyId, params.scope)),
  }),
  test: async ({ caller, params, body }) => ({
    status: 200,
    body: await testScopeSettings(deps, caller.companyId, params.scope, body),
  }),
  oauthStart: async ({ caller, params, body }) => ({
    status: 200,
    body: await startOAuthConnect(deps, caller.companyId, params.scope, params.provider, body),
  }),
  oauthComplete: async ({ caller, params, body }) =>
    saveAnswer(caller.companyId, await completeOAuthConnect(deps, caller.companyId, params.scope, params.provider, body)),
  redirectTest: async ({ caller, params }) => {
    // Only this route builds a mail (nodemailer's composer): loaded when it runs.
    const { sendRedirectTest } = await import('../../shared/email-settings/send-redirect-test');
    return { status: 202, body: await view(caller.companyId, await sendRedirectTest(deps, caller.companyId, params.scope)) };
  },
};
