/**
 * The single table's layout: `pk`/`sk` strings, one GSI `gsi1` (`gsi1pk`/`gsi1sk`) for
 * conversations and unassigned mail, and `expiresAt` (epoch seconds) as the TTL attribute.
 * The GSI carries only what a list shows (`projected`: the list view's fields of a message,
 * without bodies, references, evidence or delivery bookkeeping), so that every write of a
 * message writes a small index entry, and one that changes none of these writes none.
 * The CDK table, the local table and the stores all take it from here (this module imports
 * nothing, so the CDK app can use it without the SDK).
 */
export const TABLE_LAYOUT = {
  partitionKey: 'pk',
  sortKey: 'sk',
  gsi1: {
    name: 'gsi1',
    partitionKey: 'gsi1pk',
    sortKey: 'gsi1sk',
    projected: [
      'id',
      'companyId',
      'scope',
      'direction',
      'candidateId',
      'from',
      'to',
      'cc',
      'subject',
      'messageIdHeader',
      'providerMessageIdHeader',
      'inReplyTo',
      'status',
      'provider',
      'fallbackReason',
      'attempts',
      'smtpResponse',
      'error',
      'createdAt',
      'sentAt',
      'receivedAt',
      'attachments',
      'match',
      'originalSender',
      'verdicts',
      'flags',
      'bounce',
      'omissions',
      'delivery',
      'nextAttemptAt',
    ],
  },
  ttlAttribute: 'expiresAt',
} as const;
