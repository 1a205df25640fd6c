import {
  type CategorizedEndpoints,
  categorizeEndpoints,
  usesClusterEndpoints,
  usesLocalEndpoints,
} from './categorize.js';
import { hashBase32 } from './chain-names.js';
import type { Compiled } from './compile.js';
import { type Family, ipInCidrs } from './ip.js';
import type { NodeContext } from './node.js';
import {
  type ResolvedEndpoint,
  type ServicePortInfo,
  externallyAccessible,
  servicePortKey,
} from './service-ports.js';

/**
 * The iptables backend for hosts without nftables: `iptables-restore --noflush` input in the shape
 * of kube-proxy's iptables mode (SERVICES -> SVC/SVL/EXT/FW -> SEP chains, endpoints chosen with
 * `-m statistic --mode random --probability 1/(n-i)`), with every chain named `SY-...` so nothing
 * else is touched. The built-in chains reach ours through `iptablesHooks()`, which the caller
 * ensures once (`iptables -C ... || iptables -I ...`).
 */
export interface IptablesRestore {
  family: Family;
  /** Input for `iptables-restore --noflush` (or `ip6tables-restore` for ipv6). */
  text: string;
  /** Every chain of ours in this input: pass it back as `existing` next time to delete stale ones. */
  chains: string[];
}

export interface IptablesHook {
  table: 'filter' | 'nat';
  chain: string;
  rule: string[];
}

const MASQ_MARK = '0x4000';
const DROP_MARK = '0x8000';
const FIXED = {
  filter: ['SY-SERVICES'],
  nat: [
    'SY-SERVICES',
    'SY-NODEPORTS',
    'SY-POSTROUTING',
    'SY-MARK-MASQ',
    'SY-MARK-DROP',
    'SY-MASQ-OFFCLUSTER',
  ],
};

/** Jumps from the built-in chains into ours. */
export function iptablesHooks(): IptablesHook[] {
  const newOnly = ['-m', 'conntrack', '--ctstate', 'NEW'];
  return [
    ...['INPUT', 'FORWARD', 'OUTPUT'].map((chain) => ({
      table: 'filter' as const,
      chain,
      rule: [...newOnly, '-j', 'SY-SERVICES'],
    })),
    { table: 'nat', chain: 'PREROUTING', rule: ['-j', 'SY-SERVICES'] },
    { table: 'nat', chain: 'OUTPUT', rule: ['-j', 'SY-SERVICES'] },
    { table: 'nat', chain: 'POSTROUTING', rule: ['-j', 'SY-POSTROUTING'] },
  ];
}

/** Renders one family's rules; `existing` lists our chains currently loaded (to delete stale ones). */
export function renderIptablesRestore(
  compiled: Compiled,
  family: Family,
  existing: readonly string[] = [],
): IptablesRestore {
  const node = compiled.node;
  const cidrs = node.clusterCIDRs.filter((c) => c.family === family);
  const filter: string[] = [`-A SY-SERVICES -m mark --mark ${DROP_MARK}/${DROP_MARK} -j DROP`];
  const nat: string[] = [
    `-A SY-MARK-MASQ -j MARK --or-mark ${MASQ_MARK}`,
    `-A SY-MARK-DROP -j MARK --or-mark ${DROP_MARK}`,
    `-A SY-POSTROUTING -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`,
    `-A SY-POSTROUTING -j MARK --xor-mark ${MASQ_MARK}`,
    `-A SY-POSTROUTING -j MASQUERADE --random-fully`,
    // One source per iptables rule: return for each cluster CIDR, mark whatever is left.
    ...cidrs.map((c) => `-A SY-MASQ-OFFCLUSTER -s ${c.text} -j RETURN`),
    ...(cidrs.length > 0 ? ['-A SY-MASQ-OFFCLUSTER -j SY-MARK-MASQ'] : []),
  ];
  const natChains = new Set(FIXED.nat);
  const nodePortJumps: string[] = [];
  for (const sp of compiled.servicePorts) {
    if (sp.family !== family) continue;
    const out = servicePortRules(sp, categorizeEndpoints(sp, node), node);
    filter.push(...out.filter);
    nat.push(...out.nat);
    nodePortJumps.push(...out.nodePorts);
    for (const c of out.chains) natChains.add(c);
  }
  const loopback = family === 'ipv4' ? '127.0.0.0/8' : '::1/128';
  nat.push(
    ...nodePortJumps,
    `-A SY-SERVICES -m addrtype --dst-type LOCAL ! -d ${loopback} -j SY-NODEPORTS`,
  );
  const stale = existing.filter(
    (c) => c.startsWith('SY-') && !natChains.has(c) && !FIXED.filter.includes(c),
  );
  const declare = (chains: Iterable<string>): string[] => [...chains].map((c) => `:${c} - [0:0]`);
  const text = [
    '*filter',
    ...declare(FIXED.filter),
    ...filter,
    'COMMIT',
    '*nat',
    ...declare([...natChains, ...stale]),
    ...nat,
    ...stale.map((c) => `-X ${c}`),
    'COMMIT',
    '',
  ].join('\n');
  return { family, text, chains: [...FIXED.filter, ...natChains] };
}

function chainName(prefix: 'SVC' | 'SVL' | 'EXT' | 'FW' | 'SEP', text: string): string {
  return `SY-${prefix}-${hashBase32(text, 16)}`;
}

