// Crash recovery: a testbed whose processes all died (SIGKILL, no cleanup) leaves namespaces and
// pod processes behind; the next `up` with the same name sweeps them before starting fresh.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CoreV1Api } from '@kubernetes/client-node';
import { isProcessAlive, processStartTime, runUnchecked } from '@switchyard/linux';
import {
  type Testbed,
  TestbedStateError,
  openTestbed,
  readState,
  startTestbed,
  stopTestbed,
} from '@switchyard/testbed';
import { afterAll, describe, expect, it } from 'vitest';
import { podReady, processesUsing } from './helpers.js';

const NAME = `cr${process.pid}`.slice(0, 12);
const OPTIONS = { name: NAME, nodes: 1, underlay: '172.31.242.0/24' };
const CLI = fileURLToPath(new URL('../../apps/switchyard/dist/main.js', import.meta.url));

function cli(...args: string[]): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, [CLI, 'testbed', ...args], {
    encoding: 'utf8',
    timeout: 180_000,
  });
}
let tb: Testbed | undefined;

afterAll(async () => {
  await stopTestbed(NAME);
});

function owned(prefix: string): string[] {
  return readdirSync('/run/netns').filter((n) => n.startsWith(prefix));
}

describe('testbed crash recovery', () => {
  it('refuses a second up while running, and sweeps a crashed one on the next up', async () => {
    await stopTestbed(NAME); // a retried attempt starts from nothing
    tb = await startTestbed(OPTIONS);
    const core = tb.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'sleeper' },
        spec: { containers: [{ name: 'c', image: 'switchyard/toolbox' }] },
      },
    });
    await podReady(tb.kubeConfig, 'default', 'sleeper');
    const podNs = await tb.podNetns('default', 'sleeper');
    const [sleepPid] = (await runUnchecked(['ip', 'netns', 'pids', podNs])).stdout
      .split('\n')
      .filter(Boolean)
      .map(Number);
    expect(sleepPid).toBeGreaterThan(0);
    const sleepStart = processStartTime(sleepPid!)!;

    await expect(startTestbed(OPTIONS)).rejects.toThrow(TestbedStateError);

    // The crash: every process the testbed recorded dies at once, nothing cleans up.
    const state = (await readState(tb.layout.stateFile))!;
    for (const p of state.processes) process.kill(p.pid, 'SIGKILL');
    const prefix = tb.layout.netnsPrefix;
    await new Promise((r) => setTimeout(r, 200));
    expect(state.processes.some((p) => isProcessAlive(p.pid, p.startTime))).toBe(false);
    expect(owned(prefix)).toContain(podNs);
    expect(isProcessAlive(sleepPid!, sleepStart)).toBe(true);

    // This time through the CLI, as a user would after a crash (the pod network only: the CLI
    // installs every component by default).
    const up = cli(
      'up',
      '--name',
      NAME,
      '--nodes',
      '1',
      '--underlay',
      OPTIONS.underlay,
      '--components',
      'none',
    );
    expect(up.status).toBe(0);
    expect(up.stdout).toContain('removed leftovers of an earlier run');
    expect(up.stdout).toMatch(/node-1 {2}InternalIP 172\.31\.242\.2 {2}podCIDR 10\.244\.0\.0\/24/);
    tb = await openTestbed(NAME);
    expect(owned(prefix)).not.toContain(podNs);
    expect(isProcessAlive(sleepPid!, sleepStart)).toBe(false);
    // A fresh cluster (etcd's data went with the sweep): only the pod network's agent runs.
    const pods = await tb.kubeConfig.makeApiClient(CoreV1Api).listPodForAllNamespaces();
    expect(pods.items.map((p) => p.metadata?.labels?.app)).toEqual(['switchyard-agent']);
    const nodes = await tb.kubeConfig.makeApiClient(CoreV1Api).listNode();
    expect(nodes.items.map((n) => n.metadata?.name)).toEqual(['node-1']);

    const stateDir = tb.layout.stateDir;
    const down = cli('down', '--name', NAME);
    expect(down.status).toBe(0);
    expect(down.stdout).toMatch(/is down: stopped 6 processes/);
    expect(cli('down', '--name', NAME).stdout).toContain('was not up');
    expect(owned(prefix)).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
    expect(processesUsing(stateDir)).toEqual([]);
  }, 420_000); // two start-ups, under whatever load the machine has
});
