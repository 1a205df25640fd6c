import { sweepStaleNetns, withNetns } from '@switchyard/linux';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import type { ProxyModel } from '../src/model.js';
import { renderIncremental } from '../src/nft-diff.js';
import { renderFullSync } from '../src/nft-render.js';
import { ProxyRules } from '../src/proxy-state.js';
import { NODE, ep, model, service, slice } from './fixtures.js';
import { type EventWorld, prng, randomEvent } from './random-events.js';
import { nft, tableListing } from './topology.js';

// Incremental transactions must leave the kernel exactly where a full sync of the same model
// would: one namespace follows the chain of incremental updates, the other loads each state
// from scratch, and their `nft -j list table` outputs are compared (handles and element order
// aside).

beforeAll(async () => {
  await sweepStaleNetns();
});

const CIP = '10.96.0.10';
const lb = (extra: object = {}): ReturnType<typeof service> =>
  service(
    'lb',
    {
      type: 'LoadBalancer',
      clusterIP: '10.96.0.20',
      ports: [{ name: 'http', port: 80, nodePort: 30080 }],
      ...extra,
    },
    { lbIngress: [{ ip: '198.51.100.1' }] },
  );

const STATES: ProxyModel[] = [
  model(
    [service('web', { clusterIP: CIP }), lb()],
    [slice('web', [ep('10.244.1.5')]), slice('lb', [ep('10.244.2.5')])],
  ),
  // endpoint added; affinity switched on; LB gets source ranges and a Local policy
  model(
    [
      service('web', { clusterIP: CIP, sessionAffinity: 'ClientIP' }),
      lb({
        loadBalancerSourceRanges: ['203.0.113.0/24'],
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 32000,
      }),
    ],
    [
      slice('web', [ep('10.244.1.5'), ep('10.244.1.6', { node: 'node-a' })]),
      slice('lb', [ep('10.244.2.5')]),
    ],
  ),
  // affinity timeout changed, an endpoint gone, a dual-stack service added, lb loses endpoints
  model(
    [
      service('web', {
        clusterIP: CIP,
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
      }),
      lb({ externalTrafficPolicy: 'Local', healthCheckNodePort: 32000 }),
      service('ds', { clusterIP: '10.96.0.30', clusterIPs: ['10.96.0.30', 'fd00:96::30'] }),
    ],
    [
      slice('web', [ep('10.244.1.6', { node: 'node-a' })]),
      slice('ds', [ep('10.244.3.5')]),
      slice('ds', [ep('fd00:244::5')], { family: 'IPv6' }),
    ],
  ),
  // everything removed
  model([], []),
];

describe('ProxyRules transactions in the kernel', () => {
  it('60 random events applied one commit at a time end where a full load does', async () => {
    const rand = prng(7);
    const state = new ProxyRules(NODE);
    const world: EventWorld = { services: new Map(), slices: new Map() };
    await withNetns(['rand', 'ref'], async (ns, ref) => {
      await nft(ns, state.commit().transaction.text);
      for (let step = 0; step < 60; step++) {
        randomEvent(rand, state, world);
        const tx = state.commit().transaction;
        expect(tx.full).toBe(false);
        if (tx.text) await nft(ns, tx.text);
      }
      const full = compile(model([...world.services.values()], [...world.slices.values()]));
      await nft(ref, renderFullSync(full.ruleset));
      expect(await tableListing(ns)).toEqual(await tableListing(ref));
    });
  });
});

