/**
 * The circuit breaker of a company's SMTP server. Once a configuration-type failure marks the
 * settings `failing`, the circuit of that SMTP revision is open: mail does not go to the server
 * (it takes the fallback route, or waits when `fallbackToDefault` is false) until a cool-down
 * has passed; then one message, the probe, tries the server again. The probe's success closes
 * the circuit and brings the settings back to `verified`; its failure opens it again with a
 * longer cool-down (doubled each time, up to a maximum).
 *
 * The state lives beside the settings (`circuit`), written with conditions on the SMTP revision
 * only, never on the settings' version, so that it never makes an admin's save answer CONFLICT.
 * A save creates a new revision, whose circuit is closed: the state of another revision is
 * ignored.
 */
import type { ScopeSettings } from '../email-settings/model';

export interface CircuitPolicy {
  /** The first cool-down after the circuit opened, before a probe may try the server. */
  cooldownSeconds: number;
  /** The longest cool-down, however many probes failed in a row. */
  maxCooldownSeconds: number;
}

/** An open (or probing) circuit, as stored on the settings. */
export interface StoredCircuit {
  /** The SMTP revision it is about; the circuit of any other revision is closed. */
  revision: number;
  /** `half-open`: one probe message is trying the server; the others still stay away. */
  state: 'open' | 'half-open';
  /** When the circuit opened (the first failure of the series). */
  since: string;
  /** When a (next) probe may try the server. */
  nextProbeAt: string;
  /** Failures in a row: the first one and every failed probe; the cool-down doubles with each. */
  failures: number;
}

export type CircuitState = 'closed' | StoredCircuit['state'];

/** What a message does with the company's server right now. */
export type CircuitDecision =
  | { kind: 'send' }
  /** This message is the probe: the circuit was claimed half-open for it. */
  | { kind: 'probe' }
  /** Stay away from the server until `retryAt`. */
  | { kind: 'stay-away'; retryAt: Date };

/** The circuit of the settings' current SMTP revision; null when it is closed. */
export function currentCircuit(settings: Pick<ScopeSettings, 'smtp' | 'circuit'>): StoredCircuit | null {
  const circuit = settings.circuit ?? null;
  return circuit && settings.smtp && circuit.revision === settings.smtp.revision ? circuit : null;
}

/** The circuit after a configuration-type failure of `revision` at `at`. */
export function openedCircuit(previous: StoredCircuit | null, revision: number, at: Date, policy: CircuitPolicy): StoredCircuit {
  const continued = previous?.revision === revision ? previous : null;
  const failures = (continued?.failures ?? 0) + 1;
  return {
    revision,
    state: 'open',
    since: continued?.since ?? at.toISOString(),
    nextProbeAt: new Date(at.getTime() + cooldownMs(failures, policy)).toISOString(),
    failures,
  };
}

/** The same circuit, claimed half-open by a probe until `at` plus the current cool-down. */
export function probingCircuit(circuit: StoredCircuit, at: Date, policy: CircuitPolicy): StoredCircuit {
  return { ...circuit, state: 'half-open', nextProbeAt: new Date(at.getTime() + cooldownMs(circuit.failures, policy)).toISOString() };
}

function cooldownMs(failures: number, policy: CircuitPolicy): number {
  return Math.min(policy.maxCooldownSeconds, policy.cooldownSeconds * 2 ** Math.max(0, failures - 1)) * 1000;
}

/** Where the API shows the breaker: `closed` with nulls, or the open circuit's times. */
export function circuitView(settings: Pick<ScopeSettings, 'smtp' | 'circuit'>) {
  const circuit = currentCircuit(settings);
  return {
    state: (circuit?.state ?? 'closed') as CircuitState,
    since: circuit?.since ?? null,
    nextProbeAt: circuit?.nextProbeAt ?? null,
  };
}

/** The part of the settings store the breaker writes to. */
export interface CircuitStore {
  /**
   * Claims the probe of an open circuit: stores `next` if the stored circuit of `revision` still
   * has `seenNextProbeAt`; false when another worker claimed it first (or the revision changed).
   */
  claimCircuitProbe(companyId: string, scope: string, next: StoredCircuit, seenNextProbeAt: string): Promise<boolean>;
  /**
   * A delivery through the server of `revision` succeeded: the settings are `verified` again,
   * without failure, and the circuit is closed (nothing changes if the revision is not current).
   */
  markRecovered(companyId: string, scope: string, revision: number): Promise<void>;
}

/**
 * Decides, for one message, whether it goes to the company's server: always while the circuit
 * is closed; while it is open only as the probe, once the cool-down is over and this worker won
 * the claim.
 */
export async function circuitDecision(store: CircuitStore, owner: ScopeSettings, now: Date, policy: CircuitPolicy): Promise<CircuitDecision> {
  const circuit = currentCircuit(owner);
  if (!circuit) return { kind: 'send' };
  const nextProbeAt = new Date(circuit.nextProbeAt);
  if (now < nextProbeAt) return { kind: 'stay-away', retryAt: nextProbeAt };
  const claimed = await store.claimCircuitProbe(owner.companyId, owner.scope, probingCircuit(circuit, now, policy), circuit.nextProbeAt);
  return claimed ? { kind: 'probe' } : { kind: 'stay-away', retryAt: new Date(now.getTime() + policy.cooldownSeconds * 1000) };
}

/** After a delivery the server accepted: closes an open circuit, and clears `failing`. */
export async function closeCircuitAfterSuccess(store: CircuitStore, owner: ScopeSettings): Promise<void> {
  if (owner.status !== 'failing' && !currentCircuit(owner)) return;
  await store.markRecovered(owner.companyId, owner.scope, owner.smtp!.revision);
}
