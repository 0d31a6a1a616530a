import { pageQuery } from './common-schemas';
import { defineOperations, withJsonBody } from './operation';
import { SuppressionAddressParams, SuppressionPage } from './sender-reputation-schemas';

export const senderReputationOperations = defineOperations('suppressions', {
  list: {
    id: 'listSuppressions', method: 'GET', path: '/v1/suppressions', access: 'member', query: pageQuery,
    summary: 'Addresses the company no longer sends to through the default provider (a permanent bounce or a complaint), by address',
    responses: { 200: withJsonBody('A page', SuppressionPage) },
  },
  delete: {
    id: 'deleteSuppression', method: 'DELETE', path: '/v1/suppressions/{address}', access: 'admin', params: SuppressionAddressParams,
    summary: 'Send to this address through the default provider again',
    responses: { 204: { description: 'Lifted' } },
  },
});
