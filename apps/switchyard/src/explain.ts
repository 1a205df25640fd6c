import { isIPv4 } from 'node:net';
import {
  type EndpointSlice,
  type NodeObject,
  type Packet,
  ProxyRules,
  type Service,
  explainService,
  nodeInfo,
} from '@switchyard/proxy-rules';

export interface ExplainInput {
  /** The node whose rules are traced (as switchyard-proxy on that node would program them). */
  node: NodeObject;
  services: readonly Service[];
  endpointSlices: readonly EndpointSlice[];
  namespace: string;
  name: string;
  from: Packet['from'];
  /** The client address; by default a pod address on the node, the node's own, or a TEST-NET one. */
  source?: string;
  /** As switchyard-proxy's --cluster-cidr; empty means the node's pod CIDRs. */
  clusterCidrs?: readonly string[];
}

/** Where a client's packet to each address of a service goes on one node, in words. */
export function explainServiceOnNode(input: ExplainInput): string {
  const info = nodeInfo(input.node, input.clusterCidrs ?? [], []);
  const rules = new ProxyRules(info);
  for (const svc of input.services) rules.upsertService(svc);
  for (const slice of input.endpointSlices) rules.upsertEndpointSlice(slice);
  const { ruleset, servicePorts } = rules.commit();
  const source = input.source
    ? { [isIPv4(input.source) ? 'ipv4' : 'ipv6']: input.source }
    : defaultSources(input.from, info.addresses, info.clusterCIDRs);
  return explainService(ruleset, servicePorts, input.namespace, input.name, {
    source,
    from: input.from,
  });
}

// Only the trace uses these addresses; no packet is sent.
function defaultSources(
  from: Packet['from'],
  nodeAddresses: readonly string[],
  clusterCidrs: readonly string[],
): { ipv4?: string; ipv6?: string } {
  if (from === 'node') {
    return {
      ipv4: nodeAddresses.find((a) => isIPv4(a)),
      ipv6: nodeAddresses.find((a) => !isIPv4(a)),
    };
  }
  if (from === 'outside') return { ipv4: '203.0.113.10', ipv6: '2001:db8::10' };
  const v4 = clusterCidrs.find((c) => isIPv4(c.split('/')[0] ?? ''));
  const v6 = clusterCidrs.find((c) => !isIPv4(c.split('/')[0] ?? ''));
  return { ipv4: v4 && hostInside(v4), ipv6: v6 && hostInside(v6) };
}

/**
 * The tenth address of a CIDR (`10.244.1.0/24` -> `10.244.1.10`), a plausible pod address; for an
 * IPv6 CIDR only when its base ends in `::` (otherwise --source names the client).
 */
function hostInside(cidr: string): string | undefined {
  const base = cidr.split('/')[0] ?? '';
  if (isIPv4(base)) {
    const parts = base.split('.').map(Number);
    parts[3] = (parts[3] ?? 0) + 10;
    return parts.join('.');
  }
  return base.endsWith('::') ? `${base}a` : undefined;
}
