import { type StdioOptions, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { NETNS_DIR, isProcessAlive, processStartTime } from '@switchyard/linux';
import type { ProcessRecord } from './state.js';

export interface DaemonSpec {
  role: string;
  netns: string;
  argv: readonly string[];
  log: string;
  /** Defaults to PATH alone: nothing of the starter's environment (a test runner's, a user's
   * KUBECONFIG) leaks into the testbed's processes. */
  env?: NodeJS.ProcessEnv;
  /**
   * `ip netns exec` (the default) also gives the process a private mount namespace with the
   * namespace's own /sys; a namespace it creates with `ip netns add` is then invisible to everyone
   * else. A process that creates namespaces (the node runtime) enters only the network namespace.
   */
  netnsOnly?: boolean;
  /** An open file descriptor of ours handed to the child as its fd 3. */
  fd3?: number;
}

/**
 * Starts a long-lived process inside a network namespace, detached from us (own session, output
 * appended to its log file), so it outlives the CLI that started it. `ip netns exec` and `nsenter`
 * exec the command, so the PID we record is the daemon's own.
 */
export function spawnDaemon(spec: DaemonSpec): ProcessRecord {
  const fd = openSync(spec.log, 'a');
  try {
    const stdio: StdioOptions = ['ignore', fd, fd];
    if (spec.fd3 !== undefined) stdio.push(spec.fd3);
    const enter = spec.netnsOnly
      ? ['nsenter', `--net=${NETNS_DIR}/${spec.netns}`, '--']
      : ['ip', 'netns', 'exec', spec.netns];
    const child = spawn(enter[0]!, [...enter.slice(1), ...spec.argv], {
      detached: true,
      stdio,
      env: spec.env ?? { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    child.on('error', () => undefined);
    child.unref();
    const pid = child.pid;
    const startTime = pid === undefined ? undefined : processStartTime(pid);
    if (pid === undefined || startTime === undefined) {
      throw new Error(`${spec.role}: could not start ${spec.argv[0]}; see ${spec.log}`);
    }
    return { role: spec.role, pid, startTime, netns: spec.netns, log: spec.log };
  } finally {
    closeSync(fd);
  }
}

export function isRecordAlive(record: ProcessRecord): boolean {
  return isProcessAlive(record.pid, record.startTime);
}

/** Sends SIGTERM, waits up to `graceMs`, then SIGKILL. Only ever signals the recorded process. */
export async function stopDaemon(record: ProcessRecord, graceMs = 3000): Promise<void> {
  if (!signal(record, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isRecordAlive(record)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  signal(record, 'SIGKILL');
}

function signal(record: ProcessRecord, sig: NodeJS.Signals): boolean {
  if (!isRecordAlive(record)) return false;
  try {
    process.kill(record.pid, sig);
    return true;
  } catch {
    return false;
  }
}
