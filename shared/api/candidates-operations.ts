import { CandidateBody, CandidateParams, PutCandidateBody } from './candidates-schemas';
import { defineOperation } from './operation';

export const candidatesOperations = {
  put: defineOperation({
    id: 'putCandidate', method: 'PUT', path: '/v1/candidates/{candidateId}', tag: 'candidates', access: 'member',
    summary: 'Create or replace a candidate of the directory (the ATS keeps it in sync)',
    params: CandidateParams, body: PutCandidateBody, maxBodyBytes: 16 * 1024,
    responses: { 200: { description: 'Stored', schema: CandidateBody } },
  }),
  get: defineOperation({
    id: 'getCandidate', method: 'GET', path: '/v1/candidates/{candidateId}', tag: 'candidates', access: 'member',
    summary: 'One candidate',
    params: CandidateParams,
    responses: { 200: { description: 'The candidate', schema: CandidateBody } },
  }),
  delete: defineOperation({
    id: 'deleteCandidate', method: 'DELETE', path: '/v1/candidates/{candidateId}', tag: 'candidates', access: 'member',
    summary: 'Remove a candidate from the directory (their stored messages stay)',
    params: CandidateParams,
    responses: { 204: { description: 'Removed' } },
  }),
};
