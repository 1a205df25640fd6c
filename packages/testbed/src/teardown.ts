import { readdir, rm, rmdir } from 'node:fs/promises';
import { listNetns, runUnchecked } from '@switchyard/linux';
import { isRecordAlive, stopDaemon } from './daemon.js';
import { DEFAULT_STATE_ROOT } from './options.js';
import { readState } from './state.js';

export interface TeardownReport {
  /** Recorded processes that were still running and got stopped. */
  stoppedProcesses: number;
  /** Other processes found inside the testbed's namespaces (pod containers, plugins) and killed. */
  killedProcesses: number;
  netns: string[];
  /** Files and directories removed outside the state directory. */
  files: string[];
  stateDirRemoved: boolean;
}

// Node runtimes first (they own the pod processes), the relay and control plane after them.
const STOP_ORDER = [
  'node',
  'kube-scheduler',
  'kube-controller-manager',
  'apiserver-relay',
  'kube-apiserver',
  'etcd',
];

/**
 * Removes everything a testbed made: the processes recorded in its state, any other process
 * inside its namespaces, every namespace named with its prefix (found by listing, so namespaces
 * made after the last state write, or by a crashed run, go too), the `/etc/netns` entries of its
 * pods, and its state directory. Touches nothing without the prefix; safe to run twice.
 */
export async function teardown(netnsPrefix: string, stateDir: string): Promise<TeardownReport> {
  const report: TeardownReport = {
    stoppedProcesses: 0,
    killedProcesses: 0,
    netns: [],
    files: [],
    stateDirRemoved: false,
  };
  let state;
  try {
    state = await readState(`${stateDir}/state.json`);
  } catch {
    state = undefined; // An unreadable state file still leaves the prefix sweep below.
  }
  const processes = [...(state?.processes ?? [])].sort((a, b) => rank(a.role) - rank(b.role));
  for (const p of processes) {
    if (await stopDaemonCounted(p)) report.stoppedProcesses++;
  }
  const owned = listNetns().filter((n) => n.startsWith(netnsPrefix));
  // Pods first, the lab last: node and pod namespaces hold veths into each other.
  owned.sort((a, b) => Number(a.endsWith('-lab')) - Number(b.endsWith('-lab')));
  for (const ns of owned) {
    report.killedProcesses += await killProcessesIn(ns);
    await runUnchecked(['ip', 'netns', 'delete', ns]);
    report.netns.push(ns);
  }
  for (const entry of await readdir('/etc/netns').catch(() => [] as string[])) {
    if (!entry.startsWith(netnsPrefix)) continue;
    const path = `/etc/netns/${entry}`;
    await rm(path, { recursive: true, force: true });
    report.files.push(path);
  }
  try {
    await rm(stateDir, { recursive: true });
    report.stateDirRemoved = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  // Directories we may have created go too once nothing else uses them (rmdir refuses otherwise);
  // a caller's own state root is left alone.
  for (const dir of ['/etc/netns', DEFAULT_STATE_ROOT]) await rmdir(dir).catch(() => undefined);
  return report;
}

function rank(role: string): number {
  const i = STOP_ORDER.findIndex((r) => role === r || role.startsWith(`${r}/`));
  return i < 0 ? STOP_ORDER.length : i;
}

async function stopDaemonCounted(p: Parameters<typeof stopDaemon>[0]): Promise<boolean> {
  if (!isRecordAlive(p)) return false;
  await stopDaemon(p);
  return true;
}

/** SIGKILLs every process whose network namespace is `ns`; returns how many. */
export async function killProcessesIn(ns: string): Promise<number> {
  const { stdout } = await runUnchecked(['ip', 'netns', 'pids', ns]);
  let n = 0;
  for (const pid of stdout.split('\n').filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
      n++;
    } catch {
      // Already gone.
    }
  }
  return n;
}
