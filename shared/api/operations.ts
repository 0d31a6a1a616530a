import { candidatesOperations } from './candidates-operations';
import { emailSettingsOperations, platformOperations } from './email-settings-operations';
import { messagesOperations } from './messages-operations';
import { senderReputationOperations } from './sender-reputation-operations';
import type { OperationSpec } from './operation';

/**
 * The operations of the HTTP API, grouped by the Lambda function that serves them: the one place
 * that says which function answers which route. The route tables of the CDK stack and of the
 * local server (functions/routes.ts), each function's handler and the OpenAPI document are all
 * derived from these groups.
 */
export const OPERATIONS_BY_FUNCTION = {
  platform: platformOperations,
  'email-settings': emailSettingsOperations,
  candidates: candidatesOperations,
  messages: messagesOperations,
  'sender-reputation': senderReputationOperations,
} as const satisfies Record<string, Record<string, OperationSpec>>;

export type ApiFunction = keyof typeof OPERATIONS_BY_FUNCTION;

/** Every operation of the HTTP API, for the OpenAPI document and the route table. */
export const ALL_OPERATIONS: OperationSpec[] = Object.values(OPERATIONS_BY_FUNCTION).flatMap((group) => Object.values(group));
