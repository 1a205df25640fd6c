import { isIP } from 'node:net';
import type { NodeInfo } from './model.js';

/** The fields of a Node the proxy reads (the API object's JSON fits as is). */
export interface NodeObject {
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: { podCIDR?: string; podCIDRs?: string[] };
  status?: { addresses?: { type: string; address: string }[] };
}

export const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** The Node has nothing the proxy can use yet (no pod CIDR to tell local traffic by). */
export class NodeNotReadyError extends Error {
  override readonly name = 'NodeNotReadyError';
}

/**
 * The proxy's view of its node: InternalIP and ExternalIP addresses (hostnames skipped), the zone
 * label, and the cluster CIDRs, or when none are configured the node's own pod CIDRs (kube-proxy's
 * `detectLocalMode: NodeCIDR`: traffic from this node's pods is local, everything else is not).
 */
export function nodeInfo(
  node: NodeObject,
  clusterCidrs: readonly string[],
  nodePortAddresses: readonly string[],
): NodeInfo {
  const name = node.metadata?.name ?? '';
  const addresses = [
    ...new Set(
      (node.status?.addresses ?? [])
        .filter((a) => (a.type === 'InternalIP' || a.type === 'ExternalIP') && isIP(a.address))
        .map((a) => a.address),
    ),
  ];
  const podCidrs = node.spec?.podCIDRs?.length
    ? node.spec.podCIDRs
    : node.spec?.podCIDR
      ? [node.spec.podCIDR]
      : [];
  const cidrs = clusterCidrs.length ? [...clusterCidrs] : podCidrs;
  if (cidrs.length === 0) {
    throw new NodeNotReadyError(
      `node ${name} has no podCIDR yet and no --cluster-cidr was given: cannot tell pod traffic from outside traffic`,
    );
  }
  const info: NodeInfo = { name, addresses, clusterCIDRs: cidrs };
  const zone = node.metadata?.labels?.[ZONE_LABEL];
  if (zone) info.zone = zone;
  if (nodePortAddresses.length) info.nodePortAddresses = [...nodePortAddresses];
  return info;
}

/** Equal node descriptions need no rebuild of the rules. */
export function sameNodeInfo(a: NodeInfo | undefined, b: NodeInfo): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
