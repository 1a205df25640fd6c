import { TraceError } from './errors.js';
import { type Family, canonicalIp, ipFamily, ipInCidrs, parseCidr } from './ip.js';
import { renderRule } from './nft-render.js';
import type { Chain, Hook, Match, Rule, Ruleset, Verdict } from './ruleset.js';
import { clusterIpSetName, dnatKeyText, mapKeyText } from './ruleset.js';
import type { L4Proto } from './service-ports.js';

/** The first packet of a connection, as the node sees it. */
export interface Packet {
  source: string;
  destination: string;
  protocol: L4Proto | 'TCP' | 'UDP' | 'SCTP';
  port: number;
  /**
   * `node`: sent by a process on the node (output path); `pod` and `outside`: arriving on an
   * interface (prerouting path). Pod and outside differ only by their source address.
   */
  from: 'pod' | 'node' | 'outside';
}

/** One possible fate of the packet; several when an endpoint is picked at random. */
export type Outcome =
  | { kind: 'endpoint'; ip: string; port: number; masquerade: boolean; steps: Step[] }
  /** Not a service address: delivered unchanged (locally or forwarded). */
  | { kind: 'accept'; local: boolean; masquerade: boolean; steps: Step[] }
  | { kind: 'drop' | 'reject'; steps: Step[] };

/** A rule that matched on the way, as it reads in `nft list`. */
export interface Step {
  chain: string;
  rule: string;
  /** Set when the step was a random or state-dependent choice. */
  branch?: string;
}

export interface Trace {
  packet: Packet;
  outcomes: Outcome[];
}

interface State {
  daddr: string;
  dport: number;
  mark: boolean;
  dnat: boolean;
  masquerade: boolean;
  steps: Step[];
}

type Result = 'continue' | 'accept' | 'drop' | 'reject';
interface Branch {
  state: State;
  result: Result;
}

const MAX_DEPTH = 64;

/**
 * Walks the packet through the ruleset as netfilter would (prerouting or output, then input or
 * forward, then postrouting), following every random choice, and returns each distinct outcome.
 * A rule shape the tracer does not know is a TraceError, never a silent pass.
 */
export function trace(rs: Ruleset, packet: Packet): Trace {
  const p = checkPacket(packet);
  const hooks = (h: Hook): Chain[] =>
    [...rs.chains.values()]
      .filter((c) => c.base?.hook === h)
      .sort((a, b) => a.base!.priority - b.base!.priority);
  const start: State = {
    daddr: p.destination,
    dport: p.port,
    mark: false,
    dnat: false,
    masquerade: false,
    steps: [],
  };
  const first: Hook[] = p.from === 'node' ? ['output'] : ['prerouting'];
  const branches: Branch[] = runHooks(rs, p, first.flatMap(hooks), [
    { state: start, result: 'continue' },
  ]);
  const outcomes: Outcome[] = [];
  for (const b of branches) {
    if (b.result === 'drop' || b.result === 'reject') {
      outcomes.push({ kind: b.result, steps: b.state.steps });
      continue;
    }
    const local = isLocal(rs, b.state.daddr);
    const next: Hook[] =
      p.from === 'node' ? ['postrouting'] : local ? ['input'] : ['forward', 'postrouting'];
    const after = runHooks(rs, p, next.flatMap(hooks), [{ state: b.state, result: 'continue' }]);
    for (const a of after) outcomes.push(finish(a, local));
  }
  return { packet: p, outcomes: dedupe(outcomes) };
}

function finish(b: Branch, local: boolean): Outcome {
  const s = b.state;
  if (b.result === 'drop' || b.result === 'reject') return { kind: b.result, steps: s.steps };
  if (s.dnat)
    return {
      kind: 'endpoint',
      ip: s.daddr,
      port: s.dport,
      masquerade: s.masquerade,
      steps: s.steps,
    };
  return { kind: 'accept', local, masquerade: s.masquerade, steps: s.steps };
}

function runHooks(rs: Ruleset, p: Packet, chains: Chain[], input: Branch[]): Branch[] {
  let branches = input;
  for (const chain of chains) {
    branches = branches.flatMap((b) => {
      if (b.result !== 'continue' && b.result !== 'accept') return [b];
      // An accept ends one base chain only; the packet still meets the next one.
      return walk(rs, p, chain, { ...b.state }, 0).map((r) => ({
        state: r.state,
        result: r.result === 'accept' ? 'continue' : r.result,
      }));
    });
  }
  return branches;
}

