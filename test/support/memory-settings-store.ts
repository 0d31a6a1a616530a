import type { ScopeSettings } from '../../shared/email-settings/model';
import type { SettingsStore } from '../../shared/email-settings/settings-store';
import type { StoredCircuit } from '../../shared/outbound/circuit-breaker';
import { AppError } from '../../shared/errors';
import { copy, tick } from './tick';

/** The SettingsStore contract in memory, with the same conditions as the DynamoDB adapter. */
export class MemorySettingsStore implements SettingsStore {
  readonly records = new Map<string, ScopeSettings>();
  readonly inbound = new Map<string, { companyId: string; scope: string }>();
  readonly markFailingCalls: { companyId: string; scope: string; revision: number; failure: ScopeSettings['failure'] }[] = [];

  private key = (companyId: string, scope: string) => `${companyId}#${scope}`;

  async get(companyId: string, scope: string) {
    await tick();
    const found = this.records.get(this.key(companyId, scope));
    return found ? copy(found) : null;
  }

  async list(companyId: string) {
    await tick();
    return [...this.records.values()].filter((settings) => settings.companyId === companyId).map(copy);
  }

  async create(settings: ScopeSettings) {
    await tick();
    const key = this.key(settings.companyId, settings.scope);
    if (this.records.has(key)) return false;
    this.records.set(key, copy(settings));
    return true;
  }

  async replace(settings: ScopeSettings, expectedVersion: number) {
    await tick();
    const key = this.key(settings.companyId, settings.scope);
    if (this.records.get(key)?.version !== expectedVersion) {
      throw new AppError('CONFLICT', 'The settings were changed by another request; reload and try again');
    }
    this.records.set(key, copy(settings));
  }

  async markFailing(companyId: string, scope: string, revision: number, failure: ScopeSettings['failure'], circuit: StoredCircuit) {
    await tick();
    this.markFailingCalls.push({ companyId, scope, revision, failure: copy(failure) });
    this.updateIfRevision(companyId, scope, revision, (current) => ({ ...current, status: 'failing', failure: copy(failure), circuit: copy(circuit) }));
  }

  async claimCircuitProbe(companyId: string, scope: string, next: StoredCircuit, seenNextProbeAt: string) {
    await tick();
    return this.updateIfRevision(companyId, scope, next.revision, (current) =>
      current.circuit?.revision === next.revision && current.circuit.nextProbeAt === seenNextProbeAt ? { ...current, circuit: copy(next) } : null,
    );
  }

  async markRecovered(companyId: string, scope: string, revision: number) {
    await tick();
    this.updateIfRevision(companyId, scope, revision, ({ circuit: _circuit, ...current }) => ({ ...current, status: 'verified', failure: null }));
  }

  /** As the adapter's conditions: only while the SMTP revision is `revision`; `change` null means its own condition failed. */
  private updateIfRevision(companyId: string, scope: string, revision: number, change: (current: ScopeSettings) => ScopeSettings | null): boolean {
    const current = this.records.get(this.key(companyId, scope));
    if (!current || current.smtp?.revision !== revision) return false;
    const next = change(current);
    if (!next) return false;
    this.records.set(this.key(companyId, scope), next);
    return true;
  }

  async rememberSizeLimit(companyId: string, scope: string, revision: number, sizeLimit: number | null) {
    await tick();
    const current = this.records.get(this.key(companyId, scope));
    if (!current?.smtp || current.smtp.revision !== revision) return;
    this.records.set(this.key(companyId, scope), { ...current, smtp: { ...current.smtp, sizeLimit } });
  }

  readonly scopeCounts = new Map<string, number>();

  async claimScopeSlot(companyId: string, max: number) {
    await tick();
    const count = this.scopeCounts.get(companyId) ?? 0;
    if (count >= max) return false;
    this.scopeCounts.set(companyId, count + 1);
    return true;
  }

  async releaseScopeSlot(companyId: string) {
    await tick();
    this.scopeCounts.set(companyId, (this.scopeCounts.get(companyId) ?? 0) - 1);
  }

  async reserveInboundAddress(localPart: string, companyId: string, scope: string) {
    await tick();
    const key = localPart.toLowerCase();
    if (this.inbound.has(key)) return false;
    this.inbound.set(key, { companyId, scope });
    return true;
  }

  /** Companies offboarded (test helper: a test marks one). */
  readonly offboarded = new Set<string>();

  async companyOffboarded(companyId: string) {
    await tick();
    return this.offboarded.has(companyId);
  }

  async findByInboundAddress(localPart: string) {
    await tick();
    const found = this.inbound.get(localPart.toLowerCase());
    return found ? { ...found } : null;
  }

  /** Test helper: the stored record, without a copy or a tick. */
  peek(companyId: string, scope: string): ScopeSettings | undefined {
    return this.records.get(this.key(companyId, scope));
  }
}
