import { NftTransaction, type NftOptions } from '@switchyard/linux';

/** The agent's own nftables table (the plugin's host ports live in switchyard_hostport). */
export const AGENT_TABLE = 'switchyard';

/**
 * Pod traffic leaving the cluster network is masqueraded to the node's address; pod <-> pod
 * (anything inside the cluster CIDRs, either direction) never is, so pods see each other's real
 * addresses on every node. Multicast is left alone, as flannel does. The forward chain counts and
 * accepts pod traffic; in nftables an accept ends only our chain, so it documents intent and
 * gives counters but cannot override a drop in another table.
 *
 * Applied as one transaction that replaces the whole table (add, delete, re-create), so a
 * restarted agent swaps rules atomically: established connections keep their conntrack NAT
 * entries and never see a moment without rules.
 */
export function masqueradeTransaction(clusterCidrs: readonly string[]): NftTransaction {
  const v4 = clusterCidrs.filter((c) => !c.includes(':'));
  const v6 = clusterCidrs.filter((c) => c.includes(':'));
  const t = `inet ${AGENT_TABLE}`;
  const lines = [
    `table ${t} {`,
    set('cluster4', 'ipv4_addr', v4),
    set('cluster6', 'ipv6_addr', v6),
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat + 10; policy accept;',
    '    ip saddr @cluster4 ip daddr @cluster4 return',
    '    ip6 saddr @cluster6 ip6 daddr @cluster6 return',
    '    ip saddr @cluster4 ip daddr 224.0.0.0/4 return',
    '    ip6 saddr @cluster6 ip6 daddr ff00::/8 return',
    '    ip saddr @cluster4 counter masquerade fully-random',
    '    ip6 saddr @cluster6 counter masquerade fully-random',
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    '    ip saddr @cluster4 counter accept',
    '    ip daddr @cluster4 counter accept',
    '    ip6 saddr @cluster6 counter accept',
    '    ip6 daddr @cluster6 counter accept',
    '  }',
    '}',
  ];
  return new NftTransaction().add(`add table ${t}`, `delete table ${t}`, ...lines);
}

export async function installMasquerade(
  clusterCidrs: readonly string[],
  options: NftOptions = {},
): Promise<void> {
  await masqueradeTransaction(clusterCidrs).apply(options);
}

function set(name: string, type: string, cidrs: readonly string[]): string {
  const elements = cidrs.length ? ` elements = { ${cidrs.join(', ')} };` : '';
  return `  set ${name} { type ${type}; flags interval;${elements} }`;
}
