/**
 * `npm start`: the whole backend on this machine, on embedded stand-ins. `npm start -- --fresh`
 * wipes the local state folder first.
 */
import { parseArgs } from 'node:util';
import { startLocalBackend } from './local-backend';
import { signLocalToken } from './local-jwt';
import { localSettings } from './local-settings';

const { values } = parseArgs({ options: { fresh: { type: 'boolean', default: false } } });
const settings = localSettings();

const backend = await startLocalBackend({ ...settings, fresh: values.fresh });
const adminToken = await signLocalToken(settings.jwtSecret, { companyId: 'acme', roles: ['admin', 'recruiter'] });

process.stdout.write(
  [
    '',
    'Recruiting mail backend, running locally',
    '',
    `  HTTP API          ${backend.apiUrl}   (OpenAPI: ${backend.apiUrl}/v1/openapi.json)`,
    ...backend.describe(),
    `  Local state       ${backend.dataDir}   (wipe with: npm start -- --fresh)`,
    '',
    'A token for company "acme" (admin + recruiter), valid 12 h:',
    `  export TOKEN=${adminToken}`,
    'Other companies and roles: npm run token -- --company globex --roles recruiter',
    '',
    'Try:',
    `  curl -s ${backend.apiUrl}/v1/health`,
    `  curl -s -H "Authorization: Bearer $TOKEN" ${backend.apiUrl}/v1/email-settings/main`,
    '',
    'Ctrl-C stops everything.',
    '',
  ].join('\n'),
);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await backend.stop();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
