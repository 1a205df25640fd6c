import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rtnl, liveNetns, sweepStaleNetns, type Netns } from '@switchyard/linux';
import { LinuxDataplane, OverlayReconciler } from '../src/index.js';
import { buildLab, desiredFor, pings, programAll, programNode, type Lab } from './lab.js';

beforeAll(async () => {
  await sweepStaleNetns();
});

afterAll(() => {
  expect(liveNetns()).toEqual([]);
});

async function json<T>(ns: Netns, argv: string[]): Promise<T> {
  const { stdout } = await ns.exec(argv);
  return JSON.parse(stdout || '[]') as T;
}

const txPackets = async (ns: Netns, dev: string): Promise<number> => {
  const [link] = await json<{ stats64: { tx: { packets: number } } }[]>(ns, [
    'ip',
    '-j',
    '-s',
    'link',
    'show',
    dev,
  ]);
  return link!.stats64.tx.packets;
};

/** The VXLAN device with its details (`ip -d link show switchyard.1`). */
const vxlanDevice = async <T>(ns: Netns): Promise<T | undefined> =>
  (await json<T[]>(ns, ['ip', '-j', '-d', 'link', 'show', 'switchyard.1']))[0];

/** The forwarding database of the VXLAN device. */
const fdbEntries = <T>(ns: Netns): Promise<T[]> =>
  json<T[]>(ns, ['bridge', '-j', 'fdb', 'show', 'dev', 'switchyard.1']);

