import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { processStartTime } from '@switchyard/linux';

export type ContainerState =
  | { kind: 'waiting'; reason: string; message?: string }
  | { kind: 'running'; startedAt: string }
  | {
      kind: 'terminated';
      exitCode: number;
      /** The signal number that ended it, if one did. */
      signal?: number;
      reason: string;
      startedAt: string;
      finishedAt: string;
    };

export interface ContainerLaunch {
  argv: string[];
  env: Record<string, string>;
  /** Namespace to run in (the pod's, or the node's for hostNetwork pods). */
  netns: string;
  log: string;
  /**
   * Where to record the process (`<pid> <start time>`), so a restarted node runtime can end a
   * container it lost track of, even one in the node's namespace (hostNetwork).
   */
  pidFile?: string;
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
/** A container that ran this long without exiting gets its backoff reset. */
const STABLE_MS = 60_000;

/**
 * One container: a process (group) in the pod's namespace, restarted per the pod's restartPolicy
 * with a doubling backoff, its output appended to a log file. `onChange` fires on every state
 * change so the pod status can follow.
 */
export class Container {
  readonly id = randomBytes(32).toString('hex');
  state: ContainerState;
  lastTermination: Extract<ContainerState, { kind: 'terminated' }> | undefined;
  restartCount = 0;
  private child: ChildProcess | undefined;
  private stopping = false;
  private backoffMs = MIN_BACKOFF_MS;
  private restartTimer: NodeJS.Timeout | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly image: string,
    private readonly launch: ContainerLaunch | { reason: string; message: string },
    private readonly restartPolicy: RestartPolicy,
    private readonly onChange: () => void,
  ) {
    this.state =
      'reason' in launch
        ? { kind: 'waiting', reason: launch.reason, message: launch.message }
        : { kind: 'waiting', reason: 'ContainerCreating' };
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.state.kind === 'running';
  }

  start(): void {
    if (this.stopping || 'reason' in this.launch) return;
    const launch = this.launch;
    const fd = openSync(launch.log, 'a');
    let child: ChildProcess;
    try {
      // Own process group, so stop() reaches whatever the container forks.
      child = spawn('ip', ['netns', 'exec', launch.netns, ...launch.argv], {
        env: launch.env,
        cwd: '/',
        detached: true,
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    const pid = child.pid;
    if (launch.pidFile && pid !== undefined) {
      writeFileSync(launch.pidFile, `${pid} ${processStartTime(pid) ?? ''}\n`);
    }
    const startedAt = new Date().toISOString();
    this.state = { kind: 'running', startedAt };
    this.exited = new Promise((resolve) => {
      child.on('error', () => undefined);
      child.on('exit', (code, signal) => {
        this.onExit(startedAt, code, signal);
        resolve();
      });
    });
    this.onChange();
  }

  /** Kills the process (for a failed liveness probe); the restart policy decides what follows. */
  kill(): void {
    this.signal('SIGKILL');
  }

  /** SIGTERM, then SIGKILL after `graceMs`; no restart afterwards. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    if (!this.child || this.state.kind !== 'running') return;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private signal(sig: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.state.kind !== 'running') return;
    try {
      process.kill(-pid, sig);
    } catch {
      // Already gone.
    }
  }

  private onExit(startedAt: string, code: number | null, signal: NodeJS.Signals | null): void {
    const exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
    const terminated: Extract<ContainerState, { kind: 'terminated' }> = {
      kind: 'terminated',
      exitCode,
      reason: exitCode === 0 ? 'Completed' : 'Error',
      startedAt,
      finishedAt: new Date().toISOString(),
      ...(signal ? { signal: constants.signals[signal] } : {}),
    };
    this.child = undefined;
    const restart =
      !this.stopping &&
      (this.restartPolicy === 'Always' || (this.restartPolicy === 'OnFailure' && exitCode !== 0));
    if (!restart) {
      this.state = terminated;
      this.onChange();
      return;
    }
    if (Date.now() - Date.parse(startedAt) > STABLE_MS) this.backoffMs = MIN_BACKOFF_MS;
    this.lastTermination = terminated;
    this.state = {
      kind: 'waiting',
      reason: 'CrashLoopBackOff',
      message: `back-off ${this.backoffMs / 1000}s restarting failed container ${this.name}`,
    };
    this.onChange();
    this.restartTimer = setTimeout(() => {
      this.restartCount++;
      this.start();
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
  }
}
