import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { NetnsError } from './errors.js';
import { isProcessAlive, processStartTime } from './process-identity.js';
import { run, runUnchecked, type RunOptions, type RunResult } from './run.js';

/** Where iproute2 bind-mounts named namespaces. */
export const NETNS_DIR = '/run/netns';

/**
 * Every namespace we create is named `sy-<pid>-<starttime>-<label>-<n>`, so a later sweep can tell
 * whether its creator is still alive (PID plus start time survives PID reuse) and remove it if not.
 */
const OWNED = /^sy-(\d+)-(\d+)-/;
const LABEL = /^[a-z0-9]{1,12}$/;

const live = new Set<Netns>();
let counter = 0;
let exitHookInstalled = false;

/** A network namespace this process created; `delete()` removes it and everything inside. */
export class Netns {
  readonly path: string;
  private readonly children = new Set<ChildProcess>();
  private deleted = false;

  constructor(readonly name: string) {
    this.path = `${NETNS_DIR}/${name}`;
  }

  /** Runs a command inside the namespace; rejects with CommandError on a non-zero exit. */
  exec(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    return run(['ip', 'netns', 'exec', this.name, ...argv], options);
  }

  /** Like exec, but resolves with the exit code instead of throwing. */
  execUnchecked(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    return runUnchecked(['ip', 'netns', 'exec', this.name, ...argv], options);
  }

  /** Starts a long-running command inside the namespace; it is killed by `delete()`. */
  spawn(argv: readonly string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.name, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /** Removes the namespace after ending the processes started in it. Safe to call twice. */
  async delete(): Promise<void> {
    if (this.deleted) return;
    this.deleted = true;
    live.delete(this);
    for (const child of this.children) child.kill('SIGKILL');
    await killProcessesIn(this.name);
    await runUnchecked(['ip', 'netns', 'delete', this.name]);
  }
}

/** Creates a uniquely named namespace with `lo` up. `label` shows up in the name for debugging. */
export async function createNetns(label = 'ns'): Promise<Netns> {
  if (!LABEL.test(label)) {
    throw new NetnsError(
      `netns label must match ${LABEL.source}, got ${JSON.stringify(label)}`,
      label,
    );
  }
  installExitHook();
  const name = `sy-${process.pid}-${ownStartTime()}-${label}-${counter++}`;
  await run(['ip', 'netns', 'add', name]);
  const ns = new Netns(name);
  live.add(ns);
  try {
    await ns.exec(['ip', 'link', 'set', 'lo', 'up']);
  } catch (e) {
    await ns.delete();
    throw e;
  }
  return ns;
}

/** Runs `fn` with fresh namespaces and removes them afterwards, whether `fn` succeeds or throws. */
export async function withNetns<T>(
  labels: readonly string[],
  fn: (...namespaces: Netns[]) => Promise<T>,
): Promise<T> {
  const created: Netns[] = [];
  try {
    for (const label of labels) created.push(await createNetns(label));
    return await fn(...created);
  } finally {
    await Promise.all(created.map((ns) => ns.delete()));
  }
}

/** Names of the namespaces this process created and has not deleted yet. */
export function liveNetns(): string[] {
  return [...live].map((ns) => ns.name);
}

/** Names of every namespace on the machine (any owner). */
export function listNetns(): string[] {
  try {
    return readdirSync(NETNS_DIR);
  } catch {
    return [];
  }
}

/**
 * Removes namespaces left by Switchyard processes that died (e.g. killed with SIGKILL before their
 * cleanup ran). Namespaces of live processes and of anyone else are never touched.
 */
export async function sweepStaleNetns(): Promise<string[]> {
  const removed: string[] = [];
  for (const name of listNetns()) {
    const m = OWNED.exec(name);
    if (!m || isProcessAlive(Number(m[1]), m[2]!)) continue;
    await killProcessesIn(name);
    await runUnchecked(['ip', 'netns', 'delete', name]);
    removed.push(name);
  }
  return removed;
}

async function killProcessesIn(name: string): Promise<void> {
  const { stdout } = await runUnchecked(['ip', 'netns', 'pids', name]);
  for (const pid of stdout.split('\n').filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

function ownStartTime(): string {
  const t = processStartTime(process.pid);
  if (t === undefined) throw new NetnsError('cannot read /proc/self/stat', 'self');
  return t;
}

// On a normal exit (including process.exit) remove what is left synchronously; a SIGKILL is what
// sweepStaleNetns is for.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const ns of live) {
      try {
        execFileSync('ip', ['netns', 'delete', ns.name], { stdio: 'ignore' });
      } catch {
        // Nothing more can be done while exiting.
      }
    }
  });
}
