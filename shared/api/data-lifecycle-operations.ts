import { CandidateParams } from './candidates-schemas';
import { AnonymizeBody, ErasureBody, ErasureParams, OffboardBody } from './data-lifecycle-schemas';
import { defineOperations, withJsonBody } from './operation';

/** Personal data: erasure (anonymize, offboard), retention and export. Admins only. */
export const dataLifecycleOperations = defineOperations('data-lifecycle', {
  anonymize: {
    id: 'anonymizeCandidate', method: 'POST', path: '/v1/candidates/{candidateId}/anonymize', access: 'admin',
    summary: 'Erase a candidate’s data everywhere (directory entry, every message with bodies, attachments and raw mail, index entries); a tombstone stays',
    params: CandidateParams, body: AnonymizeBody, maxBodyBytes: 1024,
    responses: { 202: withJsonBody('Accepted (or the erasure already under way or done); follow it at /v1/erasures/{erasureId}', ErasureBody) },
  },
  getErasure: {
    id: 'getErasure', method: 'GET', path: '/v1/erasures/{erasureId}', access: 'admin',
    summary: 'An erasure’s status, counts and times',
    params: ErasureParams,
    responses: { 200: withJsonBody('The erasure', ErasureBody) },
  },
  offboard: {
    id: 'offboardCompany', method: 'DELETE', path: '/v1/company', access: 'admin',
    summary: 'Offboarding: erase every item and object of the company; its inbound addresses stay reserved for good',
    body: OffboardBody, maxBodyBytes: 1024,
    responses: { 202: withJsonBody('Accepted (or the offboarding already under way); follow it at /v1/erasures/{erasureId}', ErasureBody) },
  },
});
