import type { Family } from './ip.js';
import type { NodeContext } from './node.js';
import {
  type AddressSet,
  type Chain,
  type DnatMap,
  type Match,
  type Rule,
  type Ruleset,
  type VerdictMap,
  clusterIpSetName,
  rule,
  verdict,
} from './ruleset.js';

/** Names of the fixed chains and maps (per-service objects all contain a `/`, these never do). */
export const CHAIN = {
  servicesDispatch: 'services',
  firewallCheck: 'firewall-check',
  endpointsCheck: 'endpoints-check',
  markForMasquerade: 'mark-for-masquerade',
  masquerading: 'masquerading',
  reject: 'reject-chain',
} as const;

export const FAMILIES: readonly Family[] = ['ipv4', 'ipv6'];

/** `service-ips-v4`, `no-endpoint-nodeports-v6`, ... one of each per family. */
export function mapName(
  kind:
    | 'service-ips'
    | 'service-nodeports'
    | 'no-endpoint-services'
    | 'no-endpoint-nodeports'
    | 'firewall-ips',
  family: Family,
): string {
  return `${kind}-${family === 'ipv4' ? 'v4' : 'v6'}`;
}

/** The endpoint maps: `endpoints-v4` (by service address), `nodeport-endpoints-v4` (by NodePort). */
export function dnatMapName(key: 'addrProtoPort' | 'protoPort', family: Family): string {
  const suffix = family === 'ipv4' ? 'v4' : 'v6';
  return key === 'addrProtoPort' ? `endpoints-${suffix}` : `nodeport-endpoints-${suffix}`;
}

/**
 * Service ports with up to this many endpoints (and no affinity or Local external policy) use the
 * shared pick chains. They are part of the fixed table because nft 1.0.6 cannot add a rule using
 * an endpoint map that an earlier transaction created (it fails to re-read the map's `typeof`
 * from the kernel: "conflicting protocols specified: ip vs. th"), so the chains are only ever
 * created together with the maps.
 */
export const PICK_MAX = 32;

export type PickKind = 'cluster' | 'external' | 'nodeport';

/**
 * Where such a service port sends its packets: one chain per kind, family and endpoint count,
 * shared by every service port of that shape, picking uniformly among the `mod` endpoints its map
 * holds for the packet's address (ClusterIP: as is; external IPs, LB IPs and NodePorts:
 * masqueraded, externalTrafficPolicy Cluster). Endpoint changes touch map elements only.
 */
export function pickChainName(kind: PickKind, family: Family, mod: number): string {
  const suffix = family === 'ipv4' ? 'v4' : 'v6';
  return kind === 'cluster' ? `pick-${suffix}-${mod}` : `pick-${kind}-${suffix}-${mod}`;
}

function pickChain(kind: PickKind, family: Family, mod: number): Chain {
  const key = kind === 'nodeport' ? 'protoPort' : 'addrProtoPort';
  const rules: Rule[] =
    kind === 'cluster' ? [] : [verdict({ kind: 'jump', chain: CHAIN.markForMasquerade })];
  rules.push(rule({ kind: 'dnatMap', key, family, mod, map: dnatMapName(key, family) }));
  return { name: pickChainName(kind, family, mod), rules };
}

export function nodePortSetName(family: Family): string {
  return `nodeport-ips-${family === 'ipv4' ? 'v4' : 'v6'}`;
}

// Filter chains run before DNAT (priority dstnat - 10) so they see the service address, as in
// kube-proxy; REJECT is only valid in input/forward/output, hence the endpoints check there.
const BASE_CHAINS: Chain[] = [
  {
    name: 'filter-prerouting',
    base: { type: 'filter', hook: 'prerouting', priority: -110 },
    rules: [],
  },
  { name: 'filter-input', base: { type: 'filter', hook: 'input', priority: -110 }, rules: [] },
  { name: 'filter-forward', base: { type: 'filter', hook: 'forward', priority: -110 }, rules: [] },
  { name: 'filter-output', base: { type: 'filter', hook: 'output', priority: -110 }, rules: [] },
  { name: 'nat-prerouting', base: { type: 'nat', hook: 'prerouting', priority: -100 }, rules: [] },
  { name: 'nat-output', base: { type: 'nat', hook: 'output', priority: -100 }, rules: [] },
  { name: 'nat-postrouting', base: { type: 'nat', hook: 'postrouting', priority: 100 }, rules: [] },
];

const JUMPS: [from: string, to: string, newOnly: boolean][] = [
  ['filter-input', CHAIN.endpointsCheck, true],
  ['filter-forward', CHAIN.endpointsCheck, true],
  ['filter-output', CHAIN.endpointsCheck, true],
  ['filter-prerouting', CHAIN.firewallCheck, true],
  ['filter-output', CHAIN.firewallCheck, true],
  ['nat-prerouting', CHAIN.servicesDispatch, false],
  ['nat-output', CHAIN.servicesDispatch, false],
  ['nat-postrouting', CHAIN.masquerading, false],
];

