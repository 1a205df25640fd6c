import {
  type CategorizedEndpoints,
  usesClusterEndpoints,
  usesLocalEndpoints,
} from './categorize.js';
import { affinitySetName, endpointChainName, serviceChainName } from './chain-names.js';
import { ipInCidrs } from './ip.js';
import type { NodeContext } from './node.js';
import {
  type MapKey,
  type Match,
  type Rule,
  type RuleParts,
  type MapVerdict,
  type Verdict,
  dnatKeyText,
  mapKeyText,
  rule,
  verdict,
} from './ruleset.js';
import {
  type ResolvedEndpoint,
  type ServicePortInfo,
  externallyAccessible,
  servicePortKey,
} from './service-ports.js';
import { CHAIN, PICK_MAX, type PickKind, dnatMapName, mapName, pickChainName } from './skeleton.js';

const goto = (chain: string): MapVerdict => ({ kind: 'goto', chain });

/**
 * From this many endpoints on, one `numgen random mod N vmap { ... }` rule picks the endpoint
 * (O(1), kube-proxy's form). Below it, a short run of `numgen random mod k == 0 goto` rules does:
 * every vmap is an anonymous set in the kernel, and loading 3,000 services that way cost 3.4 s
 * of kernel time against 0.9 s with rules (measured here, kernel 6.18, nft 1.0.6), growing
 * faster than linearly with the number of sets.
 */
export const VMAP_ENDPOINTS = 16;
const markMasq: Verdict = { kind: 'jump', chain: CHAIN.markForMasquerade };

/**
 * Adds one service port's chains, affinity sets and map elements to `rs`, following kube-proxy's
 * nftables layout: service-ips/service-nodeports dispatch to the internal policy chain (ClusterIP)
 * or the `external-` chain (NodePort, ExternalIPs, LoadBalancer IPs); policy chains pick an
 * endpoint with numgen and DNAT to it; the endpoints join the shared hairpin set. Services without
 * usable endpoints get a REJECT (or, for a Local policy with no local endpoint, DROP) element.
 */
