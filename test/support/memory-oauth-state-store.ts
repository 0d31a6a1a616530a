import type { OAuthStateRecord, OAuthStateStore } from '../../shared/oauth/oauth-state-store';
import { copy, tick } from './tick';

/** The OAuthStateStore contract in memory: consumed once, only by its owner. */
export class MemoryOAuthStateStore implements OAuthStateStore {
  readonly records = new Map<string, OAuthStateRecord>();

  async put(record: OAuthStateRecord) {
    await tick();
    if (this.records.has(record.state)) throw new Error('state exists');
    this.records.set(record.state, copy(record));
  }

  async consume(state: string, owner: { companyId: string; scope: string; provider: OAuthStateRecord['provider'] }) {
    await tick();
    const found = this.records.get(state);
    if (!found || found.companyId !== owner.companyId || found.scope !== owner.scope || found.provider !== owner.provider) return null;
    this.records.delete(state);
    return copy(found);
  }
}