// Runs one chain; 'continue' means it fell off the end or returned.
function walk(rs: Ruleset, p: Packet, chain: Chain, state: State, depth: number): Branch[] {
  if (depth > MAX_DEPTH)
    throw new TraceError(`chain nesting deeper than ${MAX_DEPTH} at ${chain.name}`);
  const runFrom = (index: number, s: State): Branch[] => {
    for (let i = index; i < chain.rules.length; i++) {
      const r = chain.rules[i]!;
      const m = matches(rs, p, r.matches, s);
      if (m === 'no') continue;
      if (m !== 'yes') {
        // A random draw or state we cannot know (an affinity set's contents): follow both ways.
        const taken = apply(rs, p, chain, r, { ...s, steps: [...s.steps] }, depth, m.note);
        const skipped = runFrom(i + 1, s);
        const viaSet = taken.flatMap((b) =>
          b.result === 'continue' && !b.ends ? runFrom(i + 1, b.state) : [b],
        );
        // The fresh-connection path first, so a deduplicated outcome shows the usual route.
        return [...skipped, ...viaSet];
      }
      const results = apply(rs, p, chain, r, s, depth);
      return results.flatMap((b) =>
        b.result === 'continue' && !b.ends ? runFrom(i + 1, b.state) : [b],
      );
    }
    return [{ state: s, result: 'continue' }];
  };
  return runFrom(0, state).map(({ state: st, result }) => ({ state: st, result }));
}

interface Applied extends Branch {
  /** A goto or return: the current chain is done even though the result is 'continue'. */
  ends?: boolean;
}

function apply(
  rs: Ruleset,
  p: Packet,
  chain: Chain,
  r: Rule,
  s: State,
  depth: number,
  branch?: string,
): Applied[] {
  const step = (st: State, note?: string): State => ({
    ...st,
    steps: [
      ...st.steps,
      { chain: chain.name, rule: renderRule(rs, r), ...(note ? { branch: note } : {}) },
    ],
  });
  const a = r.action;
  switch (a.kind) {
    case 'verdict':
      return applyVerdict(rs, p, a.verdict, step(s, branch), depth);
    case 'vmap': {
      const map = rs.maps.get(a.map);
      if (!map) throw new TraceError(`rule in ${chain.name} uses unknown map ${a.map}`);
      const key = mapKeyText({
        ...(a.key === 'addrProtoPort' ? { ip: s.daddr } : {}),
        proto: p.protocol as L4Proto,
        port: s.dport,
      });
      const el = map.elements.get(key);
      if (!el) return [{ state: s, result: 'continue' }];
      return applyVerdict(rs, p, el.verdict, step(s, `@${a.map} has ${key}`), depth);
    }
    case 'numgen':
      return a.targets.flatMap((t, i) =>
        applyVerdict(
          rs,
          p,
          { kind: 'goto', chain: t },
          step(s, `random choice ${i + 1} of ${a.targets.length}`),
          depth,
        ),
      );
    case 'dnatMap': {
      const map = rs.dnatMaps.get(a.map);
      if (!map) throw new TraceError(`rule in ${chain.name} uses unknown map ${a.map}`);
      const key = {
        ...(a.key === 'addrProtoPort' ? { ip: s.daddr } : {}),
        proto: p.protocol as L4Proto,
        port: s.dport,
      };
      const out: Applied[] = [];
      for (let slot = 0; slot < a.mod; slot++) {
        // A slot the map lacks makes the lookup fail: the rule does not match.
        const el = map.elements.get(dnatKeyText({ key, slot }));
        if (!el) {
          out.push({ state: s, result: 'continue' });
          continue;
        }
        const note = `random choice ${slot + 1} of ${a.mod}: @${a.map} has ${dnatKeyText(el)}`;
        const to = { ...s, daddr: el.ip, dport: el.port, dnat: true };
        out.push({ state: step(to, note), result: 'accept' });
      }
      return out;
    }
    case 'setMark':
      return [{ state: step({ ...s, mark: true }, branch), result: 'continue' }];
    case 'clearMark':
      return [{ state: step({ ...s, mark: false }, branch), result: 'continue' }];
    case 'masquerade':
      return [{ state: step({ ...s, masquerade: true }, branch), result: 'accept' }];
    case 'dnat':
      return [
        { state: step({ ...s, daddr: a.ip, dport: a.port, dnat: true }, branch), result: 'accept' },
      ];
  }
}

function applyVerdict(rs: Ruleset, p: Packet, v: Verdict, s: State, depth: number): Applied[] {
  switch (v.kind) {
    case 'accept':
    case 'drop':
    case 'reject':
      return [{ state: s, result: v.kind }];
    case 'return':
      return [{ state: s, result: 'continue', ends: true }];
    case 'jump':
    case 'goto': {
      const target = rs.chains.get(v.chain);
      if (!target) throw new TraceError(`${v.kind} to unknown chain ${v.chain}`);
      const results = walk(rs, p, target, s, depth + 1);
      return v.kind === 'goto' ? results.map((b) => ({ ...b, ends: true })) : results;
    }
  }
}

