/**
 * Everything the backend stored, read straight from the stand-ins (a Scan of the whole table,
 * every object of the bucket): for the tests that check what erasure leaves and that every
 * stored thing is named in the data inventory.
 */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';

export type StoredItem = Record<string, unknown> & { pk: string; sk: string };
export interface StoredObject {
  key: string;
  body: Buffer;
}

export async function scanTable(): Promise<StoredItem[]> {
  const { getDocumentClient, tableName } = await import('../../shared/adapters/dynamodb');
  const items: StoredItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await getDocumentClient().send(new ScanCommand({ TableName: tableName(), ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...((out.Items ?? []) as StoredItem[]));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

export async function readBucket(): Promise<StoredObject[]> {
  const { getS3Client } = await import('../../shared/adapters/s3-blob-store');
  const { mailBucketConfig } = await import('../../shared/config/concerns');
  const client = getS3Client();
  const bucket = mailBucketConfig();
  const objects: StoredObject[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const entry of page.Contents ?? []) {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: entry.Key! }));
      objects.push({ key: entry.Key!, body: Buffer.from(await out.Body!.transformToByteArray()) });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

/** An item as text (sets and buffers included), to search for strings in it. */
export const itemText = (item: StoredItem): string =>
  JSON.stringify(item, (_key, value) => (value instanceof Set ? [...value] : value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : value));

/** Which of `needles` occur in `haystack`, case-insensitively. */
export const found = (haystack: string, needles: string[]): string[] => needles.filter((needle) => haystack.toLowerCase().includes(needle.toLowerCase()));
