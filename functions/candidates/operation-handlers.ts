import { candidatesOperations as ops } from '../../shared/api/candidates-operations';
import { candidateView, deleteCandidate, getCandidate, putCandidate } from '../../shared/candidates/candidates-service';
import { createDynamoCandidatesStore } from '../../shared/adapters/dynamodb-candidates-store';
import type { OperationHandlers } from '../../shared/http/api-handler';

const deps = { candidates: createDynamoCandidatesStore(), now: () => new Date() };

export const handlers: OperationHandlers<typeof ops> = {
  put: async ({ caller, params, body }) => ({
    status: 200,
    body: candidateView(await putCandidate(deps, caller.companyId, params.candidateId, body)),
  }),
  get: async ({ caller, params }) => ({
    status: 200,
    body: candidateView(await getCandidate(deps, caller.companyId, params.candidateId)),
  }),
  delete: async ({ caller, params }) => {
    await deleteCandidate(deps, caller.companyId, params.candidateId);
    return { status: 204 };
  },
};
