import { createHash } from 'node:crypto';
import { UnsupportedFieldError, type PluginConf } from '@switchyard/cni-spec/plugin';
import {
  NftError,
  NftTransaction,
  formatCidr,
  listNftTable,
  networkOf,
  type NftSet,
} from '@switchyard/linux';

/** Our own table; nothing else in the ruleset is read or changed. */
export const HOSTPORT_TABLE = 'switchyard_hostport';
const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;
type Protocol = (typeof PROTOCOLS)[number];

export interface HostPort {
  hostPort: number;
  containerPort: number;
  protocol: Protocol;
  /** Only traffic to this host address; undefined for every local address. */
  hostIP: string | undefined;
}

/** `runtimeConfig.portMappings` (the portMappings capability), validated. */
export function parsePortMappings(config: PluginConf): HostPort[] {
  const raw = config.runtimeConfig?.portMappings ?? [];
  return raw.map((m, i) => {
    const field = `runtimeConfig.portMappings[${i}]`;
    const protocol = (m.protocol ?? 'tcp').toLowerCase();
    if (!PROTOCOLS.includes(protocol as Protocol)) {
      throw new UnsupportedFieldError(`${field}.protocol: ${JSON.stringify(m.protocol)}`);
    }
    for (const key of ['hostPort', 'containerPort'] as const) {
      const v = m[key];
      if (!Number.isInteger(v) || v < 1 || v > 65535) {
        throw new UnsupportedFieldError(`${field}.${key}: ${JSON.stringify(v)} is not a port`);
      }
    }
    const hostIP = m.hostIP && m.hostIP !== '0.0.0.0' && m.hostIP !== '::' ? m.hostIP : undefined;
    if (hostIP !== undefined && !/^[0-9a-fA-F.:]+$/.test(hostIP)) {
      throw new UnsupportedFieldError(`${field}.hostIP: ${JSON.stringify(m.hostIP)}`);
    }
    return {
      hostPort: m.hostPort,
      containerPort: m.containerPort,
      protocol: protocol as Protocol,
      hostIP,
    };
  });
}

/**
 * The element comment naming the attachment that owns a mapping (nft comments hold 128 bytes; a
 * longer container ID is hashed).
 */
export function hostPortOwner(containerId: string, ifName: string): string {
  const plain = `${containerId}/${ifName}`;
  return plain.length <= 120 ? plain : `sha256:${createHash('sha256').update(plain).digest('hex')}`;
}

/**
 * DNATs each host port to the pod, in one nft transaction that also (re)creates the table:
 * `fib daddr type local` traffic arriving (prerouting) or sent by the node itself (output) is
 * looked up in verdict-free maps keyed by protocol + port (or host address + protocol + port),
 * so adding or removing a pod touches map elements only, never rules. Traffic a pod sends to its
 * own host port over the bridge is masqueraded (hairpin), so the reply comes back through us
 * (`podCidrs` are the pod's addresses with their prefix: the prefix names the pod network).
 * A port already mapped fails the whole transaction (`create element`): nothing is half-applied.
 */
export async function addHostPorts(
  netns: string | undefined,
  bridge: string,
  owner: string,
  mappings: readonly HostPort[],
  podCidrs: readonly string[],
): Promise<void> {
  const tx = baseTable(bridge);
  for (const cidr of podCidrs) {
    const fam = cidr.includes(':') ? '6' : '4';
    tx.add(`add element inet ${HOSTPORT_TABLE} podnets${fam} { ${formatCidr(networkOf(cidr))} }`);
  }
  const podIps = podCidrs.map((c) => c.split('/')[0]!);
  for (const m of mappings) {
    for (const ip of podIps) {
      const v6 = ip.includes(':');
      if (m.hostIP !== undefined && m.hostIP.includes(':') !== v6) continue;
      const fam = v6 ? '6' : '4';
      const comment = `comment ${JSON.stringify(owner)}`;
      const value = `${ip} . ${m.containerPort}`;
      tx.add(
        m.hostIP === undefined
          ? `create element inet ${HOSTPORT_TABLE} ports${fam} { ${m.protocol} . ${m.hostPort} ${comment} : ${value} }`
          : `create element inet ${HOSTPORT_TABLE} ipports${fam} { ${m.hostIP} . ${m.protocol} . ${m.hostPort} ${comment} : ${value} }`,
      );
    }
  }
  try {
    await tx.apply(netns === undefined ? {} : { netns });
  } catch (e) {
    if (e instanceof NftError && /File exists/.test(e.stderr)) {
      throw new UnsupportedFieldError(
        'runtimeConfig.portMappings: a host port is already mapped to another pod',
        e.stderr.trim().split('\n')[0],
      );
    }
    throw e;
  }
}

