/**
 * `npm start`: the whole backend on this machine, on embedded stand-ins. `npm start -- --fresh`
 * wipes the local state folder first.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { claimDataDir, runningInstance } from './data-dir-lock';
import { type LocalBackend, startLocalBackend } from './local-backend';
import { signLocalToken } from './local-jwt';
import { localSettings } from './local-settings';

const { values } = parseArgs({ options: { fresh: { type: 'boolean', default: false } } });
const settings = localSettings();

const dataDir = resolve(settings.dataDir);
const runningPid = runningInstance(dataDir);
if (runningPid !== null) {
  process.stderr.write(
    [
      `Already running (pid ${runningPid}) on the data folder ${dataDir}.`,
      `Stop it first (Ctrl-C in its terminal, or kill ${runningPid}), or start a second one on another folder and other ports:`,
      '  LOCAL_DATA_DIR=.data-2 PORT=3100 SES_LOCAL_PORT=8105 INBOUND_SMTP_PORT=2625 COMPANY_SMTP_PORT=1687 npm start',
      '',
    ].join('\n'),
  );
  process.exit(1);
}

let backend: LocalBackend;
try {
  backend = await startLocalBackend({ ...settings, fresh: values.fresh });
} catch (error) {
  const { code, message } = error as NodeJS.ErrnoException;
  const busy = code === 'EADDRINUSE' || /in use/i.test(message);
  process.stderr.write(
    busy
      ? `Could not start: ${message}\nA port is taken (another npm start, or another program). Choose others with PORT, SES_LOCAL_PORT, INBOUND_SMTP_PORT, COMPANY_SMTP_PORT.\n`
      : `Could not start: ${(error as Error).stack ?? message}\n`,
  );
  process.exit(1);
}
const dataDirClaim = claimDataDir(backend.dataDir);
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

/** How long a clean stop may take before the process ends anyway. */
const STOP_TIMEOUT_MS = 10_000;

let stopping = false;
const shutdown = async (signal: NodeJS.Signals) => {
  if (stopping) {
    // A second Ctrl-C: stop waiting.
    process.stderr.write(`${signal} again: exiting without waiting.\n`);
    process.exit(1);
  }
  stopping = true;
  process.stdout.write(`${signal}: stopping…\n`);
  const forced = setTimeout(() => {
    process.stderr.write(`Not stopped within ${STOP_TIMEOUT_MS / 1000} s: exiting anyway.\n`);
    dataDirClaim.release();
    process.exit(1);
  }, STOP_TIMEOUT_MS);
  forced.unref();
  try {
    await backend.stop();
  } finally {
    dataDirClaim.release();
  }
  process.stdout.write('Stopped.\n');
  process.exit(0);
};
// Ctrl-C in a terminal, and what process managers (systemd, Docker, npm, foreman…) send.
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
process.on('SIGHUP', shutdown);

// `npm start` runs this with `exec` so npm's forwarded signals reach it; should the parent die
// without a signal for us (npm killed hard), this process is re-parented: stop then too.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void shutdown('SIGHUP');
}, 1000).unref();
