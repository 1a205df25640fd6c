import { describe, expect, it } from 'vitest';
import {
  NetlinkError,
  NftNetlink,
  type NftElementOp,
  type NftValue,
  NftTransaction,
  type Netns,
  withNetns,
} from '../src/index.js';
import { netnsLifecycle } from './helpers.js';

netnsLifecycle();

// A table shaped like switchyard-proxy's: a verdict map, endpoint maps keyed by a numgen slot
// (v4 and v6), a set of address pairs, an address set, and a base chain jumping to `services`.
const TABLE = [
  'add table inet nl',
  'add chain inet nl services',
  'add chain inet nl pick',
  'add chain inet nl nat-prerouting { type nat hook prerouting priority -100 ; }',
  'add rule inet nl nat-prerouting meta l4proto tcp counter jump services',
  'add map inet nl service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; }',
  'add map inet nl eps4 { typeof ip daddr . meta l4proto . th dport . numgen random mod 2 : ip daddr . th dport ; }',
  'add map inet nl eps6 { typeof ip6 daddr . meta l4proto . th dport . numgen random mod 2 : ip6 daddr . th dport ; }',
  'add set inet nl hairpin { type ipv4_addr . ipv4_addr ; }',
  'add set inet nl cluster-ips6 { type ipv6_addr ; }',
  'add element inet nl eps4 { 10.96.0.9 . tcp . 80 . 0 : 10.244.9.9 . 80 }',
];

const v4 = (value: string): NftValue => ({ type: 'ipv4_addr', value });
const v6 = (value: string): NftValue => ({ type: 'ipv6_addr', value });
const tcp: NftValue = { type: 'inet_proto', value: 6 };
const udp: NftValue = { type: 'inet_proto', value: 17 };
const port = (value: number): NftValue => ({ type: 'inet_service', value });
const slot = (value: number): NftValue => ({ type: 'integer', value });
const table = { family: 'inet', name: 'nl' } as const;

// The same changes twice: as nft text and as structured operations.
const STEPS: { text: string[]; ops: NftElementOp[] }[] = [
  {
    text: [
      'add element inet nl service-ips { 10.96.0.1 . tcp . 80 : goto pick, 10.96.0.2 . udp . 53 : jump services }',
      'add element inet nl eps4 { 10.96.0.1 . tcp . 80 . 0 : 10.244.1.5 . 8080, 10.96.0.1 . tcp . 80 . 1 : 10.244.2.5 . 8080 }',
      'add element inet nl eps6 { fd00::1 . udp . 53 . 3 : fd01::5 . 5353 }',
      'add element inet nl hairpin { 10.244.1.5 . 10.244.1.5 }',
      'add element inet nl cluster-ips6 { fd00::1, fd00::2 }',
    ],
    ops: [
      {
        op: 'add',
        set: 'service-ips',
        elements: [
          { key: [v4('10.96.0.1'), tcp, port(80)], data: { kind: 'goto', chain: 'pick' } },
          { key: [v4('10.96.0.2'), udp, port(53)], data: { kind: 'jump', chain: 'services' } },
        ],
      },
      {
        op: 'add',
        set: 'eps4',
        elements: [
          { key: [v4('10.96.0.1'), tcp, port(80), slot(0)], data: [v4('10.244.1.5'), port(8080)] },
          { key: [v4('10.96.0.1'), tcp, port(80), slot(1)], data: [v4('10.244.2.5'), port(8080)] },
        ],
      },
      {
        op: 'add',
        set: 'eps6',
        elements: [
          { key: [v6('fd00::1'), udp, port(53), slot(3)], data: [v6('fd01::5'), port(5353)] },
        ],
      },
      { op: 'add', set: 'hairpin', elements: [{ key: [v4('10.244.1.5'), v4('10.244.1.5')] }] },
      {
        op: 'add',
        set: 'cluster-ips6',
        elements: [{ key: [v6('fd00::1')] }, { key: [v6('fd00::2')] }],
      },
    ],
  },
  {
    // An endpoint replaced in slot 1 (delete, then add of the same key), one verdict changed.
    text: [
      'delete element inet nl eps4 { 10.96.0.1 . tcp . 80 . 1 }',
      'delete element inet nl service-ips { 10.96.0.2 . udp . 53 }',
      'delete element inet nl cluster-ips6 { fd00::2 }',
      'add element inet nl eps4 { 10.96.0.1 . tcp . 80 . 1 : 10.244.3.7 . 9090 }',
      'add element inet nl service-ips { 10.96.0.2 . udp . 53 : drop }',
    ],
    ops: [
      { op: 'delete', set: 'eps4', elements: [{ key: [v4('10.96.0.1'), tcp, port(80), slot(1)] }] },
      { op: 'delete', set: 'service-ips', elements: [{ key: [v4('10.96.0.2'), udp, port(53)] }] },
      { op: 'delete', set: 'cluster-ips6', elements: [{ key: [v6('fd00::2')] }] },
      {
        op: 'add',
        set: 'eps4',
        elements: [
          { key: [v4('10.96.0.1'), tcp, port(80), slot(1)], data: [v4('10.244.3.7'), port(9090)] },
        ],
      },
      {
        op: 'add',
        set: 'service-ips',
        elements: [{ key: [v4('10.96.0.2'), udp, port(53)], data: { kind: 'drop' } }],
      },
    ],
  },
];