/**
 * Deletes the map elements whose comment is one of `owners` (all of them with `keep` given:
 * every element whose owner is not kept). Returns how many were removed; a missing table is none.
 */
export async function removeHostPorts(
  netns: string | undefined,
  select: { owners: ReadonlySet<string> } | { keep: ReadonlySet<string> },
): Promise<number> {
  const options = netns === undefined ? {} : { netns };
  let maps: NftSet[];
  try {
    maps = (await listNftTable('inet', HOSTPORT_TABLE, options)).maps;
  } catch (e) {
    if (e instanceof NftError && /No such file or directory/.test(e.stderr)) return 0;
    throw e;
  }
  const tx = new NftTransaction();
  for (const map of maps) {
    for (const element of map.elements) {
      const key = elementKey(element);
      if (!key) continue;
      const chosen =
        'owners' in select ? select.owners.has(key.comment) : !select.keep.has(key.comment);
      if (chosen) tx.add(`delete element inet ${HOSTPORT_TABLE} ${map.name} { ${key.text} }`);
    }
  }
  if (tx.size > 0) await tx.apply(options);
  return tx.size;
}

function baseTable(bridge: string): NftTransaction {
  const t = `inet ${HOSTPORT_TABLE}`;
  const tx = new NftTransaction().add(`add table ${t}`);
  for (const fam of ['4', '6']) {
    const addr = fam === '4' ? 'ipv4_addr' : 'ipv6_addr';
    tx.add(
      `add map ${t} ports${fam} { type inet_proto . inet_service : ${addr} . inet_service; }`,
      `add map ${t} ipports${fam} { type ${addr} . inet_proto . inet_service : ${addr} . inet_service; }`,
      `add set ${t} podnets${fam} { type ${addr}; flags interval; auto-merge; }`,
    );
  }
  tx.add(
    `add chain ${t} prerouting { type nat hook prerouting priority dstnat; policy accept; }`,
    `add chain ${t} output { type nat hook output priority -100; policy accept; }`,
    `add chain ${t} postrouting { type nat hook postrouting priority srcnat; policy accept; }`,
    `add chain ${t} hostports`,
    // Rules are rewritten whole each time, so the table converges even if someone edited it.
    `flush chain ${t} prerouting`,
    `flush chain ${t} output`,
    `flush chain ${t} postrouting`,
    `flush chain ${t} hostports`,
    `add rule ${t} prerouting fib daddr type local jump hostports`,
    `add rule ${t} output fib daddr type local jump hostports`,
    `add rule ${t} hostports dnat ip to ip daddr . meta l4proto . th dport map @ipports4`,
    `add rule ${t} hostports dnat ip to meta l4proto . th dport map @ports4`,
    `add rule ${t} hostports dnat ip6 to ip6 daddr . meta l4proto . th dport map @ipports6`,
    `add rule ${t} hostports dnat ip6 to meta l4proto . th dport map @ports6`,
    // Hairpin: a pod reaching a host port that lands on a pod behind the same bridge. The input
    // interface is not known in postrouting, so "from a pod" is the source being a pod network.
    `add rule ${t} postrouting ct status dnat oifname ${JSON.stringify(bridge)} ip saddr @podnets4 masquerade`,
    `add rule ${t} postrouting ct status dnat oifname ${JSON.stringify(bridge)} ip6 saddr @podnets6 masquerade`,
  );
  return tx;
}

/** The key of a map element in nft's own syntax, and its comment; undefined without a comment. */
function elementKey(element: unknown): { text: string; comment: string } | undefined {
  // nft -j: [ { "elem": { "val": { "concat": [...] }, "comment": "..." } }, value ]
  const pair = Array.isArray(element) ? element[0] : element;
  const elem = (pair as { elem?: { val?: unknown; comment?: unknown } } | undefined)?.elem;
  if (!elem || typeof elem.comment !== 'string') return undefined;
  const val = elem.val as { concat?: unknown[] } | undefined;
  const parts = Array.isArray(val?.concat) ? val.concat : [val];
  return { text: parts.map(String).join(' . '), comment: elem.comment };
}
