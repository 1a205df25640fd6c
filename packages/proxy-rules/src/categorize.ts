import type { NodeContext } from './node.js';
import {
  type ResolvedEndpoint,
  type ServicePortInfo,
  externallyAccessible,
} from './service-ports.js';

/** Which endpoints each traffic policy may use from this node (kube-proxy's CategorizeEndpoints). */
export interface CategorizedEndpoints {
  /** Endpoints for Cluster policy after topology; empty when the service never uses it. */
  cluster: ResolvedEndpoint[];
  /** Node-local endpoints for Local policy; empty when the service never uses it. */
  local: ResolvedEndpoint[];
  /** Union of the two: every endpoint this node may DNAT to (hairpin and affinity sets). */
  reachable: ResolvedEndpoint[];
  /** The service has a usable endpoint somewhere in the cluster (decides REJECT vs DROP). */
  hasAny: boolean;
  /** The topology mode that filtered `cluster`, if any. */
  topology: 'PreferSameNode' | 'PreferSameZone' | undefined;
}

/**
 * Unlike kube-proxy (`!iTP Local || (external && !eTP Local)`), an externally reachable service
 * with both policies Local still gets a Cluster chain: its `external-` chain short-circuits pod and
 * node traffic there, and that chain must exist.
 */
export function usesClusterEndpoints(sp: ServicePortInfo): boolean {
  return !sp.internalPolicyLocal || externallyAccessible(sp);
}

export function usesLocalEndpoints(sp: ServicePortInfo): boolean {
  return sp.internalPolicyLocal || (externallyAccessible(sp) && sp.externalPolicyLocal);
}

/**
 * Usable means Ready, falling back (separately for Cluster and Local) to serving-and-terminating
 * endpoints when none is ready. Topology hints apply to Cluster policy only, and only when every
 * ready endpoint carries a hint and at least one hint names this node (or zone).
 */
export function categorizeEndpoints(sp: ServicePortInfo, node: NodeContext): CategorizedEndpoints {
  const eps = [...sp.endpoints].sort(byAddress);
  const servingTerminating = (e: ResolvedEndpoint): boolean => e.serving && e.terminating;
  let cluster: ResolvedEndpoint[] = [];
  let local: ResolvedEndpoint[] = [];
  let topology: CategorizedEndpoints['topology'];
  if (usesClusterEndpoints(sp)) {
    topology = topologyMode(eps, node);
    cluster = eps.filter((e) => e.ready && availableForTopology(e, topology, node));
    if (cluster.length === 0) cluster = eps.filter(servingTerminating);
  }
  const anyUsable = eps.some((e) => e.ready || servingTerminating(e));
  if (usesLocalEndpoints(sp)) {
    local = eps.filter((e) => e.local && e.ready);
    if (local.length === 0) local = eps.filter((e) => e.local && servingTerminating(e));
  }
  const seen = new Set<string>();
  const reachable = [...cluster, ...local]
    .filter((e) => {
      const key = `${e.ip}/${e.port}`;
      return !seen.has(key) && seen.add(key);
    })
    .sort(byAddress);
  return { cluster, local, reachable, hasAny: anyUsable, topology };
}

function topologyMode(
  eps: ResolvedEndpoint[],
  node: NodeContext,
): CategorizedEndpoints['topology'] {
  const ready = eps.filter((e) => e.ready);
  if (ready.length === 0) return undefined;
  if (
    ready.every((e) => e.nodeHints.length > 0) &&
    ready.some((e) => e.nodeHints.includes(node.name))
  ) {
    return 'PreferSameNode';
  }
  const zone = node.zone;
  if (
    zone &&
    ready.every((e) => e.zoneHints.length > 0) &&
    ready.some((e) => e.zoneHints.includes(zone))
  ) {
    return 'PreferSameZone';
  }
  return undefined;
}

function availableForTopology(
  e: ResolvedEndpoint,
  mode: CategorizedEndpoints['topology'],
  node: NodeContext,
): boolean {
  if (mode === 'PreferSameNode') return e.nodeHints.includes(node.name);
  if (mode === 'PreferSameZone') return e.zoneHints.includes(node.zone ?? '');
  return true;
}

function byAddress(a: ResolvedEndpoint, b: ResolvedEndpoint): number {
  return a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.port - b.port;
}
