/**
 * The time one queued message may take in the send worker, and the worker's timeout built from
 * it. A record is taken only while the invocation has its budget left (deliver-send-batch.ts):
 * two slow servers in one batch no longer time the whole invocation out.
 */
import { DEFAULT_PROVIDER_TIMEOUTS } from '../outbound/default-provider';
import { SEND_TIMEOUTS } from '../smtp/smtp-timeouts';

/** Reads and writes of the table and the bucket around one delivery. */
const STORE_MARGIN_MS = 10_000;

/**
 * The worst case of one message: the company's server up to its whole SMTP budget, then the
 * fallback through the default provider (105 s).
 */
export const SEND_RECORD_BUDGET_MS = SEND_TIMEOUTS.total + DEFAULT_PROVIDER_TIMEOUTS.connectMs + DEFAULT_PROVIDER_TIMEOUTS.requestMs + STORE_MARGIN_MS;

/**
 * The worker's timeout (180 s): one worst-case message always fits, and the rest of a batch of
 * ordinary ones (a second or two each) goes through in the same invocation.
 */
export const SEND_WORKER_TIMEOUT_SECONDS = 180;
