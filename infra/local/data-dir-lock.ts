/**
 * One `npm start` per data folder: the running one writes its pid into the folder, a second
 * start finds it alive and says so instead of failing on a busy port or a locked database.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PID_FILE = 'npm-start.pid';

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else; still running.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The pid of another live `npm start` on this data folder, or null. */
export function runningInstance(dataDir: string): number | null {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(join(dataDir, PID_FILE), 'utf8'), 10);
  } catch {
    return null;
  }
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid) ? pid : null;
}

/** Marks the folder as used by this process; `release` removes the mark (if it is still ours). */
export function claimDataDir(dataDir: string): { release(): void } {
  const file = join(dataDir, PID_FILE);
  writeFileSync(file, String(process.pid));
  return {
    release() {
      try {
        if (readFileSync(file, 'utf8') === String(process.pid)) rmSync(file, { force: true });
      } catch {
        // Already gone (the folder was wiped): nothing to release.
      }
    },
  };
}
