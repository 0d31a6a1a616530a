import { senderReputationOperations as ops } from '../../shared/api/sender-reputation-operations';
import { apiFunctionConfig } from '../../shared/config/function-configs';
import { bindOperations, createApiHandler, lazyHandlers } from '../../shared/http/api-handler';

/**
 * The suppressions API (the default provider's suppressed addresses): specs at cold start, the
 * use cases and the DynamoDB client (operation-handlers.ts) on the first request.
 */
export const handler = createApiHandler(bindOperations(ops, lazyHandlers(ops, async () => (await import('./operation-handlers')).handlers)), apiFunctionConfig());
