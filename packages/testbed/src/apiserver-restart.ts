import { readFile } from 'node:fs/promises';
import { isRecordAlive, spawnDaemon, stopDaemon } from './daemon.js';
import { TestbedStateError } from './errors.js';
import { apiserverReady } from './readyz.js';
import { type ProcessRecord, type TestbedState, readState, writeState } from './state.js';
import type { Testbed } from './testbed-handle.js';
import { waitFor } from './wait.js';

export interface ApiserverRestart {
  /** From the signal to the new process answering /readyz. */
  downMs: number;
  pid: number;
}

/**
 * Kills the testbed's kube-apiserver (SIGKILL by default, as a crash would) and starts it again
 * with the same command line, then waits for /readyz. Clients see their connections reset and
 * their watches end, exactly as in a control-plane restart; etcd and its data stay.
 */
export async function restartApiserver(
  tb: Testbed,
  opts: { signal?: 'SIGKILL' | 'SIGTERM'; timeoutMs?: number } = {},
): Promise<ApiserverRestart> {
  const state = await loadState(tb);
  const old = apiserverRecord(tb, state);
  // `ip netns exec` execs the apiserver, so its own /proc entry holds the full command line.
  const argv = (await readFile(`/proc/${old.pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
  const started = Date.now();
  if (opts.signal === 'SIGTERM') await stopDaemon(old);
  else process.kill(old.pid, 'SIGKILL');
  await waitFor(
    'the old kube-apiserver to exit',
    async () => (isRecordAlive(old) ? undefined : true),
    {
      timeoutMs: 10_000,
      intervalMs: 20,
    },
  );
  const record = spawnDaemon({ role: old.role, netns: old.netns, argv, log: old.log });
  state.processes = state.processes.map((p) => (p === old ? record : p));
  await writeState(tb.layout.stateFile, state);
  await waitFor('kube-apiserver /readyz after restart', () => ready(tb, state), {
    timeoutMs: opts.timeoutMs ?? 60_000,
    intervalMs: 100,
    logs: [old.log],
  });
  return { downMs: Date.now() - started, pid: record.pid };
}

/**
 * Freezes (SIGSTOP) or thaws (SIGCONT) the kube-apiserver: its connections stay open but nothing
 * flows, the case a watch can only detect by its silence.
 */
export async function pauseApiserver(tb: Testbed, paused: boolean): Promise<void> {
  const record = apiserverRecord(tb, await loadState(tb));
  process.kill(record.pid, paused ? 'SIGSTOP' : 'SIGCONT');
}

async function loadState(tb: Testbed): Promise<TestbedState> {
  const state = await readState(tb.layout.stateFile);
  if (!state) throw new TestbedStateError(tb.name, 'has no state file');
  return state;
}

function apiserverRecord(tb: Testbed, state: TestbedState): ProcessRecord {
  const record = state.processes.find((p) => p.role === 'kube-apiserver');
  if (!record || !isRecordAlive(record)) {
    throw new TestbedStateError(tb.name, 'has no running kube-apiserver');
  }
  return record;
}

async function ready(tb: Testbed, state: TestbedState): Promise<true | undefined> {
  const pki = tb.layout.pkiDir;
  const ok = await apiserverReady(`https://127.0.0.1:${state.relayPort}`, `${pki}/ca.crt`, {
    cert: `${pki}/admin.crt`,
    key: `${pki}/admin.key`,
  });
  return ok ? true : undefined;
}
