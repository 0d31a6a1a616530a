/**
 * Tests that need a program from Debian's packages (Chromium for the browser tests, Dovecot for
 * the IMAP tests) install it themselves when it is missing, so that `npm test` stays the whole
 * set-up on a fresh machine and in CI. Needs root and Debian's package registry; where either
 * is missing the install fails with apt-get's own words.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

let updated = false;

/**
 * Returns `binary` once it exists, installing `packages` with apt-get first when it does not.
 * Runs synchronously (a test's `before` may call it) and at most one `apt-get update` a process.
 */
export function ensureDebianPackage(binary: string, packages: readonly string[]): string {
  if (existsSync(binary)) return binary;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Two test files may install at once (the runner runs two at a time): wait for dpkg's lock.
  const run = (args: string[]) =>
    execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 900_000 });
  process.stderr.write(`Installing ${packages.join(', ')} with apt-get (needed by a test: ${binary} is missing)…\n`);
  if (!updated) {
    run(['update', '-qq']);
    updated = true;
  }
  run(['install', '-y', '-qq', '--no-install-recommends', ...packages]);
  if (!existsSync(binary)) throw new Error(`apt-get installed ${packages.join(', ')} but ${binary} is still missing`);
  return binary;
}
