import { ModelError } from './errors.js';
import { type Cidr, type Family, canonicalIp, ipFamily, parseCidr } from './ip.js';
import type { NodeInfo } from './model.js';

/** The node description, validated and split by family. */
export interface NodeContext {
  name: string;
  zone: string | undefined;
  /** Canonical node addresses per family. */
  addresses: Record<Family, string[]>;
  clusterCIDRs: Cidr[];
  /** Explicit NodePort addresses per family; empty means "every local address but loopback". */
  nodePortAddresses: Record<Family, string[]>;
}

/** Validates the node; throws ModelError naming the bad field. */
export function nodeContext(node: NodeInfo): NodeContext {
  if (typeof node.name !== 'string' || node.name === '') {
    throw new ModelError('must be a non-empty string', 'node.name');
  }
  const addresses = splitIps(node.addresses, 'node.addresses');
  const nodePortAddresses = splitIps(node.nodePortAddresses ?? [], 'node.nodePortAddresses');
  if (!Array.isArray(node.clusterCIDRs)) {
    throw new ModelError('must be a list of CIDRs', 'node.clusterCIDRs');
  }
  const clusterCIDRs = node.clusterCIDRs.map((text, i) => {
    const cidr = parseCidr(text);
    if (!cidr)
      throw new ModelError(`invalid CIDR ${JSON.stringify(text)}`, `node.clusterCIDRs[${i}]`);
    return cidr;
  });
  return { name: node.name, zone: node.zone, addresses, clusterCIDRs, nodePortAddresses };
}

function splitIps(ips: unknown, field: string): Record<Family, string[]> {
  if (!Array.isArray(ips)) throw new ModelError('must be a list of IP addresses', field);
  const out: Record<Family, string[]> = { ipv4: [], ipv6: [] };
  ips.forEach((ip: unknown, i) => {
    const family = typeof ip === 'string' ? ipFamily(ip) : undefined;
    if (!family) throw new ModelError(`invalid IP address ${JSON.stringify(ip)}`, `${field}[${i}]`);
    out[family].push(canonicalIp(ip as string));
  });
  return out;
}
