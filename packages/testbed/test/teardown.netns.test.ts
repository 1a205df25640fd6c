import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import {
  type Netns,
  createNetns,
  isProcessAlive,
  listNetns,
  processStartTime,
  sweepStaleNetns,
} from '@switchyard/linux';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveOptions } from '../src/options.js';
import { writeState } from '../src/state.js';
import { teardown } from '../src/teardown.js';

// Namespaces made with createNetns are named sy-<pid>-<start>-<label>-<n>; labels starting with
// "td" play the testbed's own (its prefix), "keep" a neighbour's that must survive.
let own: Netns[] = [];
let neighbour: Netns;
let prefix: string;
let stateDir: string;

beforeAll(async () => {
  await sweepStaleNetns();
  own = [await createNetns('tdlab'), await createNetns('tdpod')];
  neighbour = await createNetns('keep');
  prefix = own[0]!.name.replace(/tdlab-\d+$/, 'td');
  stateDir = await mkdtemp(`${tmpdir()}/sy-teardown-`);
});

afterAll(async () => {
  await Promise.all([...own, neighbour].map((ns) => ns.delete()));
  await rm(stateDir, { recursive: true, force: true });
  await rm(`/etc/netns/${own[1]!.name}`, { recursive: true, force: true });
});

function detached(netns: string): { pid: number; startTime: string } {
  const child = spawn('ip', ['netns', 'exec', netns, 'sleep', '600'], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  return { pid: child.pid!, startTime: processStartTime(child.pid!)! };
}

describe('teardown', () => {
  it('removes recorded and unrecorded processes, every prefixed namespace, /etc/netns entries and the state', async () => {
    const [lab, pod] = own as [Netns, Netns];
    const recorded = detached(lab.name);
    const stray = detached(pod.name); // like a container process: in no state file
    const bystander = detached(neighbour.name);
    await mkdir(`/etc/netns/${pod.name}`, { recursive: true });
    await writeFile(`/etc/netns/${pod.name}/resolv.conf`, 'nameserver 10.96.0.10\n');
    await writeState(`${stateDir}/state.json`, {
      version: 1,
      name: 'td',
      phase: 'ready',
      createdAt: new Date().toISOString(),
      options: resolveOptions({ name: 'td' }),
      netns: [lab.name, pod.name],
      processes: [{ role: 'etcd', ...recorded, netns: lab.name, log: `${stateDir}/etcd.log` }],
      nodes: [],
      kubectl: '/bin/false',
      starter: { pid: process.pid, startTime: processStartTime(process.pid)! },
    });
    await new Promise((r) => setTimeout(r, 100));

    const report = await teardown(prefix, stateDir);

    expect(report.stoppedProcesses).toBe(1);
    expect(report.killedProcesses).toBe(1);
    expect(report.netns.sort()).toEqual([lab.name, pod.name].sort());
    expect(report.files).toEqual([`/etc/netns/${pod.name}`]);
    expect(report.stateDirRemoved).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(isProcessAlive(recorded.pid, recorded.startTime)).toBe(false);
    expect(isProcessAlive(stray.pid, stray.startTime)).toBe(false);
    expect(listNetns()).not.toContain(lab.name);
    expect(listNetns()).not.toContain(pod.name);
    expect(existsSync(`/etc/netns/${pod.name}`)).toBe(false);
    expect(existsSync(stateDir)).toBe(false);
    // The neighbour's namespace and process are untouched.
    expect(listNetns()).toContain(neighbour.name);
    expect(isProcessAlive(bystander.pid, bystander.startTime)).toBe(true);
    process.kill(bystander.pid, 'SIGKILL');

    // A second run finds nothing and is not an error.
    expect(await teardown(prefix, stateDir)).toEqual({
      stoppedProcesses: 0,
      killedProcesses: 0,
      netns: [],
      files: [],
      stateDirRemoved: false,
    });
  });
});
