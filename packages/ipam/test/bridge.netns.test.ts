import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Netns, liveNetns, runUnchecked, sweepStaleNetns, withNetns } from '@switchyard/linux';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cniBinDir, snapshot, tempDir } from './helpers.js';

let root: ReturnType<typeof tempDir>;
let bin: string;

beforeAll(async () => {
  await sweepStaleNetns();
  root = tempDir('bridge');
  bin = cniBinDir(root.path);
});
afterAll(() => {
  root.cleanup();
  expect(liveNetns()).toEqual([]);
});

interface BridgeResult {
  interfaces: { name: string; sandbox?: string }[];
  ips: { address: string; gateway: string; interface: number }[];
}

/**
 * Runs the reference bridge plugin inside `host` (so the bridge and host-side veths live there,
 * never in the root namespace), attaching `pod`, with `ipamType` as its IPAM delegate.
 */
async function bridge(
  host: Netns,
  command: string,
  pod: Netns,
  containerId: string,
  ipamType: string,
  dataDir: string,
  prevResult?: unknown,
): Promise<{ exitCode: number; stdout: string }> {
  const config = {
    ...(prevResult === undefined ? {} : { prevResult }),
    cniVersion: '1.0.0',
    name: 'sybr',
    type: 'bridge',
    bridge: 'sybr0',
    isGateway: true,
    ipam: {
      type: ipamType,
      dataDir,
      ranges: [[{ subnet: '10.73.0.0/24' }], [{ subnet: 'fd00:73::/64' }]],
      routes: [{ dst: '0.0.0.0/0' }],
    },
  };
  return host.execUnchecked([join(bin, 'bridge')], {
    input: JSON.stringify(config),
    env: {
      PATH: process.env.PATH,
      CNI_COMMAND: command,
      CNI_CONTAINERID: containerId,
      CNI_NETNS: pod.path,
      CNI_IFNAME: 'eth0',
      CNI_PATH: bin,
    },
  });
}

