import { type Netns, NftNetlink, sweepStaleNetns, withNetns } from '@switchyard/linux';
import { beforeAll, describe, expect, it } from 'vitest';
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
});
