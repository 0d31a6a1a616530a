/**
 * The real local backend in a child process, for the crash tests: on the data folder given in
 * LOCAL_DATA_DIR (dynalite on disk, s3rver files), free ports. Prints one JSON line with its
 * addresses once ready; the test kills it with SIGKILL and starts another on the same folder.
 */
import { startLocalBackend } from '../../infra/local/local-backend';
import { DEFAULT_FROM_ADDRESS, INBOUND_DOMAIN } from '../support/test-backend';

const backend = await startLocalBackend({
  port: 0,
  sesPort: 0,
  inboundSmtpPort: 0,
  dataDir: process.env.LOCAL_DATA_DIR!,
  jwtSecret: process.env.LOCAL_JWT_SECRET!,
  inboundDomain: INBOUND_DOMAIN,
  defaultFromAddress: DEFAULT_FROM_ADDRESS,
  retryBaseSeconds: 1,
});
process.stdout.write(`${JSON.stringify({ ready: true, apiUrl: backend.apiUrl, inboundSmtpPort: backend.inboundSmtpPort })}\n`);
// Stops by itself when the test process goes away (the test normally kills it first).
process.on('disconnect', () => process.exit(0));
setInterval(() => {
  if (process.ppid === 1) process.exit(0);
}, 1000).unref();
await new Promise(() => undefined);
