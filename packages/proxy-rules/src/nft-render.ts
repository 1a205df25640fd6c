import {
  type Element,
  type ElementOp,
  addressValue,
  dnatElement,
  mapElement,
} from './element-ops.js';
import type { Family } from './ip.js';
import type {
  Action,
  AffinitySet,
  AddressSet,
  Chain,
  DnatElement,
  DnatMap,
  MapElement,
  Match,
  Rule,
  Ruleset,
  Verdict,
  VerdictMap,
} from './ruleset.js';
import {
  clusterIpSetName,
  dnatDataText,
  dnatKeyText,
  hairpinSetName,
  mapKeyText,
} from './ruleset.js';

/**
 * Renders the ruleset as one `nft -f` transaction that replaces our table whatever its current
 * state: `add table` (so the delete cannot fail), `delete table`, then everything anew. nft applies
 * a file atomically, so packets see either the old table or the new one. Other tables are never
 * named.
 */
export function renderFullSync(rs: Ruleset): string {
  const t = tableRef(rs);
  return fullBody(rs, [`add table ${t}`, `delete table ${t}`, `add table ${t}`], new Set());
}

/** What our table holds now, by name: see `tableInventoryCommands` and `parseTableInventory`. */
export interface TableInventory {
  chains: string[];
  /** Every set, with the timeout in seconds of those that have one. */
  sets: Map<string, number | undefined>;
  maps: string[];
}

/**
 * A full replacement that keeps every client's ClientIP affinity: instead of deleting the table,
 * it flushes it (every rule goes, set elements stay), deletes what `existing` holds that is not
 * an affinity set still wanted with the same timeout, and adds everything anew. The kept sets go
 * on holding the clients they remembered. Atomic like `renderFullSync`; it fails only when the
 * kernel changed since `existing` was read (or holds a same-named object of another shape), and
 * then `renderFullSync` converges from anything.
 */
export function renderFullSyncKeepingAffinity(rs: Ruleset, existing: TableInventory): string {
  const t = tableRef(rs);
  const out = [`add table ${t}`, `flush table ${t}`];
  const kept = new Set<string>();
  for (const [name, timeout] of existing.sets) {
    const wanted = rs.affinitySets.get(name);
    if (wanted && wanted.timeoutSeconds === timeout) kept.add(name);
    else out.push(`delete set ${t} ${name}`);
  }
  // Maps are refilled below; recreating them also lets nft add the rules that use the endpoint
  // maps (see PICK_MAX).
  for (const name of existing.maps) out.push(`delete map ${t} ${name}`);
  for (const name of existing.chains)
    if (!rs.chains.has(name)) out.push(`delete chain ${t} ${name}`);
  return fullBody(rs, out, kept);
}

/** The `nft` commands whose outputs `parseTableInventory` reads (cheap at any table size). */
export function tableInventoryCommands(): string[][] {
  return [
    ['nft', '-j', 'list', 'chains', 'inet'],
    ['nft', '-j', '-t', 'list', 'sets', 'inet'],
    ['nft', '-j', '-t', 'list', 'maps', 'inet'],
  ];
}

/** Reads the JSON of `tableInventoryCommands` (any order) for our table. */
export function parseTableInventory(rs: Pick<Ruleset, 'table'>, outputs: string[]): TableInventory {
  const inv: TableInventory = { chains: [], sets: new Map(), maps: [] };
  for (const text of outputs) {
    const items = (JSON.parse(text) as { nftables?: Record<string, NftJsonObject>[] }).nftables;
    for (const item of items ?? []) {
      const ours = (o: NftJsonObject | undefined): o is NftJsonObject =>
        o?.family === 'inet' && o.table === rs.table;
      const { chain, set, map } = item;
      if (ours(chain)) inv.chains.push(chain.name);
      if (ours(map)) inv.maps.push(map.name);
      if (ours(set))
        inv.sets.set(set.name, typeof set.timeout === 'number' ? set.timeout : undefined);
    }
  }
  return inv;
}

