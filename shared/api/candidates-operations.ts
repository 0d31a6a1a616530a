import { CandidateBody, CandidateParams, PutCandidateBody } from './candidates-schemas';
import { defineOperations, withJsonBody } from './operation';

/** The one resource these operations act on: a candidate of the caller's company. */
const oneCandidate = { path: '/v1/candidates/{candidateId}', params: CandidateParams, access: 'member' } as const;

export const candidatesOperations = defineOperations('candidates', {
  put: {
    ...oneCandidate, id: 'putCandidate', method: 'PUT', body: PutCandidateBody, maxBodyBytes: 16 * 1024,
    summary: 'Create or replace a candidate of the directory (the ATS keeps it in sync)',
    responses: { 200: withJsonBody('Stored', CandidateBody) },
  },
  get: {
    ...oneCandidate, id: 'getCandidate', method: 'GET',
    summary: 'One candidate',
    responses: { 200: withJsonBody('The candidate', CandidateBody) },
  },
  delete: {
    ...oneCandidate, id: 'deleteCandidate', method: 'DELETE',
    summary: 'Remove a candidate from the directory (their stored messages stay)',
    responses: { 204: { description: 'Removed' } },
  },
});
