import type { ServicePortInfo } from './service-ports.js';

/** One `healthCheckNodePort` server the node must run for an externalTrafficPolicy Local service. */
export interface HealthCheck {
  namespace: string;
  name: string;
  nodePort: number;
  /** Ready endpoints on this node: the server answers 200 when > 0, else 503. */
  localEndpoints: number;
}

/**
 * Counts distinct local ready endpoint addresses per service. On a dual-stack service a pod has an
 * address in each family; the larger family count is the pod count.
 */
export function healthChecks(ports: readonly ServicePortInfo[]): HealthCheck[] {
  const byService = new Map<string, { check: HealthCheck; ips: Map<string, Set<string>> }>();
  for (const sp of ports) {
    if (sp.healthCheckNodePort === undefined) continue;
    const id = `${sp.namespace}/${sp.name}`;
    let entry = byService.get(id);
    if (!entry) {
      entry = {
        check: {
          namespace: sp.namespace,
          name: sp.name,
          nodePort: sp.healthCheckNodePort,
          localEndpoints: 0,
        },
        ips: new Map(),
      };
      byService.set(id, entry);
    }
    const ips = entry.ips.get(sp.family) ?? new Set<string>();
    for (const e of sp.endpoints) if (e.local && e.ready) ips.add(e.ip);
    entry.ips.set(sp.family, ips);
  }
  return [...byService.values()].map(({ check, ips }) => ({
    ...check,
    localEndpoints: Math.max(0, ...[...ips.values()].map((s) => s.size)),
  }));
}

/** What a health-check server answers: status and the JSON body kube-proxy sends. */
export function healthCheckResponse(check: HealthCheck): { status: number; body: string } {
  const body = JSON.stringify({
    service: { namespace: check.namespace, name: check.name },
    localEndpoints: check.localEndpoints,
  });
  return { status: check.localEndpoints > 0 ? 200 : 503, body };
}
