import type { EndpointSlice, Service } from '../src/model.js';
import type { ProxyRules } from '../src/proxy-state.js';
import { ep, service, slice } from './fixtures.js';

/** A seeded linear congruential generator, so failures reproduce. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The model the events built so far, to compile in full for comparison. */
export interface EventWorld {
  services: Map<string, Service>;
  slices: Map<string, EndpointSlice>;
}

/**
 * Applies one random informer event to `state` and `world`: a service upsert (random type,
 * policies, affinity, external IPs) or delete, or an EndpointSlice upsert or delete. Endpoints come
 * from a small address pool so services share them (hairpin reference counts).
 */
export function randomEvent(rand: () => number, state: ProxyRules, world: EventWorld): void {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const n = Math.floor(rand() * 8);
  const name = `s${n}`;
  // Even services speak UDP (conntrack cleanup), odd ones TCP; their slices follow.
  const protocol = n % 2 === 0 ? ('UDP' as const) : ('TCP' as const);
  const op = rand();
  if (op < 0.35) {
    const svc = service(
      name,
      {
        type: pick(['ClusterIP', 'NodePort', 'LoadBalancer'] as const),
        clusterIP: `10.96.0.${n + 1}`,
        ports: [{ name: 'http', port: 80, nodePort: 30000 + n, protocol }],
        externalTrafficPolicy: pick(['Cluster', 'Local'] as const),
        internalTrafficPolicy: pick(['Cluster', 'Local'] as const),
        sessionAffinity: pick(['None', 'ClientIP'] as const),
        ...(rand() < 0.3 ? { externalIPs: [`203.0.113.${n + 1}`] } : {}),
      },
      { lbIngress: [{ ip: `198.51.100.${n + 1}` }] },
    );
    world.services.set(name, svc);
    state.upsertService(svc);
  } else if (op < 0.45) {
    world.services.delete(name);
    state.deleteService('default', name);
  } else if (op < 0.9) {
    const eps = Array.from({ length: Math.floor(rand() * 4) }, () =>
      ep(`10.244.0.${1 + Math.floor(rand() * 6)}`, {
        node: pick(['node-a', 'node-b']),
        ready: rand() < 0.8,
        serving: true,
        terminating: rand() < 0.3,
      }),
    );
    const s = slice(name, eps, { protocol });
    world.slices.set(s.metadata.name, s);
    state.upsertEndpointSlice(s);
  } else {
    world.slices.delete(`${name}-IPv4`);
    state.deleteEndpointSlice('default', `${name}-IPv4`);
  }
}
