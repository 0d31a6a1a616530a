import { senderReputationOperations as ops } from '../../shared/api/sender-reputation-operations';
import { suppressionsDeps } from '../../shared/composition/sender-reputation-deps';
import { senderReputationFunctionConfig } from '../../shared/config/function-configs';
import type { OperationHandlers } from '../../shared/http/api-handler';
import { liftSuppression, listSuppressions } from '../../shared/sender-reputation/suppressions';

const deps = suppressionsDeps(senderReputationFunctionConfig());

export const handlers: OperationHandlers<typeof ops> = {
  list: async ({ caller, query }) => ({ status: 200, body: await listSuppressions(deps, caller.companyId, query) }),
  delete: async ({ caller, params }) => {
    await liftSuppression(deps, caller.companyId, params.address);
    return { status: 204 };
  },
};
