import { nft, NftError, type NftOptions } from './nft-transaction.js';

/** One statement or match in a rule, as nft's JSON schema spells it (`{ "match": {...} }`). */
export type NftExpression = Record<string, unknown>;

export interface NftTable {
  family: string;
  name: string;
  handle: number;
}

export interface NftChain {
  family: string;
  table: string;
  name: string;
  handle: number;
  /** Base chains only. */
  type?: string;
  hook?: string;
  prio?: number;
  policy?: string;
}

export interface NftSet {
  family: string;
  table: string;
  name: string;
  handle: number;
  /** Key type, e.g. `ipv4_addr` or a concatenation `["ipv4_addr", "inet_service"]`. */
  type: string | string[];
  /** Maps only: the value type. */
  map?: string | string[];
  flags: string[];
  elements: unknown[];
}

export interface NftRule {
  family: string;
  table: string;
  chain: string;
  handle: number;
  expr: NftExpression[];
  comment?: string;
}

export interface NftRuleset {
  tables: NftTable[];
  chains: NftChain[];
  sets: NftSet[];
  maps: NftSet[];
  rules: NftRule[];
}

/** Parses the output of `nft -j list ...` into typed objects. */
export function parseNftJson(text: string): NftRuleset {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new NftError('nft -j printed something that is not JSON', text.slice(0, 200));
  }
  const items = (doc as { nftables?: unknown }).nftables;
  if (!Array.isArray(items))
    throw new NftError('nft -j output has no "nftables" array', text.slice(0, 200));
  const out: NftRuleset = { tables: [], chains: [], sets: [], maps: [], rules: [] };
  for (const item of items as Record<string, Record<string, unknown>>[]) {
    if (item['table'])
      out.tables.push(pick(item['table'], ['family', 'name', 'handle']) as unknown as NftTable);
    if (item['chain']) {
      out.chains.push(
        pick(item['chain'], [
          'family',
          'table',
          'name',
          'handle',
          'type',
          'hook',
          'prio',
          'policy',
        ]) as unknown as NftChain,
      );
    }
    for (const kind of ['set', 'map'] as const) {
      const s = item[kind];
      if (!s) continue;
      const set = {
        ...(pick(s, ['family', 'table', 'name', 'handle', 'type', 'map']) as unknown as NftSet),
        flags: asArray(s['flags']) as string[],
        elements: asArray(s['elem']),
      };
      (kind === 'set' ? out.sets : out.maps).push(set);
    }
    if (item['rule']) {
      const r = item['rule'];
      out.rules.push({
        ...(pick(r, ['family', 'table', 'chain', 'handle', 'comment']) as unknown as NftRule),
        expr: asArray(r['expr']) as NftExpression[],
      });
    }
  }
  return out;
}

/** `nft -j list table FAMILY NAME`, parsed. */
export async function listNftTable(
  family: string,
  name: string,
  options: NftOptions = {},
): Promise<NftRuleset> {
  return parseNftJson(await nft(['-j', 'list', 'table', family, name], options));
}

/** `nft -j list ruleset`, parsed. */
export async function listNftRuleset(options: NftOptions = {}): Promise<NftRuleset> {
  return parseNftJson(await nft(['-j', 'list', 'ruleset'], options));
}

/** Packets and bytes of the first `counter` statement in a rule, if it has one. */
export function ruleCounter(rule: NftRule): { packets: number; bytes: number } | undefined {
  for (const e of rule.expr) {
    const c = e['counter'] as { packets?: number; bytes?: number } | undefined;
    if (c && typeof c === 'object') return { packets: c.packets ?? 0, bytes: c.bytes ?? 0 };
  }
  return undefined;
}

function pick(source: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (source[k] !== undefined) out[k] = source[k];
  return out;
}

function asArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