export function addServicePort(
  rs: RuleParts,
  sp: ServicePortInfo,
  cat: CategorizedEndpoints,
  node: NodeContext,
): void {
  const key = servicePortKey(sp);
  const { family } = sp;
  const chainOf = (kind: Parameters<typeof serviceChainName>[0]): string =>
    serviceChainName(kind, key, family);
  const addChain = (name: string, rules: Rule[]): void =>
    void rs.chains.set(name, { name, owner: key, rules });
  const element = (kind: Parameters<typeof mapName>[0], k: MapKey, v: MapVerdict): void => {
    const name = mapName(kind, family);
    let map = rs.maps.get(name);
    if (!map) {
      const protoPort = kind === 'service-nodeports' || kind === 'no-endpoint-nodeports';
      map = { name, family, key: protoPort ? 'protoPort' : 'addrProtoPort', elements: new Map() };
      rs.maps.set(name, map);
    }
    map.elements.set(mapKeyText(k), { key: k, verdict: v, owner: key });
  };
  const epChain = (e: ResolvedEndpoint): string => endpointChainName(key, family, e.ip, e.port);
  const epSet = (e: ResolvedEndpoint): string => affinitySetName(key, family, e.ip, e.port);

  const clusterChain = chainOf('service');
  const localChain = chainOf('local');
  const externalChain = chainOf('external');
  const usesClusterChain = cat.cluster.length > 0 && usesClusterEndpoints(sp);
  const usesLocalChain = cat.local.length > 0 && usesLocalEndpoints(sp);
  const internalChain = sp.internalPolicyLocal ? localChain : clusterChain;
  const hasInternal = cat.hasAny && (!sp.internalPolicyLocal || cat.local.length > 0);
  const externalPolicyChain = sp.externalPolicyLocal ? localChain : clusterChain;
  const hasExternal = cat.hasAny && (!sp.externalPolicyLocal || cat.local.length > 0);
  const usesExternalChain = cat.hasAny && externallyAccessible(sp);
  // No endpoint anywhere: REJECT; a Local policy without a local endpoint: DROP.
  const internalFallback: MapVerdict = cat.hasAny ? { kind: 'drop' } : goto(CHAIN.reject);
  const externalFallback: MapVerdict = cat.hasAny ? { kind: 'drop' } : goto(CHAIN.reject);

  const ipKey = (ip: string): MapKey => ({ ip, proto: sp.protocol, port: sp.port });
  rs.clusterIPs[family].set(sp.clusterIP, `${sp.namespace}/${sp.name}`);
  addFirewall(sp, node, element, addChain);
  hairpinAndAffinity(rs, sp, cat, key, epSet);
  if (!usesOwnChains(sp, cat)) {
    // The shared layout: the service port owns map elements only (see pickChainName).
    const pick = (kind: PickKind, k: MapKey, eps: ResolvedEndpoint[]): void => {
      const mapKey = kind === 'nodeport' ? 'protoPort' : 'addrProtoPort';
      const name = dnatMapName(mapKey, family);
      let map = rs.dnatMaps.get(name);
      if (!map) {
        map = { name, family, key: mapKey, elements: new Map() };
        rs.dnatMaps.set(name, map);
      }
      eps.forEach((e, slot) => {
        const el = { key: k, slot, ip: e.ip, port: e.port, owner: key };
        map.elements.set(dnatKeyText(el), el);
      });
      const chain = pickChainName(kind, family, eps.length);
      element(kind === 'nodeport' ? 'service-nodeports' : 'service-ips', k, goto(chain));
    };
    const internal = sp.internalPolicyLocal ? cat.local : cat.cluster;
    if (hasInternal) pick('cluster', ipKey(sp.clusterIP), internal);
    else element('no-endpoint-services', ipKey(sp.clusterIP), internalFallback);
    for (const ip of [...sp.externalIPs, ...sp.loadBalancerIPs]) {
      if (hasExternal) pick('external', ipKey(ip), cat.cluster);
      else element('no-endpoint-services', ipKey(ip), externalFallback);
    }
    if (sp.nodePort !== undefined) {
      const k: MapKey = { proto: sp.protocol, port: sp.nodePort };
      if (hasExternal) pick('nodeport', k, cat.cluster);
      else element('no-endpoint-nodeports', k, externalFallback);
    }
    return;
  }
  if (hasInternal) element('service-ips', ipKey(sp.clusterIP), goto(internalChain));
  else element('no-endpoint-services', ipKey(sp.clusterIP), internalFallback);

  for (const ip of [...sp.externalIPs, ...sp.loadBalancerIPs]) {
    if (usesExternalChain) element('service-ips', ipKey(ip), goto(externalChain));
    if (!hasExternal) element('no-endpoint-services', ipKey(ip), externalFallback);
  }
  if (sp.nodePort !== undefined) {
    const k: MapKey = { proto: sp.protocol, port: sp.nodePort };
    if (usesExternalChain) element('service-nodeports', k, goto(externalChain));
    if (!hasExternal) element('no-endpoint-nodeports', k, externalFallback);
  }

  const policyRules = (endpoints: ResolvedEndpoint[]): Rule[] => {
    const rules: Rule[] = [];
    const affinity = sp.affinityTimeout !== undefined;
    // DNAT straight from the policy chain (refreshing the client's affinity entry first), so a
    // service costs one chain, not one per endpoint: every chain is fetched by nft on each
    // incremental transaction, which made chain count the cost of a one-endpoint change.
    const dnat = (e: ResolvedEndpoint, ...matches: Match[]): Rule =>
      rule(
        {
          kind: 'dnat',
          family,
          proto: sp.protocol,
          ip: e.ip,
          port: e.port,
          ...(affinity ? { remember: epSet(e) } : {}),
        },
        ...matches,
        { kind: 'l4proto', proto: sp.protocol },
      );
    if (affinity) {
      for (const e of endpoints)
        rules.push(dnat(e, { kind: 'addrInSet', dir: 'saddr', family, set: epSet(e) }));
    }
    if (endpoints.length >= VMAP_ENDPOINTS) {
      rules.push(rule({ kind: 'numgen', targets: endpoints.map(epChain) }));
      for (const e of endpoints) addChain(epChain(e), [dnat(e)]);
    } else {
      // Endpoint i is taken with probability 1/(n-i) given the earlier ones were not: uniform
      // overall, and no anonymous set per service (see VMAP_ENDPOINTS).
      endpoints.forEach((e, i) => {
        const left = endpoints.length - i;
        rules.push(left > 1 ? dnat(e, { kind: 'random', mod: left }) : dnat(e));
      });
    }
    return rules;
  };
  if (usesClusterChain) addChain(clusterChain, policyRules(cat.cluster));
  if (usesLocalChain) addChain(localChain, policyRules(cat.local));

  if (usesExternalChain) {
    const rules: Rule[] = [];
    if (!sp.externalPolicyLocal) {
      rules.push(verdict(markMasq));
    } else {
      const cidrs = node.clusterCIDRs.filter((c) => c.family === family).map((c) => c.text);
      // Pods and the node itself bypass the Local policy, as if they went out to the load
      // balancer and came back; the node's own traffic needs masquerading (its source is local).
      if (cidrs.length > 0) {
        rules.push({
          ...verdict(goto(clusterChain), {
            kind: 'addr',
            dir: 'saddr',
            family,
            negate: false,
            cidrs,
          }),
          comment: 'short-circuit pod traffic',
        });
      }
      rules.push({
        ...verdict(markMasq, { kind: 'fibLocal', dir: 'saddr' }),
        comment: 'masquerade local traffic',
      });
      rules.push({
        ...verdict(goto(clusterChain), { kind: 'fibLocal', dir: 'saddr' }),
        comment: 'short-circuit local traffic',
      });
    }
    if (hasExternal) rules.push(verdict(goto(externalPolicyChain)));
    addChain(externalChain, rules);
  }
}

