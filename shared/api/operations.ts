import { candidatesOperations } from './candidates-operations';
import { emailSettingsOperations, platformOperations } from './email-settings-operations';
import { messagesOperations } from './messages-operations';
import type { OperationSpec } from './operation';

/** Every operation of the HTTP API, for the OpenAPI document and the route-table check. */
export const ALL_OPERATIONS: OperationSpec[] = [...Object.values(platformOperations), ...Object.values(emailSettingsOperations),
  ...Object.values(candidatesOperations),
  ...Object.values(messagesOperations),
];
