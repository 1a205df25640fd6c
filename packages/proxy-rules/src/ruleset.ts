import type { Family } from './ip.js';
import type { L4Proto } from './service-ports.js';

/**
 * The structured form of our nftables table. The nft text is rendered from it and the packet
 * tracer walks it, so both see exactly the same rules. Every rule is one of the few shapes below;
 * anything else cannot be expressed, which keeps the tracer complete.
 */
export interface Ruleset {
  /** Table name inside the `inet` family. */
  table: string;
  /** The packet-mark bit that asks for masquerading. */
  masqueradeMark: number;
  chains: Map<string, Chain>;
  maps: Map<string, VerdictMap>;
  /** Dynamic per-endpoint source-address sets for ClientIP affinity. */
  affinitySets: Map<string, AffinitySet>;
  /** Static address sets (NodePort addresses). */
  addressSets: Map<string, AddressSet>;
  /**
   * Endpoint maps read by `dnatMap` rules: service address (or NodePort) . slot -> endpoint. A
   * service changing endpoints changes only elements here, never a chain.
   */
  dnatMaps: Map<string, DnatMap>;
  /** The node's addresses: not rendered, but what `fib ... type local` means to the tracer. */
  localAddresses: string[];
  /**
   * Endpoint addresses per family, with how many service ports use each: the `hairpin-v4/v6`
   * sets (`ip . ip` pairs) that masquerade an endpoint reaching itself through a service.
   */
  hairpin: Record<Family, Map<string, number>>;
  /**
   * Every ClusterIP (to its `namespace/name`): the `cluster-ips-v4/v6` sets, matched once in the
   * services chain to masquerade off-cluster clients instead of one rule per service.
   */
  clusterIPs: Record<Family, Map<string, string>>;
}

/** The per-service part of a ruleset: what one service port adds (see ProxyRules). */
export type RuleParts = Pick<
  Ruleset,
  'chains' | 'maps' | 'dnatMaps' | 'affinitySets' | 'hairpin' | 'clusterIPs'
>;

/** An empty RuleParts; maps appear as elements are added. */
export function emptyParts(): RuleParts {
  return {
    chains: new Map(),
    maps: new Map(),
    dnatMaps: new Map(),
    affinitySets: new Map(),
    hairpin: { ipv4: new Map(), ipv6: new Map() },
    clusterIPs: { ipv4: new Map(), ipv6: new Map() },
  };
}

export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';

export interface BaseChain {
  type: 'filter' | 'nat';
  hook: Hook;
  priority: number;
}

export interface Chain {
  name: string;
  /** Set for chains attached to a netfilter hook. */
  base?: BaseChain;
  /** `namespace/name/protocol/port` of the service port that owns this chain, if any. */
  owner?: string;
  rules: Rule[];
}

export type Verdict =
  { kind: 'goto' | 'jump'; chain: string } | { kind: 'drop' | 'reject' | 'return' | 'accept' };

/** What a verdict-map element can hold (`reject` is a statement, not a verdict). */
export type MapVerdict =
  { kind: 'goto' | 'jump'; chain: string } | { kind: 'drop' | 'return' | 'accept' };

export type Match =
  | { kind: 'nfproto'; family: Family }
  | { kind: 'ctStateNew' }
  | { kind: 'l4proto'; proto: L4Proto }
  | { kind: 'dport'; proto: L4Proto; port: number }
  /** Source or destination in (or, with `negate`, outside) the listed addresses/CIDRs. */
  | { kind: 'addr'; dir: 'saddr' | 'daddr'; family: Family; negate: boolean; cidrs: string[] }
  | { kind: 'addrInSet'; dir: 'saddr' | 'daddr'; family: Family; set: string }
  /** `fib saddr|daddr type local`: the address belongs to this node. */
  | { kind: 'fibLocal'; dir: 'saddr' | 'daddr' }
  /** The masquerade bit is not set. */
  | { kind: 'markClear' }
  /** `numgen random mod N == 0`: true once in N (a fresh number per rule). */
  | { kind: 'random'; mod: number }
  /** `ip saddr . ip daddr @hairpin-v4`: an endpoint talking to itself after DNAT. */
  | { kind: 'hairpin'; family: Family };