function matches(rs: Ruleset, p: Packet, ms: Match[], s: State): 'yes' | 'no' | { note: string } {
  let maybe: { note: string } | undefined;
  const family = ipFamily(p.source)!;
  for (const m of ms) {
    const r = matchOne(rs, p, family, m, s);
    if (r === 'no') return 'no';
    if (r === 'maybe') {
      maybe = {
        note:
          m.kind === 'random' ? `random: taken 1 time in ${m.mod}` : 'if the source is remembered',
      };
    }
  }
  return maybe ?? 'yes';
}

function matchOne(
  rs: Ruleset,
  p: Packet,
  family: Family,
  m: Match,
  s: State,
): 'yes' | 'no' | 'maybe' {
  const yes = (b: boolean): 'yes' | 'no' => (b ? 'yes' : 'no');
  const addrOf = (dir: 'saddr' | 'daddr'): string => (dir === 'saddr' ? p.source : s.daddr);
  switch (m.kind) {
    case 'nfproto':
      return yes(m.family === family);
    case 'ctStateNew':
      return 'yes';
    case 'l4proto':
      return yes(m.proto === p.protocol);
    case 'dport':
      return yes(m.proto === p.protocol && m.port === s.dport);
    case 'addr': {
      // In an inet table `ip saddr ...` implies IPv4 (and `ip6` IPv6), even when negated.
      if (m.family !== family) return 'no';
      const cidrs = m.cidrs.map((c) => parseCidr(c)!);
      return yes(ipInCidrs(addrOf(m.dir), cidrs) !== m.negate);
    }
    case 'addrInSet': {
      if (m.family !== family) return 'no';
      if (m.set === clusterIpSetName(family)) return yes(rs.clusterIPs[family].has(addrOf(m.dir)));
      const static_ = rs.addressSets.get(m.set);
      if (static_) return yes(static_.addresses.includes(addrOf(m.dir)));
      if (rs.affinitySets.has(m.set)) return 'maybe';
      throw new TraceError(`match on unknown set ${m.set}`);
    }
    case 'fibLocal':
      return yes(isLocal(rs, addrOf(m.dir)));
    case 'markClear':
      return yes(!s.mark);
    case 'random':
      return m.mod === 1 ? 'yes' : 'maybe';
    case 'hairpin':
      // The set holds `ip . ip` pairs: source and (translated) destination are one endpoint.
      return yes(m.family === family && p.source === s.daddr && rs.hairpin[family].has(p.source));
  }
}

function isLocal(rs: Ruleset, ip: string): boolean {
  if (ip === '::1' || ip.startsWith('127.')) return true;
  return rs.localAddresses.includes(ip);
}

function checkPacket(packet: Packet): Packet {
  const source = typeof packet.source === 'string' ? packet.source : '';
  const destination = typeof packet.destination === 'string' ? packet.destination : '';
  const sf = ipFamily(source);
  if (!sf) throw new TraceError(`invalid source address ${JSON.stringify(packet.source)}`);
  if (ipFamily(destination) !== sf) {
    throw new TraceError(
      `destination ${JSON.stringify(packet.destination)} is not an ${sf} address`,
    );
  }
  const protocol = String(packet.protocol).toLowerCase();
  if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') {
    throw new TraceError(`unknown protocol ${JSON.stringify(packet.protocol)}`);
  }
  if (!Number.isInteger(packet.port) || packet.port < 1 || packet.port > 65535) {
    throw new TraceError(`invalid port ${JSON.stringify(packet.port)}`);
  }
  if (!['pod', 'node', 'outside'].includes(packet.from)) {
    throw new TraceError(`from must be pod, node or outside, got ${JSON.stringify(packet.from)}`);
  }
  return {
    ...packet,
    source: canonicalIp(source),
    destination: canonicalIp(destination),
    protocol,
  };
}

function dedupe(outcomes: Outcome[]): Outcome[] {
  const seen = new Map<string, Outcome>();
  for (const o of outcomes) {
    const key =
      o.kind === 'endpoint'
        ? `endpoint ${o.ip} ${o.port} ${o.masquerade}`
        : o.kind === 'accept'
          ? `accept ${o.local} ${o.masquerade}`
          : o.kind;
    if (!seen.has(key)) seen.set(key, o);
  }
  // Endpoints in address order, then the rest: stable output for people and tests.
  const rank = (o: Outcome): string =>
    o.kind === 'endpoint' ? `0 ${o.ip} ${o.port}` : `1 ${o.kind}`;
  return [...seen.values()].sort((a, b) => (rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : 0));
}
