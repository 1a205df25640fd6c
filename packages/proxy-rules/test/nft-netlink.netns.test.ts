import { type Netns, NftNetlink, sweepStaleNetns, withNetns } from '@switchyard/linux';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTableInventory, tableInventoryCommands } from '../src/nft-render.js';
import { NftSyncer } from '../src/nft-syncer.js';
import { ProxyRules } from '../src/proxy-state.js';
import { NODE, ep, service, slice } from './fixtures.js';
import { type EventWorld, prng, randomEvent } from './random-events.js';
import { nft, tableListing as listing } from './topology.js';

// Element-only transactions sent over netlink (NftNetlink) must leave the kernel exactly where
// the same transactions as `nft -f` text do: two namespaces follow the same commits, one with a
// plain syncer, the other with the netlink element applier, and their tables are compared after
// every commit.

beforeAll(async () => {
  await sweepStaleNetns();
});

const TABLE = { family: 'inet', name: 'switchyard-proxy' } as const;

function syncers(text: Netns, netlink: Netns, nl: NftNetlink): [NftSyncer, NftSyncer] {
  return [
    new NftSyncer((t) => nft(text, t)),
    new NftSyncer(
      (t) => nft(netlink, t),
      undefined,
      (ops) => nl.applyElements(TABLE, ops),
    ),
  ];
}

describe('NftSyncer with a netlink element applier', () => {
  it('50 random events: every commit leaves both kernels identical', async () => {
    const rand = prng(11);
    const state = new ProxyRules(NODE);
    const world: EventWorld = { services: new Map(), slices: new Map() };
    await withNetns(['viatext', 'vianetlink'], async (a, b) => {
      const nl = NftNetlink.open({ netns: b });
      try {
        const [plain, fast] = syncers(a, b, nl);
        let viaNetlink = 0;
        let viaText = 0;
        for (let step = 0; step <= 50; step++) {
          if (step > 0) randomEvent(rand, state, world);
          const commit = state.commit();
          await plain.apply(commit);
          const r = await fast.apply(commit);
          expect(r.recovered).toBe(false);
          if (r.elementsApplied) viaNetlink++;
          else if (r.text) viaText++;
          expect(await listing(b)).toEqual(await listing(a));
        }
        // Both paths were exercised: endpoint-only changes over netlink, the rest through nft.
        expect(viaNetlink).toBeGreaterThan(5);
        expect(viaText).toBeGreaterThan(5);
      } finally {
        nl.close();
      }
    });
  });

  it('a refused netlink batch changes nothing and the syncer recovers with a full sync', async () => {
    const state = new ProxyRules(NODE);
    const web = service('web', { clusterIP: '10.96.0.10' });
    state.upsertService(web);
    state.upsertEndpointSlice(slice('web', [ep('10.244.1.5'), ep('10.244.1.6')]));
    await withNetns(['nlrecover', 'nlref'], async (ns, ref) => {
      const nl = NftNetlink.open({ netns: ns });
      try {
        const [plain, fast] = syncers(ref, ns, nl);
        const first = state.commit();
        await plain.apply(first);
        await fast.apply(first);

        // Someone deletes the element our next transaction deletes: the batch fails as a whole.
        await nft(
          ns,
          'delete element inet switchyard-proxy endpoints-v4 { 10.96.0.10 . tcp . 80 . 1 }\n',
        );
        state.upsertEndpointSlice(slice('web', [ep('10.244.1.5'), ep('10.244.1.7')]));
        const commit = state.commit();
        expect(commit.transaction.elements).toBeDefined();
        await plain.apply(commit);
        const r = await fast.apply(commit);
        expect(r.recovered).toBe(true);
        expect(r.full).toBe(true);
        expect(await listing(ns)).toEqual(await listing(ref));
        const map = await ns.exec([
          'nft',
          'list',
          'map',
          'inet',
          'switchyard-proxy',
          'endpoints-v4',
        ]);
        expect(map.stdout).toMatch(/10\.96\.0\.10 \. tcp \. 80 \. 1 : 10\.244\.1\.7 \. 8080/);

        // The next endpoint change goes over netlink again.
        state.upsertEndpointSlice(slice('web', [ep('10.244.1.5')]));
        const next = await fast.apply(state.commit());
        expect(next).toMatchObject({ elementsApplied: true, recovered: false });
        expect(
          (await ns.exec(['nft', 'list', 'map', 'inet', 'switchyard-proxy', 'endpoints-v4']))
            .stdout,
        ).not.toMatch(/10\.244\.1\.7/);
      } finally {
        nl.close();
      }
    });
  });

  it('a cold start loads the structure with nft and the elements over netlink', async () => {
    const state = new ProxyRules(NODE);
    for (let i = 0; i < 300; i++) {
      state.upsertService(service(`s${i}`, { clusterIP: `10.96.${i >> 8}.${i & 255}` }));
      const eps = [ep(`10.244.${i >> 8}.${i & 255}`), ep(`10.245.${i >> 8}.${i & 255}`)];
      state.upsertEndpointSlice(
        slice(`s${i}`, i % 3 === 0 ? [...eps, ep('10.246.0.1', { node: 'node-a' })] : eps),
      );
    }
    state.upsertService(service('sticky', { clusterIP: '10.96.9.1', sessionAffinity: 'ClientIP' }));
    state.upsertEndpointSlice(slice('sticky', [ep('10.244.9.1')]));
    const { ruleset } = state.commit();
    await withNetns(['coldnl', 'coldref'], async (ns, ref) => {
      const nl = NftNetlink.open({ netns: ns });
      try {
        const lister = async () =>
          parseTableInventory(
            ruleset,
            await Promise.all(
              tableInventoryCommands().map(async (argv) => (await ns.exec(argv)).stdout),
            ),
          );
        let texts = 0;
        const syncer = new NftSyncer(
          (t) => {
            texts++;
            return nft(ns, t);
          },
          lister,
          (ops) => nl.applyElements(TABLE, ops),
        );
        const cold = await syncer.resync(ruleset);
        expect(cold).toMatchObject({ full: true, elementsApplied: true, recovered: false });
        expect(cold.text).not.toMatch(/add element inet switchyard-proxy endpoints-v4/);
        expect(texts).toBe(1);
        await new NftSyncer((t) => nft(ref, t)).resync(ruleset);
        expect(await listing(ns)).toEqual(await listing(ref));

        // The table exists now: the next full sync is the one atomic nft transaction.
        const warm = await syncer.resync(ruleset);
        expect(warm.elementsApplied).toBe(false);
        expect(warm.text).toMatch(/^flush table inet switchyard-proxy$/m);
        expect(await listing(ns)).toEqual(await listing(ref));
      } finally {
        nl.close();
      }

      // An applier that fails after the structure is in: the one-transaction sync follows.
      await ns.exec(['nft', 'delete', 'table', 'inet', 'switchyard-proxy']);
      const failing = new NftSyncer(
        (t) => nft(ns, t),
        async () => ({ chains: [], sets: new Map(), maps: [] }),
        () => Promise.reject(new Error('refused')),
      );
      const r = await failing.resync(ruleset);
      expect(r.elementsApplied).toBe(false);
      expect(r.text).toMatch(/add element inet switchyard-proxy endpoints-v4/);
      expect(await listing(ns)).toEqual(await listing(ref));
    });
  });
});
