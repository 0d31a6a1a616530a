import { candidatesOperations as ops } from '../../shared/api/candidates-operations';
import { candidateView, deleteCandidate, getCandidate, putCandidate } from '../../shared/candidates/candidates-service';
import { createDynamoCandidatesStore } from '../../shared/adapters/dynamodb-candidates-store';
import { createApiHandler, operation } from '../../shared/http/api-handler';

const deps = { candidates: createDynamoCandidatesStore(), now: () => new Date() };

export const handler = createApiHandler([
  operation(ops.put, async ({ caller, params, body }) => ({
    status: 200,
    body: candidateView(await putCandidate(deps, caller.companyId, params.candidateId, body)),
  })),
  operation(ops.get, async ({ caller, params }) => ({
    status: 200,
    body: candidateView(await getCandidate(deps, caller.companyId, params.candidateId)),
  })),
  operation(ops.delete, async ({ caller, params }) => {
    await deleteCandidate(deps, caller.companyId, params.candidateId);
    return { status: 204 };
  }),
]);
