/**
 * The operator's lift of a company's paused default provider (DESIGN section 10): sending
 * through SES resumes at once, and the company's window starts afresh from now (what it sent and
 * what bounced before no longer counts). It writes the table directly, with the operator's own
 * credentials: no API route can do it, so a company cannot lift its own pause.
 *
 *   AWS:    TABLE_NAME=<TableName output> npm run default-provider:lift -- <companyId> [<companyId> …]
 *   local:  AWS_ENDPOINT_URL_DYNAMODB=<DynamoDB of the npm start banner> TABLE_NAME=recruiting-mail \
 *           AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local npm run default-provider:lift -- acme
 *
 * The thresholds are read from the same DEFAULT_PROVIDER_* variables as the functions (their
 * defaults when unset) to print the company's standing after the lift.
 */
import { pathToFileURL } from 'node:url';
import { guardDeps } from '../shared/composition/sender-reputation-deps';
import { senderReputationFunctionConfig } from '../shared/config/function-configs';
import { ENTITY_ID_PATTERN } from '../shared/entity-id';
import { defaultProviderStatus, liftDefaultProviderPause } from '../shared/sender-reputation/reputation-guard';

export async function liftPauseFromCommandLine(companyIds: string[], print: (line: string) => void): Promise<void> {
  if (companyIds.length === 0 || companyIds.some((id) => !ENTITY_ID_PATTERN.test(id))) {
    throw new Error('Usage: npm run default-provider:lift -- <companyId> [<companyId> …] (company ids as in the tokens)');
  }
  const config = senderReputationFunctionConfig();
  const deps = guardDeps(config.tableName, config.defaultProvider);
  for (const companyId of companyIds) {
    const before = await defaultProviderStatus(deps, companyId);
    const after = await liftDefaultProviderPause(deps, companyId);
    print(`${companyId}: ${before.status} -> ${after.status} (was bounce rate ${before.bounceRate}, complaint rate ${before.complaintRate} over ${before.sends} recipients)`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  liftPauseFromCommandLine(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`)).catch((error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  });
}
