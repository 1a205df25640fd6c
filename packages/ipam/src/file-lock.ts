import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { LockTimeoutError, StoreError } from './errors.js';

/** Waiting for a lock longer than this fails with LockTimeoutError (host-local waits forever). */
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

/**
 * An exclusive flock(2) on a file, the same lock host-local takes (go-filemutex: flock LOCK_EX on
 * `<dataDir>/<network>/lock`), so our processes and host-local's exclude each other.
 *
 * Node has no flock binding, so we open the file ourselves and let a short-lived `flock(1)` from
 * util-linux lock *our* descriptor, which it inherits as fd 3. flock locks belong to the open file
 * description, not the process, so the lock stays held after that helper exits and lasts until we
 * close the descriptor, or until the kernel closes it when we die (even by SIGKILL). That costs one
 * tiny exec (~3 ms) per lock and no native code or resident helper process.
 */
export class FileLock {
  private fd: number | undefined;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /**
   * Blocks until the lock is ours. `wait: false` fails at once when someone else holds it.
   * Throws LockTimeoutError after `timeoutMs`, StoreError when the file or flock(1) is unusable.
   */
  static acquire(path: string, options: { timeoutMs?: number; wait?: boolean } = {}): FileLock {
    let fd: number;
    try {
      // Mode 0750 is what go-filemutex creates the file with.
      fd = openSync(path, constants.O_RDONLY | constants.O_CREAT, 0o750);
    } catch (e) {
      throw new StoreError(`cannot open lock file: ${(e as Error).message}`, path, { cause: e });
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    const mode = options.wait === false ? ['-n'] : ['-w', String(timeoutMs / 1000)];
    const r = spawnSync('flock', ['-x', ...mode, '-E', '75', '3'], {
      stdio: ['ignore', 'ignore', 'pipe', fd],
      // Runtimes may exec plugins with a bare environment; util-linux lives in these.
      env: { PATH: `${process.env.PATH ?? ''}:/usr/bin:/bin` },
    });
    if (r.status === 0) return new FileLock(path, fd);
    closeSync(fd);
    if (r.status === 75) {
      throw new LockTimeoutError(
        options.wait === false
          ? 'locked by another process'
          : `lock not free after ${timeoutMs} ms`,
        path,
      );
    }
    const why = r.error?.message ?? (r.stderr.toString().trim() || `flock exit ${r.status}`);
    throw new StoreError(`cannot lock: ${why}`, path);
  }

  get held(): boolean {
    return this.fd !== undefined;
  }

  /** Releases the lock. Safe to call twice. */
  release(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
