import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RangeExhaustedError } from '@switchyard/ipam';
import { NodeAllocator } from '../src/node-allocator.js';
import { UsageError, nodeAllocatorCli } from '../src/cli.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sy-ipam-example-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

// A /29 has 8 addresses: network .0, gateway .1, broadcast .7, so .2 to .6 are for pods.
const node = { spec: { podCIDRs: ['10.244.7.0/29'] } };

describe('NodeAllocator', () => {
  it('hands out addresses round-robin and keeps them in host-local files', async () => {
    const ipam = new NodeAllocator({ node, dataDir });
    expect(ipam.allocate({ containerId: 'pod-a' })).toEqual(['10.244.7.2/29']);
    expect(ipam.allocate({ containerId: 'pod-b' })).toEqual(['10.244.7.3/29']);
    // host-local's layout: one file per address holding "containerID\r\nifname", the cursor, the lock.
    const dir = join(dataDir, 'pods');
    expect((await readdir(dir)).sort()).toEqual([
      '10.244.7.2',
      '10.244.7.3',
      'last_reserved_ip.0',
      'lock',
    ]);
    expect(await readFile(join(dir, '10.244.7.2'), 'utf8')).toBe('pod-a\r\neth0');
    expect(await readFile(join(dir, 'last_reserved_ip.0'), 'utf8')).toBe('10.244.7.3');
    // A released address is not reused at once: the cursor moves on, as host-local's does.
    expect(ipam.release({ containerId: 'pod-a' })).toEqual(['10.244.7.2']);
    expect(ipam.allocate({ containerId: 'pod-c' })).toEqual(['10.244.7.4/29']);
    // Another allocator on the same directory (another process, or host-local) sees the same state.
    expect(new NodeAllocator({ node, dataDir }).list()).toEqual([
      { containerId: 'pod-b', ifName: 'eth0', address: '10.244.7.3' },
      { containerId: 'pod-c', ifName: 'eth0', address: '10.244.7.4' },
    ]);
  });

  it('gives a dual-stack node one address per family', () => {
    const ipam = new NodeAllocator({
      node: { spec: { podCIDRs: ['10.244.8.0/24', 'fd00:10:244:8::/64'] } },
      dataDir,
    });
    expect(ipam.allocate({ containerId: 'pod-a', ifName: 'net1' })).toEqual([
      '10.244.8.2/24',
      'fd00:10:244:8::2/64',
    ]);
  });

  it('reports a full range with CNI code 100 and changes nothing', () => {
    const ipam = new NodeAllocator({ node, dataDir });
    for (const p of ['a', 'b', 'c', 'd', 'e']) ipam.allocate({ containerId: `pod-${p}` });
    const before = ipam.list();
    const err = (() => {
      try {
        ipam.allocate({ containerId: 'pod-f' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(RangeExhaustedError);
    expect((err as RangeExhaustedError).cniCode).toBe(100);
    expect(ipam.list()).toEqual(before);
  });

  it('releases are repeatable, and GC frees what no live pod holds', () => {
    const ipam = new NodeAllocator({ node, dataDir });
    for (const p of ['a', 'b', 'c']) ipam.allocate({ containerId: `pod-${p}` });
    expect(ipam.release({ containerId: 'pod-a' })).toEqual(['10.244.7.2']);
    expect(ipam.release({ containerId: 'pod-a' })).toEqual([]);
    expect(ipam.gc([{ containerId: 'pod-c' }])).toEqual(['10.244.7.3']);
    expect(ipam.list().map((a) => a.containerId)).toEqual(['pod-c']);
  });
});

describe('the command line', () => {
  const cli = (...args: string[]): string =>
    nodeAllocatorCli(['--pod-cidr', '10.244.7.0/29', '--data-dir', dataDir, ...args]);

  it('allocates, lists, releases and collects', () => {
    expect(cli('allocate', 'pod-a')).toBe('10.244.7.2/29\n');
    expect(cli('allocate', 'pod-b', 'net1')).toBe('10.244.7.3/29\n');
    expect(cli('list')).toBe('10.244.7.2 pod-a eth0\n10.244.7.3 pod-b net1\n');
    // pod-b's attachment is on net1: naming only the container (eth0) would not keep it.
    expect(cli('gc', 'pod-b/net1')).toBe('10.244.7.2\n');
    expect(cli('release', 'pod-b', 'net1')).toBe('10.244.7.3\n');
    expect(cli('list')).toBe('');
  });

  it('rejects bad command lines with a UsageError', () => {
    expect(() => nodeAllocatorCli(['list'])).toThrow(UsageError);
    expect(() => cli()).toThrow(UsageError);
    expect(() => cli('allocate')).toThrow(UsageError);
    expect(() => cli('frobnicate')).toThrow('unknown command frobnicate');
    expect(() => cli('list', 'x')).toThrow(UsageError);
  });
});
