import { CandidateParams } from './candidates-schemas';
import { AnonymizeBody, ErasureBody, ErasureParams, ExportAcceptedBody, ExportBody, ExportParams, OffboardBody, PutRetentionBody, RetentionBody } from './data-lifecycle-schemas';
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
  exportCandidate: {
    id: 'exportCandidate', method: 'POST', path: '/v1/candidates/{candidateId}/export', access: 'admin',
    summary: 'Export a candidate’s conversation (Art. 15/20): a zip with every message as .eml (inbound as received, outbound rebuilt) and index.json',
    params: CandidateParams,
    responses: { 202: withJsonBody('Accepted; follow it at /v1/exports/{exportId}', ExportAcceptedBody) },
  },
  getExport: {
    id: 'getExport', method: 'GET', path: '/v1/exports/{exportId}', access: 'admin',
    summary: 'An export’s status; once done, a download link valid 1 hour',
    params: ExportParams,
    responses: { 200: withJsonBody('The export', ExportBody) },
  },
  getRetention: {
    id: 'getDataRetention', method: 'GET', path: '/v1/data-retention', access: 'member',
    summary: 'The company’s retention policy (defaults until one is saved)',
    responses: { 200: withJsonBody('The policy', RetentionBody) },
  },
  putRetention: {
    id: 'putDataRetention', method: 'PUT', path: '/v1/data-retention', access: 'admin',
    summary: 'Set the retention policy: anonymize candidates closed longer than N days, delete unassigned mail older than N days (a daily job)',
    body: PutRetentionBody, maxBodyBytes: 1024,
    responses: { 200: withJsonBody('Saved; a field left out takes its default', RetentionBody) },
  },
  offboard: {
    id: 'offboardCompany', method: 'DELETE', path: '/v1/company', access: 'admin',
    summary: 'Offboarding: erase every item and object of the company; its inbound addresses stay reserved for good',
    body: OffboardBody, maxBodyBytes: 1024,
    responses: { 202: withJsonBody('Accepted (or the offboarding already under way); follow it at /v1/erasures/{erasureId}', ErasureBody) },
  },
});
