import type { StepResult } from './run-erasure';
import { ERASURE_PAGE, erasePage, type RunErasureDeps } from './run-erasure';
import type { ErasureRecord } from './erasure-model';


const none = { messages: 0, objects: 0 };

/** One step of offboarding a company (see ErasurePhase for the order). */
export async function companyErasureStep(deps: RunErasureDeps, record: ErasureRecord): Promise<StepResult> {
  const { companyId } = record;
  switch (record.phase) {
    case 'inbound': {
      // A warm inbound function may still know a retired address as the company's for
      // INBOUND_OWNER_MEMORY_SECONDS: the mail is erased only after that (offboardingSettleSeconds),
      // so none filed meanwhile is left behind.
      for (const localPart of await deps.company.inboundLocalParts(companyId)) await deps.company.retireInboundAddress(localPart);
      return { next: { phase: 'candidates', cursor: null }, erased: none, delaySeconds: deps.offboardingSettleSeconds };
    }
    case 'candidates': {
      const [candidateId] = await deps.company.candidateIdsAfter(companyId, record.cursor, 1);
      if (!candidateId) return { next: { phase: 'unassigned', cursor: null }, erased: none, delaySeconds: 0 };
      const page = await deps.messages.listByCandidate(companyId, candidateId, { limit: ERASURE_PAGE });
      const { erased, held } = await erasePage(deps, page.items);
      // The conversation is done when a page comes back empty; then the next candidate.
      return { next: { phase: 'candidates', cursor: page.items.length > 0 ? record.cursor : candidateId }, erased, delaySeconds: held ? 30 : 0 };
    }
    case 'unassigned': {
      const page = await deps.messages.listUnassigned(companyId, { limit: ERASURE_PAGE });
      const { erased } = await erasePage(deps, page.items);
      return { next: { phase: page.items.length > 0 ? 'unassigned' : 'quarantine' }, erased, delaySeconds: 0 };
    }
    case 'quarantine': {
      const ids = await deps.company.quarantinedMessageIds(companyId, ERASURE_PAGE);
      const found = (await Promise.all(ids.map((id) => deps.messages.get(id)))).filter((message) => message !== null);
      const { erased } = await erasePage(deps, found);
      return { next: { phase: ids.length > 0 ? 'quarantine' : 'objects' }, erased, delaySeconds: 0 };
    }
    case 'objects': {
      const deleted = await deps.company.deleteCompanyObjects(companyId, 1000);
      return { next: { phase: deleted > 0 ? 'objects' : 'items' }, erased: { messages: 0, objects: deleted }, delaySeconds: 0 };
    }
    case 'items': {
      const deleted = await deps.company.deleteCompanyItems(companyId, 100, record.erasureId);
      return { next: { phase: deleted > 0 ? 'items' : 'finish' }, erased: none, delaySeconds: 0 };
    }
    default:
      return { next: { phase: 'finish' }, erased: none, delaySeconds: 0 };
  }
}
