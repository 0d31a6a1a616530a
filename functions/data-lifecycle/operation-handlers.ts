import { dataLifecycleOperations as ops } from '../../shared/api/data-lifecycle-operations';
import { dataLifecycleDeps } from '../../shared/composition/data-lifecycle-deps';
import { dataLifecycleFunctionConfig } from '../../shared/config/function-configs';
import { erasureView } from '../../shared/data-lifecycle/erasure-model';
import { anonymizeCandidate, getErasure, offboardCompany } from '../../shared/data-lifecycle/start-erasure';
import { exportCandidate, getExport } from '../../shared/data-lifecycle/start-export';
import type { OperationHandlers } from '../../shared/http/api-handler';
import { getRetention, putRetention } from '../../shared/data-lifecycle/retention';

const deps = dataLifecycleDeps(dataLifecycleFunctionConfig());

const accepted = (erasureId: string) => ({ location: `/v1/erasures/${erasureId}` });

export const handlers: OperationHandlers<typeof ops> = {
  anonymize: async ({ caller, params, body }) => {
    const erasure = await anonymizeCandidate(deps, caller.companyId, params.candidateId, body);
    return { status: 202, body: erasureView(erasure), headers: accepted(erasure.erasureId) };
  },
  getErasure: async ({ caller, params }) => ({ status: 200, body: erasureView(await getErasure(deps, caller.companyId, params.erasureId)) }),
  exportCandidate: async ({ caller, params }) => {
    const started = await exportCandidate(deps, caller.companyId, params.candidateId);
    return { status: 202, body: { exportId: started.exportId, status: started.status }, headers: { location: `/v1/exports/${started.exportId}` } };
  },
  getExport: async ({ caller, params }) => ({ status: 200, body: await getExport(deps, caller.companyId, params.exportId) }),
  getRetention: async ({ caller }) => ({ status: 200, body: await getRetention(deps, caller.companyId) }),
  putRetention: async ({ caller, body }) => ({ status: 200, body: await putRetention(deps, caller.companyId, body) }),
  offboard: async ({ caller, body }) => {
    const erasure = await offboardCompany(deps, caller.companyId, body.confirm);
    return { status: 202, body: erasureView(erasure), headers: accepted(erasure.erasureId) };
  },
};