export type Action =
  | { kind: 'verdict'; verdict: Verdict }
  /** Looks `daddr . l4proto . dport` (or `l4proto . dport`) up in a verdict map. */
  | { kind: 'vmap'; key: 'addrProtoPort' | 'protoPort'; family: Family; map: string }
  /** `numgen random mod N vmap { i : goto targets[i] }` (used for many endpoints). */
  | { kind: 'numgen'; targets: string[] }
  | { kind: 'setMark' }
  | { kind: 'clearMark' }
  | { kind: 'masquerade' }
  /**
   * DNAT to `map[daddr . l4proto . dport . (numgen random mod N)]` (or `l4proto . dport . ...`
   * for NodePorts): a uniform pick among the N endpoints the map holds for that address.
   */
  | {
      kind: 'dnatMap';
      key: 'addrProtoPort' | 'protoPort';
      family: Family;
      mod: number;
      map: string;
    }
  /** DNAT to the endpoint; with `remember`, first refresh the client in that affinity set. */
  | { kind: 'dnat'; family: Family; proto: L4Proto; ip: string; port: number; remember?: string };

export interface Rule {
  matches: Match[];
  action: Action;
  comment?: string;
}

/** Key parts of a verdict-map element; `ip` is absent in NodePort maps. */
export interface MapKey {
  ip?: string;
  proto: L4Proto;
  port: number;
}

export interface VerdictMap {
  name: string;
  family: Family;
  key: 'addrProtoPort' | 'protoPort';
  /** Keyed by the rendered key (`10.0.0.1 . tcp . 80`). */
  elements: Map<string, MapElement>;
}

export interface MapElement {
  key: MapKey;
  verdict: MapVerdict;
  /** The service port it belongs to (`ns/name/proto/port`). */
  owner: string;
}

export interface DnatMap {
  name: string;
  family: Family;
  key: 'addrProtoPort' | 'protoPort';
  /** Keyed by the rendered key with its slot (`10.96.0.1 . tcp . 80 . 0`). */
  elements: Map<string, DnatElement>;
}

export interface DnatElement {
  key: MapKey;
  /** 0 .. N-1 for a service port with N endpoints. */
  slot: number;
  ip: string;
  port: number;
  owner: string;
}

/** A DNAT map element's key (`10.96.0.1 . tcp . 80 . 2`), also its identity in the map. */
export function dnatKeyText(e: Pick<DnatElement, 'key' | 'slot'>): string {
  return `${mapKeyText(e.key)} . ${e.slot}`;
}

/** The element's data as nft reads and prints it: `10.244.1.5 . 8080`. */
export function dnatDataText(e: Pick<DnatElement, 'ip' | 'port'>): string {
  return `${e.ip} . ${e.port}`;
}

export interface AffinitySet {
  name: string;
  family: Family;
  timeoutSeconds: number;
  owner: string;
}

export interface AddressSet {
  name: string;
  family: Family;
  addresses: string[];
}

export function clusterIpSetName(family: Family): string {
  return family === 'ipv4' ? 'cluster-ips-v4' : 'cluster-ips-v6';
}

export function hairpinSetName(family: Family): string {
  return family === 'ipv4' ? 'hairpin-v4' : 'hairpin-v6';
}

/** Renders a map key the way nft prints it, which is also its identity in `VerdictMap.elements`. */
export function mapKeyText(key: MapKey): string {
  const tail = `${key.proto} . ${key.port}`;
  return key.ip === undefined ? tail : `${key.ip} . ${tail}`;
}

/** A rule with only an action. */
export function rule(action: Action, ...matches: Match[]): Rule {
  return { matches, action };
}

export function verdict(v: Verdict, ...matches: Match[]): Rule {
  return { matches, action: { kind: 'verdict', verdict: v } };
}