describe('switchyard-ipam as the IPAM of the reference bridge plugin', () => {
  it('addresses pods that reach each other, interoperates with host-local, and DEL cleans up', async () => {
    const dataDir = join(root.path, 'ipam');
    const store = join(dataDir, 'sybr');
    await withNetns(['host', 'poda', 'podb'], async (host, podA, podB) => {
      const addA = await bridge(host, 'ADD', podA, 'pod-a', 'switchyard-ipam', dataDir);
      expect(addA.exitCode, addA.stdout).toBe(0);
      const a = JSON.parse(addA.stdout) as BridgeResult;
      expect(a.interfaces.map((i) => i.name)).toEqual(['sybr0', expect.any(String), 'eth0']);
      expect(a.ips).toEqual([
        { address: '10.73.0.2/24', gateway: '10.73.0.1', interface: 2 },
        { address: 'fd00:73::2/64', gateway: 'fd00:73::1', interface: 2 },
      ]);
      // The same network, the next pod through host-local: it continues from our cursor.
      const addB = await bridge(host, 'ADD', podB, 'pod-b', 'host-local', dataDir);
      expect(addB.exitCode, addB.stdout).toBe(0);
      const b = JSON.parse(addB.stdout) as BridgeResult;
      expect(b.ips.map((i) => i.address)).toEqual(['10.73.0.3/24', 'fd00:73::3/64']);

      // The kernel has what the plugins reported.
      const addrA = (await podA.exec(['ip', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout;
      expect(addrA).toContain('inet 10.73.0.2/24');
      expect(addrA).toContain('inet6 fd00:73::2/64');
      expect((await podA.exec(['ip', 'route', 'show', 'default'])).stdout).toContain(
        'via 10.73.0.1',
      );
      expect((await host.exec(['ip', '-o', 'addr', 'show', 'dev', 'sybr0'])).stdout).toContain(
        'inet 10.73.0.1/24',
      );

      // Traffic flows pod to pod across the bridge, both families.
      expect((await podA.exec(['ping', '-c', '1', '-W', '2', '10.73.0.3'])).stdout).toMatch(
        /1 received/,
      );
      const v6 = await podB.execUnchecked(['ping', '-6', '-c', '1', '-W', '3', 'fd00:73::2']);
      expect(v6.stdout).toMatch(/1 received/);

      // CHECK goes through the bridge to our IPAM.
      expect(
        (await bridge(host, 'CHECK', podA, 'pod-a', 'switchyard-ipam', dataDir, a)).exitCode,
      ).toBe(0);
      expect(snapshot(store)).toMatchObject({
        '10.73.0.2': 'pod-a\r\neth0',
        '10.73.0.3': 'pod-b\r\neth0',
        'fd00:73::2': 'pod-a\r\neth0',
        'fd00:73::3': 'pod-b\r\neth0',
      });

      // DEL, each with the other IPAM: both releases work on the shared store.
      expect((await bridge(host, 'DEL', podA, 'pod-a', 'host-local', dataDir)).exitCode).toBe(0);
      expect((await bridge(host, 'DEL', podB, 'pod-b', 'switchyard-ipam', dataDir)).exitCode).toBe(
        0,
      );
      expect(Object.keys(snapshot(store))).toEqual([
        'last_reserved_ip.0',
        'last_reserved_ip.1',
        'lock',
      ]);
      expect((await podA.execUnchecked(['ip', 'link', 'show', 'eth0'])).exitCode).not.toBe(0);
    });
  });

  it('an IPAM refusal reaches the runtime with its code and takes nothing', async () => {
    const dataDir = join(root.path, 'ipam-dup');
    const store = join(dataDir, 'sybr');
    await withNetns(['host', 'pod', 'pod'], async (host, pod, other) => {
      const first = await bridge(host, 'ADD', pod, 'dup', 'switchyard-ipam', dataDir);
      expect(first.exitCode, first.stdout).toBe(0);
      const before = snapshot(store);
      // The same attachment (container ID + ifname) again: IPAM refuses with code 101 and bridge
      // passes that on; the first allocation is untouched and no second address was taken.
      const second = await bridge(host, 'ADD', other, 'dup', 'switchyard-ipam', dataDir);
      expect(second.exitCode).not.toBe(0);
      expect(JSON.parse(second.stdout)).toMatchObject({ code: 101 });
      expect(snapshot(store)).toEqual(before);
      expect((await bridge(host, 'DEL', pod, 'dup', 'switchyard-ipam', dataDir)).exitCode).toBe(0);
      expect(Object.keys(snapshot(store))).toEqual([
        'last_reserved_ip.0',
        'last_reserved_ip.1',
        'lock',
      ]);
    });
  });
});

describe('switchyard-cnitool validate-plugin', () => {
  it('passes every conformance check', async () => {
    const cniSpec = dirname(createRequire(import.meta.url).resolve('@switchyard/cni-spec'));
    const dataDir = join(root.path, 'validate');
    const ipam = { dataDir, ranges: [[{ subnet: '10.74.0.0/24' }]] };
    // An IPAM plugin reads the `ipam` section of the network config it is handed.
    const config = {
      cniVersion: '1.1.0',
      name: 'sy-validate',
      type: 'switchyard-ipam',
      ipam: { type: 'switchyard-ipam', ...ipam },
    };
    const file = join(root.path, 'validate.json');
    writeFileSync(file, JSON.stringify(config));
    const r = await runUnchecked(
      [
        'node',
        join(cniSpec, 'bin', 'cnitool.js'),
        'validate-plugin',
        join(bin, 'switchyard-ipam'),
        '--config',
        file,
        '--cni-path',
        bin,
        '--json',
      ],
      { timeoutMs: 50_000 },
    );
    const report = JSON.parse(r.stdout) as {
      ok: boolean;
      checks: { name: string; status: string; detail: string }[];
    };
    const failed = report.checks.filter((c) => c.status !== 'pass');
    expect(failed).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['ADD (1.1.0)', 'CHECK', 'DEL', 'STATUS']),
    );
    expect(r.exitCode).toBe(0);
  });
});