interface NftJsonObject {
  family?: string;
  table?: string;
  name: string;
  timeout?: unknown;
}

/**
 * A full replacement split in two for a table that does not exist yet: `structure` (`nft -f`
 * text: the table, its sets, maps, chains and rules, as `renderFullSync` has them) and every
 * set/map element as structured operations, to be added afterwards (e.g. over netlink, much
 * cheaper than nft parsing 80k elements at 10k services). Not atomic: between the two, services
 * have no endpoints yet, which is only harmless when there was no table before.
 */
export function renderFullSyncSplit(rs: Ruleset): { structure: string; elements: ElementOp[] } {
  const t = tableRef(rs);
  const elements: ElementOp[] = [];
  const head = [`add table ${t}`, `delete table ${t}`, `add table ${t}`];
  return { structure: fullBody(rs, head, new Set(), { ops: elements }), elements };
}

/** Every element of the ruleset's maps and sets (not the NodePort address sets: fixed part). */
function fullElements(rs: Ruleset, sink: ElementSink): void {
  for (const m of rs.maps.values())
    elementCommands(rs, m.name, [...m.elements.values()], 'add', sink);
  for (const m of rs.dnatMaps.values())
    dnatElementCommands(rs, m.name, [...m.elements.values()], 'add', sink);
  for (const family of ['ipv4', 'ipv6'] as const) {
    hairpinCommands(rs, family, [...rs.hairpin[family].keys()], 'add', sink);
    clusterIpCommands(rs, family, [...rs.clusterIPs[family].keys()], 'add', sink);
  }
}

/** The whole table after `head`; elements go to `elements` when given, else into the text. */
function fullBody(
  rs: Ruleset,
  head: string[],
  keptSets: Set<string>,
  elements?: ElementSink,
): string {
  const t = tableRef(rs);
  const out = head;
  for (const s of rs.addressSets.values()) out.push(...addressSetCommands(rs, s));
  for (const s of rs.affinitySets.values())
    if (!keptSets.has(s.name)) out.push(affinitySetCommand(rs, s));
  for (const m of rs.maps.values()) out.push(mapCommand(rs, m));
  for (const m of rs.dnatMaps.values()) out.push(dnatMapCommand(rs, m));
  for (const family of ['ipv4', 'ipv6'] as const) {
    const type = `${addrType(family)} . ${addrType(family)}`;
    out.push(`add set ${t} ${hairpinSetName(family)} { type ${type} ; }`);
    out.push(`add set ${t} ${clusterIpSetName(family)} { type ${addrType(family)} ; }`);
  }
  for (const c of rs.chains.values()) out.push(chainCommand(rs, c));
  for (const c of rs.chains.values()) for (const r of c.rules) out.push(ruleCommand(rs, c.name, r));
  fullElements(rs, elements ?? { text: out });
  return out.join('\n') + '\n';
}

/** `delete table`, for uninstalling (fails in nft when the table does not exist: add it first). */
export function renderDeleteTable(rs: Pick<Ruleset, 'table'>): string {
  return `add table ${tableRef(rs)}\ndelete table ${tableRef(rs)}\n`;
}

export function tableRef(rs: Pick<Ruleset, 'table'>): string {
  return `inet ${rs.table}`;
}

export function chainCommand(rs: Ruleset, c: Chain): string {
  const base = c.base
    ? ` { type ${c.base.type} hook ${c.base.hook} priority ${c.base.priority} ; }`
    : '';
  return `add chain ${tableRef(rs)} ${c.name}${base}`;
}

export function ruleCommand(rs: Ruleset, chain: string, r: Rule): string {
  return `add rule ${tableRef(rs)} ${chain} ${renderRule(rs, r)}`;
}

