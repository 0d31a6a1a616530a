import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newMessageRecord } from '../../shared/messages/model';
import { countDelivery, countFilings } from '../../shared/messages/operation-metrics';
import { RecordingMetrics } from '../support/recording-metrics';

const outbound = (fields: Parameters<typeof newMessageRecord>[0] extends infer T ? Partial<T> : never) =>
  newMessageRecord({ id: 'msg_1', companyId: 'acme', scope: 'main', direction: 'outbound', status: 'sent', createdAt: '2026-11-27T10:00:00Z', ...fields });

describe('operation metrics', () => {
  it('sends by provider and outcome, fallbacks by code, uncertain apart', () => {
    const metrics = new RecordingMetrics();
    countDelivery(metrics, 'sent', outbound({ provider: 'smtp' }));
    countDelivery(metrics, 'sent', outbound({ provider: 'default', fallbackReason: 'AUTH_FAILED' }));
    countDelivery(metrics, 'retrying', outbound({ provider: 'smtp', status: 'queued' }));
    countDelivery(metrics, 'failed', outbound({ provider: 'smtp', status: 'failed', error: { code: 'DELIVERY_UNCERTAIN', message: 'x' } }));
    countDelivery(metrics, 'skipped', outbound({}));
    assert.deepEqual(metrics.counted, [
      'Sends {"provider":"smtp","outcome":"sent"} 1',
      'MessagesSent {} 1',
      'Sends {"provider":"default","outcome":"sent"} 1',
      'Fallbacks {"code":"AUTH_FAILED"} 1',
      'MessagesSent {} 1',
      'MessagesFallenBack {} 1',
      'Sends {"provider":"smtp","outcome":"retrying"} 1',
      'Sends {"provider":"smtp","outcome":"uncertain"} 1',
    ]);
  });

  it('OAuth2 sign-ins that stopped working, by code, once the delivery ended', () => {
    const metrics = new RecordingMetrics();
    countDelivery(metrics, 'sent', outbound({ provider: 'default', fallbackReason: 'OAUTH_REAUTHORIZE_REQUIRED' }));
    countDelivery(metrics, 'failed', outbound({ provider: 'smtp', status: 'failed', error: { code: 'OAUTH_CONSENT_REQUIRED', message: 'x' } }));
    assert.deepEqual(
      metrics.counted.filter((line) => line.startsWith('OAuthTokenFailures')),
      ['OAuthTokenFailures {"code":"OAUTH_REAUTHORIZE_REQUIRED"} 1', 'OAuthTokenFailures {"code":"OAUTH_CONSENT_REQUIRED"} 1'],
    );
  });

  it('inbound filings by result and matches by match.by', () => {
    const metrics = new RecordingMetrics();
    countFilings(metrics, [
      { companyId: 'a', scope: 'main', result: 'filed', messageId: 'm1', match: { by: 'forwarded', address: 'x@y.example' } },
      { companyId: 'a', scope: 'main', result: 'unassigned', messageId: 'm2', match: null },
      { companyId: 'a', scope: 'main', result: 'duplicate', messageId: 'm1' },
    ]);
    assert.deepEqual(metrics.counted, [
      'InboundFilings {"result":"filed"} 1',
      'InboundMatches {"by":"forwarded"} 1',
      'InboundFilings {"result":"unassigned"} 1',
      'InboundMatches {"by":"none"} 1',
      'InboundFilings {"result":"duplicate"} 1',
    ]);
  });
});