/** The table's fixed part: base chains, dispatch chains and empty maps. */
export function skeleton(table: string, masqueradeMark: number, node: NodeContext): Ruleset {
  const chains = new Map<string, Chain>();
  const add = (c: Chain): void => void chains.set(c.name, c);
  for (const c of BASE_CHAINS) add({ ...c, rules: [] });
  for (const name of Object.values(CHAIN)) add({ name, rules: [] });
  for (const [from, to, newOnly] of JUMPS) {
    const matches: Match[] = newOnly ? [{ kind: 'ctStateNew' }] : [];
    chains.get(from)!.rules.push(verdict({ kind: 'jump', chain: to }, ...matches));
  }
  chains.get(CHAIN.markForMasquerade)!.rules.push(rule({ kind: 'setMark' }));
  chains
    .get(CHAIN.masquerading)!
    .rules.push(
      ...FAMILIES.map((family) => rule({ kind: 'setMark' }, { kind: 'hairpin', family })),
      verdict({ kind: 'return' }, { kind: 'markClear' }),
      rule({ kind: 'clearMark' }),
      rule({ kind: 'masquerade' }),
    );
  chains.get(CHAIN.reject)!.rules.push(verdict({ kind: 'reject' }));

  const maps = new Map<string, VerdictMap>();
  const dnatMaps = new Map<string, DnatMap>();
  const addressSets = new Map<string, AddressSet>();
  for (const family of FAMILIES) {
    for (const key of ['addrProtoPort', 'protoPort'] as const) {
      const name = dnatMapName(key, family);
      dnatMaps.set(name, { name, family, key, elements: new Map() });
    }
    for (const kind of ['cluster', 'external', 'nodeport'] as const)
      for (let mod = 1; mod <= PICK_MAX; mod++) add(pickChain(kind, family, mod));
    for (const kind of ['service-ips', 'no-endpoint-services', 'firewall-ips'] as const) {
      const name = mapName(kind, family);
      maps.set(name, { name, family, key: 'addrProtoPort', elements: new Map() });
    }
    for (const kind of ['service-nodeports', 'no-endpoint-nodeports'] as const) {
      const name = mapName(kind, family);
      maps.set(name, { name, family, key: 'protoPort', elements: new Map() });
    }
    const cidrs = node.clusterCIDRs.filter((c) => c.family === family).map((c) => c.text);
    if (cidrs.length > 0) {
      // Off-cluster clients of a ClusterIP are masqueraded so replies come back through us.
      chains
        .get(CHAIN.servicesDispatch)!
        .rules.push(
          verdict(
            { kind: 'jump', chain: CHAIN.markForMasquerade },
            { kind: 'addrInSet', dir: 'daddr', family, set: clusterIpSetName(family) },
            { kind: 'addr', dir: 'saddr', family, negate: true, cidrs },
          ),
        );
    }
    const addrLookup = (map: string): ReturnType<typeof rule> =>
      rule({ kind: 'vmap', key: 'addrProtoPort', family, map });
    chains.get(CHAIN.servicesDispatch)!.rules.push(addrLookup(mapName('service-ips', family)));
    chains.get(CHAIN.firewallCheck)!.rules.push(addrLookup(mapName('firewall-ips', family)));
    chains
      .get(CHAIN.endpointsCheck)!
      .rules.push(addrLookup(mapName('no-endpoint-services', family)));

    const explicit = node.nodePortAddresses[family];
    const nodePortMatch: Match[] = [{ kind: 'nfproto', family }];
    if (explicit.length > 0) {
      const set = nodePortSetName(family);
      addressSets.set(set, { name: set, family, addresses: explicit });
      nodePortMatch.push({ kind: 'addrInSet', dir: 'daddr', family, set });
    } else {
      const loopback = family === 'ipv4' ? '127.0.0.0/8' : '::1';
      nodePortMatch.push(
        { kind: 'fibLocal', dir: 'daddr' },
        { kind: 'addr', dir: 'daddr', family, negate: true, cidrs: [loopback] },
      );
    }
    for (const [chain, map] of [
      [CHAIN.servicesDispatch, 'service-nodeports'],
      [CHAIN.endpointsCheck, 'no-endpoint-nodeports'],
    ] as const) {
      chains
        .get(chain)!
        .rules.push(
          rule(
            { kind: 'vmap', key: 'protoPort', family, map: mapName(map, family) },
            ...nodePortMatch,
          ),
        );
    }
  }
  const localAddresses = [...node.addresses.ipv4, ...node.addresses.ipv6];
  return {
    table,
    masqueradeMark,
    chains,
    maps,
    dnatMaps,
    affinitySets: new Map(),
    addressSets,
    localAddresses,
    hairpin: { ipv4: new Map(), ipv6: new Map() },
    clusterIPs: { ipv4: new Map(), ipv6: new Map() },
  };
}
