import { createDynamoMessageDeliveries } from '../adapters/dynamodb-message-deliveries';
import { createDynamoSenderReputationStore } from '../adapters/dynamodb-sender-reputation-store';
import { createDynamoSettingsStore } from '../adapters/dynamodb-settings-store';
import type { DefaultProviderConfig } from '../config/concerns';
import type { SenderReputationFunctionConfig } from '../config/function-configs';
import type { OpsMetrics } from '../ops-metrics';
import { defaultProviderGate, type DefaultProviderGate } from '../sender-reputation/default-provider-gate';
import type { DeliveryEventDeps } from '../sender-reputation/record-delivery-event';
import type { GuardDeps, GuardThresholds } from '../sender-reputation/reputation-guard';
import type { SuppressionsDeps } from '../sender-reputation/suppressions';

/**
 * The sender-reputation use cases wired to the table: the delivery-event function, the
 * suppressions API, the send path's gate and the settings view's status.
 */
export const guardThresholdsOf = (config: DefaultProviderConfig): GuardThresholds => ({
  maxBounceRate: config.maxBounceRate,
  maxComplaintRate: config.maxComplaintRate,
  minSends: config.minSends,
  windowDays: config.windowDays,
});

export function guardDeps(tableName: string, config: DefaultProviderConfig): GuardDeps {
  return { reputation: createDynamoSenderReputationStore(undefined, tableName), thresholds: guardThresholdsOf(config), now: () => new Date() };
}

export function deliveryEventDeps(config: SenderReputationFunctionConfig, metrics: OpsMetrics): DeliveryEventDeps {
  const store = createDynamoSenderReputationStore(undefined, config.tableName);
  return {
    reputation: store,
    suppressions: store,
    deliveries: createDynamoMessageDeliveries(undefined, config.tableName),
    settings: createDynamoSettingsStore(undefined, config.tableName),
    thresholds: guardThresholdsOf(config.defaultProvider),
    metrics,
    now: () => new Date(),
  };
}

export function suppressionsDeps(config: SenderReputationFunctionConfig): SuppressionsDeps {
  return { suppressions: createDynamoSenderReputationStore(undefined, config.tableName) };
}

export function defaultProviderGateOf(tableName: string, config: DefaultProviderConfig, metrics: OpsMetrics): DefaultProviderGate {
  const store = createDynamoSenderReputationStore(undefined, tableName);
  return defaultProviderGate({ reputation: store, suppressions: store, thresholds: guardThresholdsOf(config), metrics, now: () => new Date() });
}
