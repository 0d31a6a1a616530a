/**
 * The local backend of `npm start` (dynalite, s3rver, aws-ses-v2-local, the local HTTP API) in
 * a process of its own, so that a benchmark in the parent process can call a handler on these
 * stand-ins and count only the handler's CPU time, not the stand-ins'.
 *
 * Started by `startStandInsProcess` with an IPC channel. It answers:
 *   → { type: 'ready', apiUrl, env, unset }   the environment the handlers need (what
 *                                              startLocalBackend set and removed)
 *   ← { type: 'cpu' }  → { type: 'cpu', usage } its own process.cpuUsage()
 *   ← { type: 'stop' } stops every stand-in and exits; so does losing the parent.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LocalBackendOptions } from '../infra/local/local-backend';

type ParentMessage = { type: 'cpu' } | { type: 'stop' };
type ChildMessage =
  | { type: 'ready'; apiUrl: string; env: Record<string, string>; unset: string[] }
  | { type: 'cpu'; usage: NodeJS.CpuUsage }
  | { type: 'failed'; error: string };

export interface StandInsProcess {
  apiUrl: string;
  /** Apply to the parent's process.env before importing a handler. */
  env: Record<string, string>;
  unset: string[];
  /** The child's cumulative CPU time (user + system), in microseconds. */
  cpuUsage(): Promise<NodeJS.CpuUsage>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;

/**
 * Starts the stand-ins, points this process's environment at them (the adapters and handlers
 * read it when they load: `run` imports them), and afterwards puts the environment back as it
 * was and stops the stand-ins, whatever `run` did.
 */
export async function withStandIns<T>(options: LocalBackendOptions, run: (standIns: StandInsProcess) => Promise<T>): Promise<T> {
  const standIns = await startStandInsProcess(options);
  const savedEnv = { ...process.env };
  try {
    for (const name of standIns.unset) delete process.env[name];
    Object.assign(process.env, standIns.env);
    return await run(standIns);
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
    await standIns.stop();
  }
}

/** Forks this file under tsx and waits for the stand-ins to listen (on 127.0.0.1, ephemeral ports). */
export async function startStandInsProcess(options: LocalBackendOptions): Promise<StandInsProcess> {
  const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(options)], {
    execArgv: ['--import', 'tsx'],
    // stdout carries only the handlers' logs of the child: not ours to print.
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const ready = await new Promise<Extract<ChildMessage, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the stand-ins did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message);
      } else if (message.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`the stand-ins failed to start: ${message.error}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the stand-ins process exited (${code}) before it was ready: ${stderr.trim().split('\n').slice(-1)[0] ?? ''}`));
    });
  }).catch(async (error: unknown) => {
    child.kill();
    await exited;
    throw error;
  });

  return {
    apiUrl: ready.apiUrl,
    env: ready.env,
    unset: ready.unset,
    cpuUsage: () =>
      new Promise((resolve, reject) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          reject(new Error('the stand-ins process has exited'));
          return;
        }
        const onExit = () => reject(new Error('the stand-ins process exited before it answered'));
        const onMessage = (message: ChildMessage) => {
          if (message.type !== 'cpu') return;
          child.off('message', onMessage);
          child.off('exit', onExit);
          resolve(message.usage);
        };
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send({ type: 'cpu' } satisfies ParentMessage);
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.send({ type: 'stop' } satisfies ParentMessage);
        const timer = setTimeout(() => child.kill(), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

async function runChild(): Promise<void> {
  const send = (message: ChildMessage) => process.send?.(message);
  const before = { ...process.env };
  let backend: Awaited<ReturnType<typeof import('../infra/local/local-backend').startLocalBackend>>;
  try {
    const { startLocalBackend } = await import('../infra/local/local-backend');
    backend = await startLocalBackend(JSON.parse(process.argv[2] ?? '{}') as LocalBackendOptions);
  } catch (error) {
    send({ type: 'failed', error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await backend.stop();
    process.exit(0);
  };
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'cpu') send({ type: 'cpu', usage: process.cpuUsage() });
    else if (message.type === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && before[name] !== value) env[name] = value;
  }
  const unset = Object.keys(before).filter((name) => process.env[name] === undefined);
  send({ type: 'ready', apiUrl: backend.apiUrl, env, unset });
}

// Run as the child only when forked with an IPC channel; importing this file starts nothing.
if (process.send !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) await runChild();
