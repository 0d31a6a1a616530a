import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalDynamo } from '../../infra/local/local-dynamodb';
import type { CandidatesStore } from '../../shared/candidates/candidates-store';
import { startLocalTable } from '../support/local-table';
import { MemoryCandidatesStore } from '../support/memory-candidates-store';

let dynamo: LocalDynamo;
let service: typeof import('../../shared/candidates/candidates-service');
let dynamoStore: CandidatesStore;

before(async () => {
  dynamo = await startLocalTable('concurrent-candidates');
  service = await import('../../shared/candidates/candidates-service');
  dynamoStore = (await import('../../shared/adapters/dynamodb-candidates-store')).createDynamoCandidatesStore();
});
after(() => dynamo.stop());

/** Every address indexed for the candidate is one of its stored addresses, and every stored one is indexed. */
async function assertIndexMatchesRecord(store: CandidatesStore, companyId: string, id: string, addresses: string[]) {
  const candidate = await store.get(companyId, id);
  assert.ok(candidate);
  for (const address of addresses) {
    const indexed = (await store.idsByAddress(companyId, address)).includes(id);
    assert.equal(indexed, candidate.emails.includes(address), `${address}: indexed ${indexed}, stored ${candidate.emails.includes(address)}`);
  }
}

for (const [name, makeStore] of [
  ['in memory', () => new MemoryCandidatesStore() as CandidatesStore],
  ['on dynalite', () => dynamoStore],
] as const) {
  describe(`concurrent PUT /v1/candidates/{id} (${name})`, () => {
    it('ends with the address index equal to the record, whichever PUT wins', async () => {
      const store = makeStore();
      const deps = { candidates: store, now: () => new Date() };
      const companyId = `acme-${name.replace(/\W/g, '')}`;
      await service.putCandidate(deps, companyId, 'cand-1', { emails: ['old@candidate.example'] });
      const addresses = ['old@candidate.example', ...Array.from({ length: 4 }, (_, i) => `new${i}@candidate.example`)];
      for (let round = 0; round < 3; round++) {
        await Promise.all(addresses.slice(1).map((address) => service.putCandidate(deps, companyId, 'cand-1', { emails: [address] })));
        await assertIndexMatchesRecord(store, companyId, 'cand-1', addresses);
      }
    });

    it('keeps closedAt when a PUT leaves it out, and reopens with null', async () => {
      const store = makeStore();
      const deps = { candidates: store, now: () => new Date() };
      const closed = await service.putCandidate(deps, 'acme-c', 'cand-2', { emails: ['c@candidate.example'], closedAt: '2026-03-01T10:00:00+02:00' });
      assert.equal(closed.closedAt, '2026-03-01T08:00:00.000Z');
      assert.equal((await service.putCandidate(deps, 'acme-c', 'cand-2', { emails: ['c@candidate.example'] })).closedAt, '2026-03-01T08:00:00.000Z');
      assert.equal((await service.putCandidate(deps, 'acme-c', 'cand-2', { emails: ['c@candidate.example'], closedAt: null })).closedAt, null);
    });

    it('refuses the id of an anonymized candidate and leaves no index entry behind', async () => {
      const store = makeStore();
      const deps = { candidates: store, now: () => new Date() };
      await service.putCandidate(deps, 'acme-t', 'cand-3', { emails: ['t@candidate.example'] });
      await store.unindexAddress('acme-t', 't@candidate.example', 'cand-3');
      await store.writeTombstone('acme-t', 'cand-3', 'era_x', new Date().toISOString());
      await assert.rejects(service.putCandidate(deps, 'acme-t', 'cand-3', { emails: ['t2@candidate.example'] }), { code: 'CONFLICT' });
      assert.deepEqual(await store.idsByAddress('acme-t', 't2@candidate.example'), []);
    });
  });
}
