import { Cidr } from './cidr.js';
import { InvalidAddressError, IpamConfigError } from './errors.js';
import type { RangeConfig } from './ip-range.js';
import { RangeSet } from './range-set.js';

/** The part of a Kubernetes Node this needs; a `V1Node` from any client fits. */
export interface NodeLike {
  metadata?: { name?: string };
  spec?: { podCIDR?: string; podCIDRs?: string[] };
}

/**
 * The node's pod ranges as host-local `ranges` (one range set per pod CIDR, in the order the
 * control plane lists them, so the primary family comes first), ready to write into a conflist.
 * Reads `spec.podCIDRs`, falling back to `spec.podCIDR` on clusters that only set the old field.
 * Throws IpamConfigError when no CIDR is assigned yet, one is malformed, or two share a family.
 */
export function nodeRangeConfigs(node: NodeLike): RangeConfig[][] {
  const name = node.metadata?.name ?? '(unnamed node)';
  const spec = node.spec ?? {};
  const cidrs = spec.podCIDRs?.length ? spec.podCIDRs : spec.podCIDR ? [spec.podCIDR] : [];
  if (cidrs.length === 0) {
    throw new IpamConfigError(`node ${name} has no pod CIDR assigned yet`, 'spec.podCIDRs');
  }
  const seen = new Set<number>();
  return cidrs.map((text, i) => {
    const field = `spec.podCIDRs[${i}]`;
    let cidr: Cidr;
    try {
      cidr = Cidr.parse(text);
    } catch (e) {
      if (e instanceof InvalidAddressError) throw new IpamConfigError(e.message, field);
      throw e;
    }
    if (seen.has(cidr.family)) {
      throw new IpamConfigError(`node ${name} has two IPv${cidr.family} pod CIDRs`, field);
    }
    seen.add(cidr.family);
    return [{ subnet: cidr.toString() }];
  });
}

/** The node's pod ranges as validated range sets (host-local defaults: gateway .1, .2 onwards). */
export function nodeRangeSets(node: NodeLike): RangeSet[] {
  return nodeRangeConfigs(node).map((set, i) => RangeSet.fromConfig(set, `spec.podCIDRs[${i}]`));
}
