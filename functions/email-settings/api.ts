import { emailSettingsOperations as ops } from '../../shared/api/email-settings-operations';
import { apiFunctionConfig } from '../../shared/config/function-configs';
import { bindOperations, createApiHandler, lazyHandlers } from '../../shared/http/api-handler';

/**
 * The email-settings function: its operations' specs are loaded at cold start (routing, access,
 * validation); the use cases, adapters and SDK clients behind them (operation-handlers.ts) on
 * the first request.
 */
export const handler = createApiHandler(bindOperations(ops, lazyHandlers(ops, async () => (await import('./operation-handlers')).handlers)), apiFunctionConfig());
