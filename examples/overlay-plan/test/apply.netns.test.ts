import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rtnl, liveNetns, sweepStaleNetns, withNetns, type Netns } from '@switchyard/linux';
import { LinuxDataplane, OverlayReconciler } from '@switchyard/overlay';
import { LOCAL_NODE, nodes, underlay } from '../src/cluster.js';
import { formatPlan, planFor } from '../src/plan.js';

beforeAll(async () => {
  await sweepStaleNetns();
});
afterAll(() => {
  expect(liveNetns()).toEqual([]);
});

/**
 * A namespace standing in for node-a: its underlay device eth0 with the InternalIP (a veth whose
 * peer stays inside the namespace, up, so eth0 has carrier and its subnet route).
 */
async function nodeA(ns: Netns): Promise<void> {
  await ns.exec(['ip', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'wire']);
  await ns.exec(['ip', 'address', 'add', '192.168.50.2/24', 'dev', 'eth0']);
  await ns.exec(['ip', 'link', 'set', 'wire', 'up']);
  await ns.exec(['ip', 'link', 'set', 'eth0', 'up']);
}

/** The overlay's part of a namespace's kernel state, as comparable text. */
async function overlayState(
  ns: Netns,
): Promise<{ routes: string[]; neighbours: string[]; fdb: string[] }> {
  const json = async (argv: string[]): Promise<Record<string, unknown>[]> =>
    JSON.parse((await ns.exec(argv)).stdout || '[]') as Record<string, unknown>[];
  const routes = (await json(['ip', '-j', 'route', 'show', 'proto', '77'])).map(
    (r) => `${String(r['dst'])} via ${String(r['gateway'])} dev ${String(r['dev'])}`,
  );
  const neighbours = (await json(['ip', '-j', 'neigh', 'show', 'dev', 'switchyard.1'])).map(
    (n) => `${String(n['dst'])} ${String(n['lladdr'])} ${JSON.stringify(n['state'])}`,
  );
  const fdb = (await json(['bridge', '-j', 'fdb', 'show', 'dev', 'switchyard.1']))
    .filter((f) => f['dst'] !== undefined)
    .map((f) => `${String(f['mac'])} ${String(f['dst'])}`);
  return { routes: routes.sort(), neighbours: neighbours.sort(), fdb: fdb.sort() };
}

describe('the plan in a kernel', () => {
  it('the reconciler programs it, and the printed commands build the same state', async () => {
    const plan = planFor({
      nodes,
      localNode: LOCAL_NODE,
      mode: 'auto',
      underlay,
      vtepMac: '0a:00:00:00:00:0a',
    });
    await withNetns(['ovreconcile', 'ovcommands'], async (viaNetlink, viaCommands) => {
      await nodeA(viaNetlink);
      await nodeA(viaCommands);

      const nl = Rtnl.open({ netns: viaNetlink.path });
      try {
        const reconciler = new OverlayReconciler(
          new LinuxDataplane(nl, plan.config.protocol),
          plan.config.device,
        );
        const first = await reconciler.sync(plan.desired);
        expect(first.errors).toEqual([]);
        expect(first.changes).toBeGreaterThan(0);
        // Already there: a second sync changes nothing.
        expect((await reconciler.sync(plan.desired)).changes).toBe(0);
      } finally {
        nl.close();
      }
      const programmed = await overlayState(viaNetlink);
      expect(programmed.routes).toEqual([
        '10.244.2.0/24 via 192.168.50.3 dev eth0',
        '10.244.3.0/24 via 10.244.3.0 dev switchyard.1',
        '10.244.4.0/24 via 192.168.50.5 dev eth0',
      ]);
      expect(programmed.fdb).toEqual(['0a:00:00:00:00:0c 172.30.9.4']);
      expect(programmed.neighbours).toEqual(['10.244.3.0 0a:00:00:00:00:0c ["PERMANENT"]']);

      for (const line of formatPlan(plan).split('\n')) {
        if (line && !line.startsWith('#')) await viaCommands.exec(line.split(' '));
      }
      expect(await overlayState(viaCommands)).toEqual(programmed);
    });
  });
});
