import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLink, liveNetns, sweepStaleNetns, type Netns } from '@switchyard/linux';
import { buildLab, pings, programAll, programNode, type LabNode } from './lab.js';

beforeAll(async () => {
  await sweepStaleNetns();
});

afterAll(() => {
  expect(liveNetns()).toEqual([]);
});

async function routes(ns: Netns): Promise<Record<string, unknown>[]> {
  const { stdout } = await ns.exec(['ip', '-j', 'route', 'show', 'proto', '77']);
  return JSON.parse(stdout || '[]') as Record<string, unknown>[];
}

describe('direct routing and auto mode', () => {
  it('direct: nodes on one L2 subnet route pod CIDRs via each other, with no tunnel device', async () => {
    const lab = await buildLab([
      { name: 'a', underlay: '10.214.0.1/24', podCIDR: '10.212.1.0/24' },
      { name: 'b', underlay: '10.214.0.2/24', podCIDR: '10.212.2.0/24' },
    ]);
    try {
      const [a, b] = lab.nodes as [LabNode, LabNode];
      await programAll(lab.nodes, { mode: 'direct' });
      expect(await routes(a.ns)).toEqual([
        expect.objectContaining({ dst: '10.212.2.0/24', gateway: b.ip, dev: 'eth0' }),
      ]);
      expect(await getLink(a.nl, 'switchyard.1')).toBeUndefined();
      expect(await pings(a.pod, b.podIP)).toBe(true);
      expect(await pings(b.pod, a.podIP)).toBe(true);
      const writes = a.nl.counters.writes;
      expect((await programNode(a, lab.nodes, { mode: 'direct' })).changes).toBe(0);
      expect(a.nl.counters.writes).toBe(writes);
    } finally {
      await lab.destroy();
    }
  });

  it('direct, dual-stack: IPv6 pods reach each other over IPv6 node addresses', async () => {
    const lab = await buildLab([
      {
        name: 'a',
        underlay: '10.214.3.1/24',
        podCIDR: '10.212.31.0/24',
        underlay6: 'fd00:214:3::1/64',
        podCIDR6: 'fd00:212:31::/64',
      },
      {
        name: 'b',
        underlay: '10.214.3.2/24',
        podCIDR: '10.212.32.0/24',
        underlay6: 'fd00:214:3::2/64',
        podCIDR6: 'fd00:212:32::/64',
      },
    ]);
    try {
      const [a, b] = lab.nodes as [LabNode, LabNode];
      await programAll(lab.nodes, { mode: 'direct' });
      const { stdout } = await a.ns.exec(['ip', '-6', '-j', 'route', 'show', 'proto', '77']);
      expect(JSON.parse(stdout)).toEqual([
        expect.objectContaining({ dst: 'fd00:212:32::/64', gateway: 'fd00:214:3::2', dev: 'eth0' }),
      ]);
      const ping6 = await a.pod.execUnchecked(['ping', '-6', '-c', '1', '-W', '3', b.podIP6!]);
      expect(ping6.stdout).toMatch(/1 received/);
      expect(await pings(a.pod, b.podIP)).toBe(true);
    } finally {
      await lab.destroy();
    }
  });

  it('auto: direct to the node on the same subnet, VXLAN to the node behind a router; vxlan->direct removes the device', async () => {
    // a and b share 10.214.1.0/24; c sits on 10.214.2.0/24; the lab namespace routes between them.
    const lab = await buildLab(
      [
        {
          name: 'a',
          underlay: '10.214.1.1/24',
          podCIDR: '10.212.11.0/24',
          gateway: '10.214.1.254',
        },
        {
          name: 'b',
          underlay: '10.214.1.2/24',
          podCIDR: '10.212.12.0/24',
          gateway: '10.214.1.254',
        },
        {
          name: 'c',
          underlay: '10.214.2.3/24',
          podCIDR: '10.212.13.0/24',
          gateway: '10.214.2.254',
        },
      ],
      ['10.214.1.254/24', '10.214.2.254/24'],
    );
    try {
      const [a, b, c] = lab.nodes as [LabNode, LabNode, LabNode];
      await programAll(lab.nodes, { mode: 'auto' });
      expect(await routes(a.ns)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ dst: '10.212.12.0/24', gateway: b.ip, dev: 'eth0' }),
          expect.objectContaining({
            dst: '10.212.13.0/24',
            gateway: '10.212.13.0',
            dev: 'switchyard.1',
            flags: ['onlink'],
          }),
        ]),
      );
      expect(await pings(a.pod, b.podIP)).toBe(true);
      expect(await pings(a.pod, c.podIP)).toBe(true);
      expect(await pings(c.pod, b.podIP)).toBe(true);

      // Switching a to plain direct routing: the tunnel device and everything on it go, b stays.
      const direct = await programNode(a, lab.nodes, { mode: 'direct' });
      expect(direct.plan.device).toEqual({ action: 'delete', name: 'switchyard.1' });
      expect(await getLink(a.nl, 'switchyard.1')).toBeUndefined();
      expect(await routes(a.ns)).toEqual([
        expect.objectContaining({ dst: '10.212.12.0/24', gateway: b.ip }),
      ]);
      expect(await pings(a.pod, b.podIP)).toBe(true);
      expect(await pings(a.pod, c.podIP)).toBe(false);
    } finally {
      await lab.destroy();
    }
  });
});