describe('every rule shape', () => {
  it('loads into the kernel and reads back with the same rules per chain', async () => {
    const many = Array.from({ length: 20 }, (_, i) => ep(`10.244.9.${i + 1}`));
    const everything = model(
      [
        lb({
          loadBalancerSourceRanges: ['203.0.113.0/24', '192.168.0.0/24'],
          externalTrafficPolicy: 'Local',
          healthCheckNodePort: 32000,
        }),
        service('sticky', {
          clusterIP: '10.96.0.40',
          clusterIPs: ['10.96.0.40', 'fd00:96::40'],
          sessionAffinity: 'ClientIP',
          internalTrafficPolicy: 'Local',
        }),
        service('big', {
          clusterIP: '10.96.0.50',
          sessionAffinity: 'ClientIP',
          externalIPs: ['203.0.113.50'],
        }),
        service('sctp', {
          type: 'NodePort',
          clusterIP: '10.96.0.60',
          ports: [{ name: 's', port: 9, protocol: 'SCTP', nodePort: 30009 }],
        }),
        service('none', { clusterIP: '10.96.0.70' }),
      ],
      [
        slice('lb', [ep('10.244.2.5', { node: 'node-a' }), ep('10.244.2.6')]),
        slice('sticky', [ep('10.244.3.5', { node: 'node-a' })]),
        slice('sticky', [ep('fd00:244::35', { node: 'node-a' })], { family: 'IPv6' }),
        slice('big', many),
        {
          ...slice('sctp', [ep('10.244.4.5')], { name: 's' }),
          ports: [{ name: 's', port: 9, protocol: 'SCTP' }],
        },
      ],
      { ...NODE, nodePortAddresses: ['192.168.0.10', 'fd00:192::10'] },
    );
    const { ruleset } = compile(everything);
    await withNetns(['shapes'], async (ns) => {
      await nft(ns, renderFullSync(ruleset));
      const { stdout } = await ns.exec(['nft', '-j', 'list', 'table', 'inet', 'switchyard-proxy']);
      const items = (JSON.parse(stdout) as { nftables: Record<string, { chain?: string }>[] })
        .nftables;
      const perChain = new Map<string, number>();
      for (const o of items)
        if (o.rule) perChain.set(o.rule.chain!, (perChain.get(o.rule.chain!) ?? 0) + 1);
      for (const c of ruleset.chains.values())
        expect([c.name, perChain.get(c.name) ?? 0]).toEqual([c.name, c.rules.length]);
      expect([...ruleset.chains.values()].some((c) => c.name.startsWith('endpoint-'))).toBe(true);
    });
  });
});

describe('incremental transactions in the kernel', () => {
  it('converge to the same table as a full sync, state after state', async () => {
    await withNetns(['inc', 'full'], async (inc, full) => {
      await nft(inc, renderFullSync(compile(STATES[0]!).ruleset));
      for (let i = 1; i < STATES.length; i++) {
        const prev = compile(STATES[i - 1]!).ruleset;
        const next = compile(STATES[i]!).ruleset;
        const tx = renderIncremental(prev, next);
        expect(tx.full).toBe(false);
        expect(tx.text).not.toBe('');
        await nft(inc, tx.text);
        await nft(full, renderFullSync(next));
        expect(await tableListing(inc)).toEqual(await tableListing(full));
      }
    });
  });

  it('a node change (cluster CIDRs, NodePort addresses) replaces the whole table', async () => {
    const a = compile(STATES[1]!).ruleset;
    const b = compile({
      ...STATES[1]!,
      node: { ...NODE, clusterCIDRs: ['10.240.0.0/12'] },
    }).ruleset;
    const c = compile({
      ...STATES[1]!,
      node: { ...NODE, clusterCIDRs: ['10.240.0.0/12'], nodePortAddresses: ['192.168.0.10'] },
    }).ruleset;
    const toB = renderIncremental(a, b);
    const toC = renderIncremental(b, c);
    expect(toB.full).toBe(true);
    expect(toC.full).toBe(true);
    await withNetns(['cidr'], async (ns) => {
      await nft(ns, renderFullSync(a));
      await nft(ns, toB.text);
      const { stdout } = await ns.exec([
        'nft',
        'list',
        'chain',
        'inet',
        'switchyard-proxy',
        'services',
      ]);
      expect(stdout).toContain(
        'ip daddr @cluster-ips-v4 ip saddr != 10.240.0.0/12 jump mark-for-masquerade',
      );
      expect(stdout).not.toContain('10.244.0.0/16');
      await nft(ns, toC.text);
      const after = await ns.exec([
        'nft',
        'list',
        'set',
        'inet',
        'switchyard-proxy',
        'nodeport-ips-v4',
      ]);
      expect(after.stdout).toContain('192.168.0.10');
    });
  });
});