async function listTable(ns: Netns): Promise<unknown> {
  return JSON.parse((await ns.exec(['nft', '-j', 'list', 'table', 'inet', 'nl'])).stdout);
}

describe('nf_tables over netlink (NftNetlink)', () => {
  it('leaves the kernel exactly as nft -f does for the same element changes', async () => {
    await withNetns(['nltext', 'nlnetlink'], async (viaText, viaNetlink) => {
      for (const ns of [viaText, viaNetlink])
        await new NftTransaction().add(...TABLE).apply({ netns: ns });
      const nl = NftNetlink.open({ netns: viaNetlink });
      try {
        for (const step of STEPS) {
          await new NftTransaction().add(...step.text).apply({ netns: viaText });
          await nl.applyElements(table, step.ops);
          expect(await listTable(viaNetlink)).toEqual(await listTable(viaText));
        }
        const text = (await viaNetlink.exec(['nft', 'list', 'map', 'inet', 'nl', 'eps4'])).stdout;
        expect(text).toMatch(/10\.96\.0\.1 \. tcp \. 80 \. 1 : 10\.244\.3\.7 \. 9090/);
      } finally {
        nl.close();
      }
    });
  });

  it('applies a batch all or nothing and names the refused operation and its errno', async () => {
    await withNetns(['nlatomic'], async (ns) => {
      await new NftTransaction().add(...TABLE).apply({ netns: ns });
      const before = await listTable(ns);
      const nl = NftNetlink.open({ netns: ns });
      try {
        const fresh: NftElementOp = {
          op: 'add',
          set: 'hairpin',
          elements: [{ key: [v4('10.244.7.7'), v4('10.244.7.7')] }],
        };
        const missingElement: NftElementOp = {
          op: 'delete',
          set: 'hairpin',
          elements: [{ key: [v4('10.9.9.9'), v4('10.9.9.9')] }],
        };
        const err = await nl.applyElements(table, [fresh, missingElement]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(NetlinkError);
        expect(err).toMatchObject({ code: 'ENOENT', operation: 'delete element inet nl hairpin' });
        expect(await listTable(ns)).toEqual(before);

        // Same key, other data: EEXIST, as `nft add element` reports it.
        const clash: NftElementOp = {
          op: 'add',
          set: 'eps4',
          elements: [
            { key: [v4('10.96.0.9'), tcp, port(80), slot(0)], data: [v4('10.244.9.8'), port(80)] },
          ],
        };
        await expect(nl.applyElements(table, [fresh, clash])).rejects.toMatchObject({
          code: 'EEXIST',
        });
        await expect(
          nl.applyElements({ family: 'inet', name: 'absent' }, [fresh]),
        ).rejects.toMatchObject({ code: 'ENOENT' });
        expect(await listTable(ns)).toEqual(before);

        // The socket is still usable after refusals.
        await nl.applyElements(table, [fresh]);
        const set = (await ns.exec(['nft', 'list', 'set', 'inet', 'nl', 'hairpin'])).stdout;
        expect(set).toMatch(/10\.244\.7\.7 \. 10\.244\.7\.7/);
      } finally {
        nl.close();
      }
      await expect(nl.applyElements(table, [])).resolves.toBeUndefined();
      await expect(nl.listRules(table, 'nat-prerouting')).rejects.toMatchObject({
        code: 'ECLOSED',
      });
    });
  });

  it('applies thousands of elements in one batch', async () => {
    await withNetns(['nlbulk'], async (ns) => {
      await new NftTransaction().add(...TABLE).apply({ netns: ns });
      const nl = NftNetlink.open({ netns: ns });
      try {
        const elements = Array.from({ length: 6_000 }, (_, i) => ({
          key: [v4(`10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`), tcp, port(80), slot(1)],
          data: [v4('10.244.0.1'), port(8080)],
        }));
        await nl.applyElements(table, [{ op: 'add', set: 'eps4', elements }]);
        const { stdout } = await ns.exec(['nft', '-j', 'list', 'map', 'inet', 'nl', 'eps4']);
        const map = (JSON.parse(stdout) as { nftables: { map?: { elem: unknown[] } }[] }).nftables;
        expect(map.find((o) => o.map)!.map!.elem).toHaveLength(6_001);
      } finally {
        nl.close();
      }
    });
  });

  it('lists one chain with its jumps, in the namespace it was opened in', async () => {
    await withNetns(['nllist', 'nlother'], async (ns, other) => {
      await new NftTransaction().add(...TABLE).apply({ netns: ns });
      const nl = NftNetlink.open({ netns: ns });
      const elsewhere = NftNetlink.open({ netns: other });
      try {
        const rules = await nl.listRules(table, 'nat-prerouting');
        expect(rules).toHaveLength(1);
        expect(rules[0]!.verdicts).toEqual([{ kind: 'jump', chain: 'services' }]);
        expect(rules[0]!.expressions).toEqual(['meta', 'cmp', 'counter', 'immediate']);
        expect(await nl.listRules(table, 'services')).toEqual([]);
        expect(await nl.listRules(table, 'no-such-chain')).toEqual([]);
        // The other namespace has no table at all.
        expect(await elsewhere.listRules(table, 'nat-prerouting')).toEqual([]);

        await ns.exec(['nft', 'flush', 'chain', 'inet', 'nl', 'nat-prerouting']);
        expect(await nl.listRules(table, 'nat-prerouting')).toEqual([]);
      } finally {
        nl.close();
        elsewhere.close();
      }
    });
  });
});
