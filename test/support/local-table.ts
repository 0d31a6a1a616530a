import { ensureTable, type LocalDynamo, startLocalDynamo } from '../../infra/local/local-dynamodb';

/**
 * A dynalite with the project's table, and the environment the DynamoDB adapters read pointed
 * at it (set before the adapters are imported). The caller stops it.
 */
export async function startLocalTable(table: string): Promise<LocalDynamo> {
  const dynamo = await startLocalDynamo();
  await ensureTable(dynamo.endpoint, table);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: 'eu-central-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    TABLE_NAME: table,
  });
  delete process.env.AWS_PROFILE;
  return dynamo;
}
