import { dataLifecycleOperations as ops } from '../../shared/api/data-lifecycle-operations';
import { apiFunctionConfig } from '../../shared/config/function-configs';
import { bindOperations, createApiHandler, lazyHandlers } from '../../shared/http/api-handler';

/**
 * The data-lifecycle function (anonymize, erasures, offboarding): its operations' specs are
 * loaded at cold start; the use cases and adapters behind them (operation-handlers.ts) on the
 * first request.
 */
export const handler = createApiHandler(bindOperations(ops, lazyHandlers(ops, async () => (await import('./operation-handlers')).handlers)), apiFunctionConfig());
