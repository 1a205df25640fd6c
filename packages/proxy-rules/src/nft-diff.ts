import {
  addressSetCommands,
  affinitySetCommand,
  chainCommand,
  dnatElementCommands,
  dnatMapCommand,
  elementCommands,
  clusterIpCommands,
  hairpinCommands,
  mapCommand,
  renderFullSync,
  renderRule,
  renderVerdict,
  ruleCommand,
  tableRef,
} from './nft-render.js';
import type { ElementOp } from './element-ops.js';
import {
  type Chain,
  type DnatElement,
  type MapElement,
  type Ruleset,
  dnatDataText,
} from './ruleset.js';
import { FAMILIES } from './skeleton.js';

export interface Transaction {
  /** `nft -f` input; empty when nothing changed. */
  text: string;
  /** True when the fixed part changed and the whole table is replaced. */
  full: boolean;
  /** Service ports (`ns/name/proto/port`) whose chains, sets or map elements changed. */
  changed: string[];
  /**
   * Set when the transaction is made of set/map element commands only: the same operations in
   * structured form and in the same order, for a netlink client (an endpoint change is only
   * this). Absent when it also touches chains, rules or sets, and for full syncs.
   */
  elements?: ElementOp[];
}

/**
 * The smallest `nft -f` transaction turning `prev` (what the kernel holds) into `next`: only the
 * chains, affinity sets and map elements of changed service ports are touched. When the fixed
 * part differs (table name, mark, cluster CIDRs, NodePort addresses) it falls back to a full replacement.
 * If the kernel no longer matches `prev` the transaction may fail as a whole (nft is atomic);
 * then apply `renderFullSync(next)`, which converges from any state.
 */
export function renderIncremental(prev: Ruleset, next: Ruleset): Transaction {
  if (fixedPart(prev) !== fixedPart(next)) {
    return { text: renderFullSync(next), full: true, changed: owners(next) };
  }
  const t = tableRef(next);
  const changed = new Set<string>();
  const prevChains = serviceChains(prev);
  const nextChains = serviceChains(next);
  const addedChains: Chain[] = [];
  const rewrittenChains: Chain[] = [];
  const removedChains: Chain[] = [];

  // Affinity sets: a changed timeout means delete + add, so chains using the set are rewritten.
  const setText = (rs: Ruleset, name: string): string | undefined => {
    const s = rs.affinitySets.get(name);
    return s && affinitySetCommand(rs, s);
  };
  const addedSets: string[] = [];
  const removedSets: string[] = [];
  const replacedSets = new Set<string>();
  for (const [name, s] of next.affinitySets) {
    const before = setText(prev, name);
    if (before === undefined) addedSets.push(name);
    else if (before !== setText(next, name)) replacedSets.add(name);
    else continue;
    changed.add(s.owner);
  }
  for (const [name, s] of prev.affinitySets) {
    if (!next.affinitySets.has(name)) {
      removedSets.push(name);
      changed.add(s.owner);
    }
  }

  for (const [name, c] of nextChains) {
    const before = prevChains.get(name);
    if (!before) addedChains.push(c);
    else if (chainText(prev, before) !== chainText(next, c) || usesAny(c, replacedSets))
      rewrittenChains.push(c);
    else continue;
    if (c.owner !== undefined) changed.add(c.owner);
  }
  for (const [name, c] of prevChains) {
    if (!nextChains.has(name)) {
      removedChains.push(c);
      if (c.owner !== undefined) changed.add(c.owner);
    }
  }

  const out: string[] = [];
  const deletes: string[] = [];
  const adds: string[] = [];
  const deleteOps: ElementOp[] = [];
  const addOps: ElementOp[] = [];
  const del = { text: deletes, ops: deleteOps };
  const add = { text: adds, ops: addOps };
  for (const [name, m] of next.maps) {
    const before = prev.maps.get(name)!.elements;
    const gone: MapElement[] = [];
    const fresh: MapElement[] = [];
    for (const [key, el] of before) {
      const now = m.elements.get(key);
      if (!now || renderVerdict(now.verdict) !== renderVerdict(el.verdict)) {
        gone.push(el);
        changed.add(el.owner);
      }
    }
    for (const [key, el] of m.elements) {
      const was = before.get(key);
      if (!was || renderVerdict(was.verdict) !== renderVerdict(el.verdict)) {
        fresh.push(el);
        changed.add(el.owner);
      }
    }
    elementCommands(next, name, gone, 'delete', del);
    elementCommands(next, name, fresh, 'add', add);
  }

  for (const [name, m] of next.dnatMaps) {
    const before = prev.dnatMaps.get(name)!.elements;
    const gone: DnatElement[] = [];
    const fresh: DnatElement[] = [];
    for (const [key, el] of before) {
      const now = m.elements.get(key);
      if (!now || dnatDataText(now) !== dnatDataText(el)) {
        gone.push(el);
        changed.add(el.owner);
      }
    }
    for (const [key, el] of m.elements) {
      const was = before.get(key);
      if (!was || dnatDataText(was) !== dnatDataText(el)) {
        fresh.push(el);
        changed.add(el.owner);
      }
    }
    dnatElementCommands(next, name, gone, 'delete', del);
    dnatElementCommands(next, name, fresh, 'add', add);
  }

  for (const family of FAMILIES) {
    const diff = <T>(was: Map<string, T>, now: Map<string, T>) => ({
      gone: [...was.keys()].filter((ip) => !now.has(ip)),
      fresh: [...now.keys()].filter((ip) => !was.has(ip)),
    });
    const pins = diff(prev.hairpin[family], next.hairpin[family]);
    const cips = diff(prev.clusterIPs[family], next.clusterIPs[family]);
    hairpinCommands(next, family, pins.gone, 'delete', del);
    clusterIpCommands(next, family, cips.gone, 'delete', del);
    hairpinCommands(next, family, pins.fresh, 'add', add);
    clusterIpCommands(next, family, cips.fresh, 'add', add);
  }

  // Order matters: objects exist before anything refers to them, and nothing refers to an
  // object by the time it is deleted (map elements first, then the rules in flushed chains).
  for (const name of addedSets) out.push(affinitySetCommand(next, next.affinitySets.get(name)!));
  for (const c of addedChains) out.push(chainCommand(next, c));
  out.push(...deletes);
  for (const c of [...rewrittenChains, ...removedChains]) out.push(`flush chain ${t} ${c.name}`);
  for (const name of [...removedSets, ...replacedSets]) out.push(`delete set ${t} ${name}`);
  for (const name of replacedSets) out.push(affinitySetCommand(next, next.affinitySets.get(name)!));
  for (const c of [...addedChains, ...rewrittenChains])
    for (const r of c.rules) out.push(ruleCommand(next, c.name, r));
  out.push(...adds);
  for (const c of removedChains) out.push(`delete chain ${t} ${c.name}`);
  const elementsOnly = out.length === deletes.length + adds.length;
  return {
    text: out.length ? out.join('\n') + '\n' : '',
    full: false,
    changed: [...changed].sort(),
    ...(elementsOnly ? { elements: [...deleteOps, ...addOps] } : {}),
  };
}