/**
 * Per-service chains (`service-`, `local-`, `external-`) are needed for ClientIP affinity (the
 * per-endpoint sets are tested in rules), for externalTrafficPolicy Local on an externally
 * reachable port (pods and the node short-circuit to the Cluster endpoints) and beyond PICK_MAX
 * endpoints; every other service port uses the shared pick chains and the endpoint maps.
 */
export function usesOwnChains(sp: ServicePortInfo, cat: CategorizedEndpoints): boolean {
  return (
    sp.affinityTimeout !== undefined ||
    (sp.externalPolicyLocal && externallyAccessible(sp)) ||
    cat.cluster.length > PICK_MAX ||
    cat.local.length > PICK_MAX
  );
}

// LoadBalancer source ranges: a firewall chain dropping other sources, looked up by LB IP.
function addFirewall(
  sp: ServicePortInfo,
  node: NodeContext,
  element: (kind: 'firewall-ips', k: MapKey, v: MapVerdict) => void,
  addChain: (name: string, rules: Rule[]) => void,
): void {
  if (sp.loadBalancerIPs.length === 0 || sp.sourceRanges.length === 0) return;
  const { family } = sp;
  const fw = serviceChainName('firewall', servicePortKey(sp), family);
  const allowed = sp.sourceRanges.map((r) => r.text);
  // A node reaching its own LB VIP (added locally) arrives with the VIP as source.
  const local = node.addresses[family];
  if (local.some((ip) => ipInCidrs(ip, sp.sourceRanges))) allowed.push(...sp.loadBalancerIPs);
  addChain(fw, [
    verdict({ kind: 'drop' }, { kind: 'addr', dir: 'saddr', family, negate: true, cidrs: allowed }),
  ]);
  for (const ip of sp.loadBalancerIPs)
    element('firewall-ips', { ip, proto: sp.protocol, port: sp.port }, goto(fw));
}

// Endpoints this node may DNAT to that may also be its clients (not known to run on another node)
// join the hairpin set: an endpoint reaching itself is DNATed where it sends from, its own node.
// With affinity, every endpoint gets its set.
function hairpinAndAffinity(
  rs: RuleParts,
  sp: ServicePortInfo,
  cat: CategorizedEndpoints,
  key: string,
  epSet: (e: ResolvedEndpoint) => string,
): void {
  for (const e of cat.reachable) {
    if (!e.onOtherNode) {
      const hairpin = rs.hairpin[sp.family];
      hairpin.set(e.ip, (hairpin.get(e.ip) ?? 0) + 1);
    }
    if (sp.affinityTimeout !== undefined) {
      const set = epSet(e);
      rs.affinitySets.set(set, {
        name: set,
        family: sp.family,
        timeoutSeconds: sp.affinityTimeout,
        owner: key,
      });
    }
  }
}
