import { type ChildProcess, spawn } from 'node:child_process';
import type { Logger } from './logger.js';

export interface SuperviseOptions {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  log: Logger;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** A child that ran this long gets the backoff reset. */
  stableMs?: number;
}

export interface Supervisor {
  /** How many times the child was started. */
  readonly starts: number;
  /** Passes SIGTERM to the child and resolves when it exited; no restart follows. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Keeps a child running: when it exits without being asked to (a crash, a SIGKILL), it is started
 * again after a doubling backoff. The node runtime runs under this, so one bug costs a restart
 * (its pods are rebuilt) rather than a dead node for the rest of a suite.
 */
export function supervise(opts: SuperviseOptions): Supervisor {
  const min = opts.minBackoffMs ?? 1000;
  const max = opts.maxBackoffMs ?? 30_000;
  let backoff = min;
  let stopping = false;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let starts = 0;

  const start = (): void => {
    const [file, ...args] = opts.argv;
    const startedAt = Date.now();
    const c = spawn(file!, args, { env: opts.env, stdio: 'inherit' });
    starts++;
    child = c;
    exited = new Promise((resolve) => {
      c.on('error', (e) => opts.log('error', 'cannot start the child', { error: e.message }));
      c.on('exit', (code, signal) => {
        child = undefined;
        resolve();
        if (stopping) return;
        if (Date.now() - startedAt > (opts.stableMs ?? 60_000)) backoff = min;
        opts.log('error', 'child exited; restarting', { code, signal, backoffMs: backoff });
        timer = setTimeout(start, backoff);
        backoff = Math.min(backoff * 2, max);
      });
    });
  };
  start();

  return {
    get starts(): number {
      return starts;
    },
    async stop(graceMs = 5000): Promise<void> {
      stopping = true;
      clearTimeout(timer);
      const c = child;
      if (!c) return;
      c.kill('SIGTERM');
      const kill = setTimeout(() => c.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(kill);
    },
  };
}