function serviceChains(rs: Ruleset): Map<string, Chain> {
  const out = new Map<string, Chain>();
  for (const [name, c] of rs.chains) if (c.owner !== undefined) out.set(name, c);
  return out;
}

function chainText(rs: Ruleset, c: Chain): string {
  return c.rules.map((r) => renderRule(rs, r)).join('\n');
}

function usesAny(c: Chain, sets: Set<string>): boolean {
  if (sets.size === 0) return false;
  return c.rules.some((r) =>
    [
      ...r.matches.map((m) => (m.kind === 'addrInSet' ? m.set : '')),
      r.action.kind === 'dnat' ? (r.action.remember ?? '') : '',
    ].some((s) => sets.has(s)),
  );
}

// Everything not owned by a service port: if it differs, replace the whole table.
function fixedPart(rs: Ruleset): string {
  const parts = [tableRef(rs), String(rs.masqueradeMark)];
  for (const c of rs.chains.values())
    if (c.owner === undefined) parts.push(chainCommand(rs, c), chainText(rs, c));
  for (const m of rs.maps.values()) parts.push(mapCommand(rs, m));
  for (const m of rs.dnatMaps.values()) parts.push(dnatMapCommand(rs, m));
  for (const s of rs.addressSets.values()) parts.push(...addressSetCommands(rs, s));
  return parts.join('\n');
}

function owners(rs: Ruleset): string[] {
  const all = new Set<string>();
  for (const c of rs.chains.values()) if (c.owner) all.add(c.owner);
  for (const m of rs.maps.values()) for (const e of m.elements.values()) all.add(e.owner);
  for (const m of rs.dnatMaps.values()) for (const e of m.elements.values()) all.add(e.owner);
  return [...all].sort();
}
