import { ipFamily } from './ip.js';
import type { DnatElement, MapElement, MapKey, MapVerdict } from './ruleset.js';
import type { L4Proto } from './service-ports.js';

/**
 * A set or map element change in structured form: what a netlink client sends instead of the
 * `add element`/`delete element` text. Field types are nft's datatype names; the shapes match
 * `NftElementOp` of @switchyard/linux, so a transaction's `elements` can be handed to
 * `NftNetlink.applyElements` as they are.
 */
export interface ElementOp {
  op: 'add' | 'delete';
  /** The set or map of our table. */
  set: string;
  elements: Element[];
}

export interface Element {
  key: ElementValue[];
  /** Verdict-map data, or endpoint-map data (`ip . port`); absent for sets. */
  data?: MapVerdict | ElementValue[];
}

export type ElementValue =
  | { type: 'ipv4_addr' | 'ipv6_addr'; value: string }
  | { type: 'inet_proto'; value: number }
  | { type: 'inet_service'; value: number }
  /** The endpoint slot: what `numgen random mod N` yields, a 32-bit integer. */
  | { type: 'integer'; value: number };

const PROTO_NUMBER: Record<L4Proto, number> = { tcp: 6, udp: 17, sctp: 132 };

export function addressValue(ip: string): ElementValue {
  return { type: ipFamily(ip) === 'ipv6' ? 'ipv6_addr' : 'ipv4_addr', value: ip };
}

function keyValues(key: MapKey): ElementValue[] {
  const tail: ElementValue[] = [
    { type: 'inet_proto', value: PROTO_NUMBER[key.proto] },
    { type: 'inet_service', value: key.port },
  ];
  return key.ip === undefined ? tail : [addressValue(key.ip), ...tail];
}

export function mapElement(e: MapElement, withData: boolean): Element {
  return withData ? { key: keyValues(e.key), data: e.verdict } : { key: keyValues(e.key) };
}

export function dnatElement(e: DnatElement, withData: boolean): Element {
  const key = [...keyValues(e.key), { type: 'integer', value: e.slot } as const];
  if (!withData) return { key };
  return { key, data: [addressValue(e.ip), { type: 'inet_service', value: e.port }] };
}
