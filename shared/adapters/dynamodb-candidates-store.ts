import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CandidatesStore } from '../candidates/candidates-store';
import type { Candidate } from '../candidates/model';
import { getDocumentClient, getItem, tableName } from './dynamodb';

const companyKey = (companyId: string) => `COMPANY#${companyId}`;
const candidateKey = (id: string) => `CANDIDATE#${id}`;
const addressKey = (address: string) => `ADDRESS#${address}`;
const learnedKey = (address: string) => `LEARNED#${address}`;

/** Candidates and an address index (`ADDRESS#…` items holding a string set of candidate ids). */
export function createDynamoCandidatesStore(client = getDocumentClient(), table = tableName()): CandidatesStore {
  return {
    async get(companyId, candidateId) {
      const item = await getItem(client, table, { pk: companyKey(companyId), sk: candidateKey(candidateId) });
      if (!item) return null;
      const { pk: _pk, sk: _sk, type: _type, ...candidate } = item;
      return candidate as unknown as Candidate;
    },
    async put(candidate) {
      await client.send(
        new PutCommand({ TableName: table, Item: { pk: companyKey(candidate.companyId), sk: candidateKey(candidate.id), type: 'candidate', ...candidate } }),
      );
    },
    async delete(companyId, candidateId) {
      await client.send(new DeleteCommand({ TableName: table, Key: { pk: companyKey(companyId), sk: candidateKey(candidateId) } }));
    },
    async idsByAddress(companyId, address) {
      const item = await getItem(client, table, { pk: companyKey(companyId), sk: addressKey(address) });
      const ids = item?.candidateIds as Set<string> | undefined;
      return ids ? [...ids].sort() : [];
    },
    async indexAddress(companyId, address, candidateId) {
      await client.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: companyKey(companyId), sk: addressKey(address) },
          UpdateExpression: 'ADD candidateIds :id SET #type = :type',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':id': new Set([candidateId]), ':type': 'candidate-address' },
        }),
      );
    },
    async learnAddress(companyId, address, candidateId) {
      await client.send(
        new PutCommand({ TableName: table, Item: { pk: companyKey(companyId), sk: learnedKey(address), type: 'learned-address', candidateId } }),
      );
    },
    async learnedCandidateId(companyId, address) {
      const item = await getItem(client, table, { pk: companyKey(companyId), sk: learnedKey(address) });
      return item ? String(item.candidateId) : null;
    },
    async unindexAddress(companyId, address, candidateId) {
      await client.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: companyKey(companyId), sk: addressKey(address) },
          UpdateExpression: 'DELETE candidateIds :id',
          ExpressionAttributeValues: { ':id': new Set([candidateId]) },
        }),
      );
    },
  };
}