export function affinitySetCommand(rs: Ruleset, s: AffinitySet): string {
  return `add set ${tableRef(rs)} ${s.name} { type ${addrType(s.family)} ; flags dynamic,timeout ; timeout ${s.timeoutSeconds}s ; }`;
}

export function addressSetCommands(rs: Ruleset, s: AddressSet): string[] {
  const out = [`add set ${tableRef(rs)} ${s.name} { type ${addrType(s.family)} ; }`];
  if (s.addresses.length > 0)
    out.push(`add element ${tableRef(rs)} ${s.name} { ${s.addresses.join(', ')} }`);
  return out;
}

export function mapCommand(rs: Ruleset, m: VerdictMap): string {
  const key =
    m.key === 'addrProtoPort'
      ? `${addrType(m.family)} . inet_proto . inet_service`
      : 'inet_proto . inet_service';
  return `add map ${tableRef(rs)} ${m.name} { type ${key} : verdict ; }`;
}

/**
 * An endpoint map, declared with `typeof` because its key ends in a numgen value (no named type
 * fits); the `mod` there only declares the type: rules use their own modulus. (`th dport`, not
 * `tcp dport`, in the data: the latter makes nft add a TCP-only match to every rule using it.)
 */
export function dnatMapCommand(rs: Ruleset, m: DnatMap): string {
  const ip = ipKw(m.family);
  const key =
    m.key === 'addrProtoPort' ? `${ip} daddr . meta l4proto . th dport` : 'meta l4proto . th dport';
  return `add map ${tableRef(rs)} ${m.name} { typeof ${key} . numgen random mod 2 : ${ip} daddr . th dport ; }`;
}

/**
 * Where the element commands below go: `text` gets `add element ...` commands, `ops` the same
 * operations in structured form (one ElementOp per command, in the same order). Both come from
 * one loop, so the netlink path and the nft text cannot drift apart; each is built only when
 * asked for.
 */
export interface ElementSink {
  text?: string[];
  ops?: ElementOp[];
}

export function dnatElementCommands(
  rs: Ruleset,
  map: string,
  elements: readonly DnatElement[],
  op: 'add' | 'delete',
  sink: ElementSink,
): void {
  const add = op === 'add';
  elementChunks(
    rs,
    map,
    elements,
    op,
    sink,
    (e) => (add ? `${dnatKeyText(e)} : ${dnatDataText(e)}` : dnatKeyText(e)),
    (e) => dnatElement(e, add),
  );
}

// Large element lists are split so no single command line grows unbounded.
const ELEMENTS_PER_COMMAND = 500;

export function elementCommands(
  rs: Ruleset,
  map: string,
  elements: readonly MapElement[],
  op: 'add' | 'delete',
  sink: ElementSink,
): void {
  const add = op === 'add';
  elementChunks(
    rs,
    map,
    elements,
    op,
    sink,
    (e) => (add ? `${mapKeyText(e.key)} : ${renderVerdict(e.verdict)}` : mapKeyText(e.key)),
    (e) => mapElement(e, add),
  );
}

/** Adds or deletes `ip . ip` pairs of the hairpin set. */
export function hairpinCommands(
  rs: Ruleset,
  family: Family,
  ips: readonly string[],
  op: 'add' | 'delete',
  sink: ElementSink,
): void {
  elementChunks(
    rs,
    hairpinSetName(family),
    ips,
    op,
    sink,
    (ip) => `${ip} . ${ip}`,
    (ip) => ({ key: [addressValue(ip), addressValue(ip)] }),
  );
}

/** Adds or deletes addresses of the cluster-ips set. */
export function clusterIpCommands(
  rs: Ruleset,
  family: Family,
  ips: readonly string[],
  op: 'add' | 'delete',
  sink: ElementSink,
): void {
  elementChunks(
    rs,
    clusterIpSetName(family),
    ips,
    op,
    sink,
    (ip) => ip,
    (ip) => ({ key: [addressValue(ip)] }),
  );
}