describe('VXLAN overlay between node namespaces', () => {
  it('two nodes: a pod on A pings a pod on B through switchyard.1', async () => {
    const lab = await buildLab([
      { name: 'a', underlay: '10.213.0.1/24', podCIDR: '10.211.1.0/24' },
      { name: 'b', underlay: '10.213.0.2/24', podCIDR: '10.211.2.0/24' },
    ]);
    try {
      const [a, b] = lab.nodes as [Lab['nodes'][0], Lab['nodes'][0]];
      expect(await pings(a.pod, b.podIP)).toBe(false); // nothing programmed yet
      await programAll(lab.nodes);

      const dev = await vxlanDevice<Record<string, unknown>>(a.ns);
      expect(dev).toMatchObject({
        mtu: 1450,
        address: a.vtepMac,
        linkinfo: {
          info_kind: 'vxlan',
          info_data: { id: 1, port: 8472, local: a.ip, link: 'eth0', learning: false },
        },
      });
      const routes = await json(a.ns, ['ip', '-j', 'route', 'show', 'proto', '77']);
      expect(routes).toEqual([
        expect.objectContaining({
          dst: '10.211.2.0/24',
          gateway: '10.211.2.0',
          dev: 'switchyard.1',
          flags: ['onlink'],
        }),
      ]);
      const neigh = await json(a.ns, ['ip', '-j', 'neigh', 'show', 'dev', 'switchyard.1']);
      expect(neigh).toEqual([
        expect.objectContaining({ dst: '10.211.2.0', lladdr: b.vtepMac, state: ['PERMANENT'] }),
      ]);
      const fdb = await fdbEntries<{ mac: string; dst?: string }>(a.ns);
      expect(fdb.filter((e) => e.dst)).toEqual([
        expect.objectContaining({ mac: b.vtepMac, dst: b.ip }),
      ]);

      const before = await txPackets(a.ns, 'switchyard.1');
      expect(await pings(a.pod, b.podIP)).toBe(true);
      expect(await pings(b.pod, a.podIP)).toBe(true);
      // The packets really went through the tunnel device.
      expect(await txPackets(a.ns, 'switchyard.1')).toBeGreaterThan(before);

      // A new VNI cannot be set in place: the device is remade and everything on it re-added.
      for (const n of lab.nodes) {
        const result = await programNode(n, lab.nodes, { vni: 7 });
        expect(result.plan.device.action).toBe('recreate');
        expect(result.errors).toEqual([]);
      }
      const remade = await vxlanDevice<{ linkinfo: { info_data: { id: number } } }>(a.ns);
      expect(remade!.linkinfo.info_data.id).toBe(7);
      expect(await pings(a.pod, b.podIP)).toBe(true);
    } finally {
      await lab.destroy();
    }
  });

  it('three nodes: idempotent, removes exactly a removed node, leaves hand-made state alone, keeps the MAC on restart', async () => {
    const lab = await buildLab([
      { name: 'a', underlay: '10.213.1.1/24', podCIDR: '10.211.11.0/24' },
      { name: 'b', underlay: '10.213.1.2/24', podCIDR: '10.211.12.0/24' },
      { name: 'c', underlay: '10.213.1.3/24', podCIDR: '10.211.13.0/24' },
    ]);
    try {
      const [a, b, c] = lab.nodes as [Lab['nodes'][0], Lab['nodes'][0], Lab['nodes'][0]];
      await programAll(lab.nodes);
      expect(await pings(a.pod, b.podIP)).toBe(true);
      expect(await pings(a.pod, c.podIP)).toBe(true);
      expect(await pings(c.pod, b.podIP)).toBe(true);

      // Hand-made state the overlay does not own: a route, a neighbour and an FDB entry elsewhere.
      await a.ns.exec(['ip', 'route', 'add', '10.99.0.0/24', 'via', b.ip]);
      await a.ns.exec([
        'ip',
        'neigh',
        'add',
        '10.213.1.99',
        'lladdr',
        '0a:00:00:00:99:99',
        'dev',
        'eth0',
        'nud',
        'permanent',
      ]);

      // Second run: nothing to do, and not one netlink write.
      const writes = a.nl.counters.writes;
      const again = await programNode(a, lab.nodes);
      expect(again.changes).toBe(0);
      expect(a.nl.counters.writes).toBe(writes);

      // Node c leaves: exactly its route, neighbour and FDB entry go.
      const removed = await programNode(a, [a, b]);
      expect(removed.errors).toEqual([]);
      expect(removed.changes).toBe(3);
      expect(removed.plan.deleteRoutes.map((r) => r.dst)).toEqual([c.podCIDR]);
      expect(removed.plan.deleteNeighbours.map((n) => n.ip)).toEqual(['10.211.13.0']);
      expect(removed.plan.deleteFdb.map((e) => e.dst)).toEqual([c.ip]);
      const routes = await json<{ dst: string }[]>(a.ns, ['ip', '-j', 'route', 'show']);
      expect(routes.map((r) => r.dst)).toEqual(
        expect.arrayContaining(['10.211.12.0/24', '10.99.0.0/24']),
      );
      expect(routes.map((r) => r.dst)).not.toContain('10.211.13.0/24');
      const neigh = await json<{ dst: string }[]>(a.ns, ['ip', '-j', 'neigh', 'show']);
      expect(neigh.map((n) => n.dst)).toEqual(
        expect.arrayContaining(['10.211.12.0', '10.213.1.99']),
      );
      expect(neigh.map((n) => n.dst)).not.toContain('10.211.13.0');
      const fdb = await fdbEntries<{ dst?: string }>(a.ns);
      expect(fdb.flatMap((e) => (e.dst ? [e.dst] : []))).toEqual([b.ip]);
      expect(await pings(a.pod, b.podIP)).toBe(true);
      expect(await pings(a.pod, c.podIP)).toBe(false);

      // A long-lived reconciler reads the kernel once, then works from memory: a resync with nothing
      // to do sends no request at all, and bringing c back costs exactly its three entries.
      const reconciler = new OverlayReconciler(new LinuxDataplane(a.nl, 77), 'switchyard.1');
      expect((await reconciler.sync(await desiredFor(a, [a, b]))).changes).toBe(0);
      const reads = a.nl.counters.reads;
      const before = a.nl.counters.writes;
      const same = await desiredFor(a, [a, b]);
      expect((await reconciler.sync(same)).changes).toBe(0);
      const back = await reconciler.sync(await desiredFor(a, [a, b, c]));
      expect(back.changes).toBe(3);
      expect(a.nl.counters.writes - before).toBe(3);
      // Both desiredFor calls read the underlay (addresses + links); the reconciler read nothing.
      expect(a.nl.counters.reads - reads).toBe(2 * 2);
      expect(await pings(a.pod, c.podIP)).toBe(true);
      // Drift behind its back is repaired after invalidate(): a hand-deleted route comes back.
      await a.ns.exec(['ip', 'route', 'del', c.podCIDR]);
      reconciler.invalidate();
      const repaired = await reconciler.sync(await desiredFor(a, [a, b, c]));
      expect(repaired.plan.setRoutes.map((r) => r.dst)).toEqual([c.podCIDR]);
      expect(repaired.changes).toBe(1);
      await programNode(a, [a, b]);

      // Restart: a new agent (new socket, no memory) reads the device's MAC back and changes nothing.
      const mac = a.vtepMac;
      a.nl.close();
      a.nl = Rtnl.open({ netns: a.ns });
      delete a.vtepMac;
      const restarted = await programNode(a, [a, b]);
      expect(a.vtepMac).toBe(mac);
      expect(restarted.changes).toBe(0);
      expect(a.nl.counters.writes).toBe(0);
    } finally {
      await lab.destroy();
    }
  });

  it('reports an entry the kernel refuses, applies the rest, and re-reads the kernel on the next sync', async () => {
    const lab = await buildLab([
      { name: 'a', underlay: '10.213.2.1/24', podCIDR: '10.211.21.0/24' },
      { name: 'b', underlay: '10.213.2.2/24', podCIDR: '10.211.22.0/24' },
    ]);
    try {
      const [a, b] = lab.nodes as [Lab['nodes'][0], Lab['nodes'][0]];
      await programAll(lab.nodes);
      const reconciler = new OverlayReconciler(new LinuxDataplane(a.nl, 77), 'switchyard.1');
      const good = await desiredFor(a, [a, b]);
      // A direct route whose gateway no interface reaches: the kernel answers ENETUNREACH.
      const bad = { dst: '10.250.0.0/24', gateway: '10.99.99.99', onlink: false };
      const withBad = { ...good, routes: [bad, ...good.routes] };
      await a.ns.exec(['ip', 'route', 'del', b.podCIDR]);
      expect(await pings(a.pod, b.podIP)).toBe(false);
      const result = await reconciler.sync(withBad);
      expect(result.changes).toBe(1); // b's route came back despite the refused one
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]!.operation).toContain('10.250.0.0/24');
      expect((result.errors[0]!.error as { code?: string }).code).toBe('ENETUNREACH');
      expect(await pings(a.pod, b.podIP)).toBe(true);

      const reads = a.nl.counters.reads;
      const healed = await reconciler.sync(good);
      expect(healed.errors).toEqual([]);
      expect(healed.changes).toBe(0);
      expect(a.nl.counters.reads).toBeGreaterThan(reads); // it did not trust its memory
    } finally {
      await lab.destroy();
    }
  });
});