function servicePortRules(
  sp: ServicePortInfo,
  cat: CategorizedEndpoints,
  node: NodeContext,
): { filter: string[]; nat: string[]; nodePorts: string[]; chains: string[] } {
  const key = `${sp.family}/${servicePortKey(sp)}`;
  const host = sp.family === 'ipv4' ? 32 : 128;
  const p = `-p ${sp.protocol}`;
  const comment = `-m comment --comment "${servicePortKey(sp)}"`;
  const svc = chainName('SVC', key);
  const svl = chainName('SVL', key);
  const ext = chainName('EXT', key);
  const fw = chainName('FW', key);
  const sep = (e: ResolvedEndpoint): string => chainName('SEP', `${key}/${e.ip}/${e.port}`);
  const cidrs = node.clusterCIDRs.filter((c) => c.family === sp.family).map((c) => c.text);
  const filter: string[] = [];
  const nat: string[] = [];
  const nodePorts: string[] = [];
  const chains: string[] = [];

  const usesSvc = cat.cluster.length > 0 && usesClusterEndpoints(sp);
  const usesSvl = cat.local.length > 0 && usesLocalEndpoints(sp);
  const internal = sp.internalPolicyLocal ? svl : svc;
  const hasInternal = cat.hasAny && (!sp.internalPolicyLocal || cat.local.length > 0);
  const hasExternal = cat.hasAny && (!sp.externalPolicyLocal || cat.local.length > 0);
  const usesExt = cat.hasAny && externallyAccessible(sp);
  const fallback = cat.hasAny ? 'DROP' : 'REJECT';
  const dst = (ip: string): string => `-d ${ip}/${host} ${p} --dport ${sp.port}`;

  if (hasInternal) nat.push(`-A SY-SERVICES ${comment} ${dst(sp.clusterIP)} -j ${internal}`);
  else filter.push(`-A SY-SERVICES ${comment} ${dst(sp.clusterIP)} -j ${fallback}`);
  const useFw = sp.loadBalancerIPs.length > 0 && sp.sourceRanges.length > 0;
  for (const ip of [...sp.externalIPs, ...sp.loadBalancerIPs]) {
    const target = useFw && sp.loadBalancerIPs.includes(ip) ? fw : ext;
    if (usesExt) nat.push(`-A SY-SERVICES ${comment} ${dst(ip)} -j ${target}`);
    if (!hasExternal) filter.push(`-A SY-SERVICES ${comment} ${dst(ip)} -j ${fallback}`);
  }
  if (useFw && usesExt) {
    chains.push(fw);
    const allowed = sp.sourceRanges.map((r) => r.text);
    if (node.addresses[sp.family].some((ip) => ipInCidrs(ip, sp.sourceRanges)))
      allowed.push(...sp.loadBalancerIPs);
    for (const src of allowed) nat.push(`-A ${fw} ${comment} -s ${src} -j ${ext}`);
    nat.push(`-A ${fw} ${comment} -j SY-MARK-DROP`);
  }
  if (sp.nodePort !== undefined) {
    const local = sp.family === 'ipv4' ? '127.0.0.0/8' : '::1/128';
    if (usesExt) nodePorts.push(`-A SY-NODEPORTS ${comment} ${p} --dport ${sp.nodePort} -j ${ext}`);
    if (!hasExternal) {
      filter.push(
        `-A SY-SERVICES ${comment} -m addrtype --dst-type LOCAL ! -d ${local} ${p} --dport ${sp.nodePort} -j ${fallback}`,
      );
    }
  }
  if (usesExt) {
    chains.push(ext);
    if (!sp.externalPolicyLocal) {
      nat.push(`-A ${ext} -j SY-MARK-MASQ`);
    } else {
      if (cidrs.length > 0) for (const c of cidrs) nat.push(`-A ${ext} -s ${c} -j ${svc}`);
      nat.push(
        `-A ${ext} -m addrtype --src-type LOCAL -j SY-MARK-MASQ`,
        `-A ${ext} -m addrtype --src-type LOCAL -j ${svc}`,
      );
    }
    if (hasExternal) nat.push(`-A ${ext} -j ${sp.externalPolicyLocal ? svl : svc}`);
  }
  const policy = (chain: string, eps: ResolvedEndpoint[], masq: boolean): void => {
    chains.push(chain);
    if (masq && cidrs.length > 0)
      nat.push(`-A ${chain} ${dst(sp.clusterIP)} -j SY-MASQ-OFFCLUSTER`);
    if (sp.affinityTimeout !== undefined) {
      for (const e of eps) {
        const name = sep(e);
        nat.push(
          `-A ${chain} -m recent --name ${name} --rcheck --seconds ${sp.affinityTimeout} --reap -j ${name}`,
        );
      }
    }
    eps.forEach((e, i) => {
      const left = eps.length - i;
      const stat =
        left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : '';
      nat.push(`-A ${chain}${stat} -j ${sep(e)}`);
    });
  };
  if (usesSvc) policy(svc, cat.cluster, hasInternal && internal === svc);
  if (usesSvl) policy(svl, cat.local, hasInternal && internal === svl);
  for (const e of cat.reachable) {
    const name = sep(e);
    chains.push(name);
    nat.push(`-A ${name} -s ${e.ip}/${host} -j SY-MARK-MASQ`);
    if (sp.affinityTimeout !== undefined)
      nat.push(`-A ${name} ${p} -m recent --name ${name} --set`);
    const to = sp.family === 'ipv4' ? `${e.ip}:${e.port}` : `[${e.ip}]:${e.port}`;
    nat.push(`-A ${name} ${p} -j DNAT --to-destination ${to}`);
  }
  return { filter, nat, nodePorts, chains };
}