function elementChunks<T>(
  rs: Ruleset,
  set: string,
  items: readonly T[],
  op: 'add' | 'delete',
  sink: ElementSink,
  text: (item: T) => string,
  structured: (item: T) => Element,
): void {
  for (let i = 0; i < items.length; i += ELEMENTS_PER_COMMAND) {
    const chunk = items.slice(i, i + ELEMENTS_PER_COMMAND);
    sink.text?.push(`${op} element ${tableRef(rs)} ${set} { ${chunk.map(text).join(', ')} }`);
    sink.ops?.push({ op, set, elements: chunk.map(structured) });
  }
}

/** One rule's text after the chain name. */
export function renderRule(rs: Ruleset, r: Rule): string {
  const parts = r.matches.map((m) => renderMatch(rs, m));
  parts.push(renderAction(rs, r.action));
  if (r.comment) parts.push(`comment "${r.comment}"`);
  return parts.join(' ');
}

function renderMatch(rs: Ruleset, m: Match): string {
  switch (m.kind) {
    case 'nfproto':
      return `meta nfproto ${m.family}`;
    case 'ctStateNew':
      return 'ct state new';
    case 'l4proto':
      return `meta l4proto ${m.proto}`;
    case 'dport':
      return `${m.proto} dport ${m.port}`;
    case 'addr': {
      const value = m.cidrs.length === 1 ? m.cidrs[0]! : `{ ${m.cidrs.join(', ')} }`;
      return `${ipKw(m.family)} ${m.dir} ${m.negate ? '!= ' : ''}${value}`;
    }
    case 'addrInSet':
      return `${ipKw(m.family)} ${m.dir} @${m.set}`;
    case 'fibLocal':
      return `fib ${m.dir} type local`;
    case 'markClear':
      return `meta mark & ${hex(rs.masqueradeMark)} == 0`;
    case 'random':
      return `numgen random mod ${m.mod} == 0`;
    case 'hairpin':
      return `${ipKw(m.family)} saddr . ${ipKw(m.family)} daddr @${hairpinSetName(m.family)}`;
  }
}

function renderAction(rs: Ruleset, a: Action): string {
  switch (a.kind) {
    case 'verdict':
      return renderVerdict(a.verdict);
    case 'vmap':
      return a.key === 'addrProtoPort'
        ? `${ipKw(a.family)} daddr . meta l4proto . th dport vmap @${a.map}`
        : `meta l4proto . th dport vmap @${a.map}`;
    case 'numgen': {
      const items = a.targets.map((t, i) => `${i} : goto ${t}`);
      return `numgen random mod ${a.targets.length} vmap { ${items.join(', ')} }`;
    }
    case 'setMark':
      return `meta mark set meta mark | ${hex(rs.masqueradeMark)}`;
    case 'clearMark':
      return `meta mark set meta mark ^ ${hex(rs.masqueradeMark)}`;
    case 'masquerade':
      return 'masquerade fully-random';
    case 'dnatMap': {
      const ip = ipKw(a.family);
      const key = a.key === 'addrProtoPort' ? `${ip} daddr . ` : '';
      return `dnat ${ip} to ${key}meta l4proto . th dport . numgen random mod ${a.mod} map @${a.map}`;
    }
    case 'dnat': {
      const update = a.remember ? `update @${a.remember} { ${ipKw(a.family)} saddr } ` : '';
      const to = a.family === 'ipv4' ? `ip to ${a.ip}:${a.port}` : `ip6 to [${a.ip}]:${a.port}`;
      return `${update}dnat ${to}`;
    }
  }
}

export function renderVerdict(v: Verdict): string {
  return v.kind === 'goto' || v.kind === 'jump' ? `${v.kind} ${v.chain}` : v.kind;
}

function ipKw(family: Family): string {
  return family === 'ipv4' ? 'ip' : 'ip6';
}

function addrType(family: Family): string {
  return family === 'ipv4' ? 'ipv4_addr' : 'ipv6_addr';
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
