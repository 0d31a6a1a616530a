/**
 * The single table's layout: `pk`/`sk` strings, one GSI `gsi1` (`gsi1pk`/`gsi1sk`) for
 * conversations and unassigned mail, and `expiresAt` (epoch seconds) as the TTL attribute.
 * The CDK table, the local table and the stores all take it from here (this module imports
 * nothing, so the CDK app can use it without the SDK).
 */
export const TABLE_LAYOUT = {
  partitionKey: 'pk',
  sortKey: 'sk',
  gsi1: { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  ttlAttribute: 'expiresAt',
} as const;
