import { createHash } from 'node:crypto';
import type { ServiceRef } from './route.js';

/** One ready backend address (an EndpointSlice endpoint's address and the target port). */
export interface Endpoint {
  address: string;
  port: number;
}

/** Returns the ready endpoints of a Service port right now; the app feeds it from EndpointSlices. */
export type EndpointResolver = (service: ServiceRef) => readonly Endpoint[];

export function serviceKey(s: ServiceRef): string {
  return `${s.namespace}/${s.name}:${s.port}`;
}

/** A resolver over a fixed map keyed `namespace/name:port` (tests, static setups). */
export function staticEndpoints(map: Record<string, readonly Endpoint[]>): EndpointResolver {
  return (s) => map[serviceKey(s)] ?? [];
}

/** An opaque, stable cookie value naming an endpoint without revealing its address. */
export function endpointToken(e: Endpoint): string {
  return createHash('sha256').update(`${e.address}:${e.port}`).digest('base64url').slice(0, 16);
}

/** Round-robin over a Service's endpoints, skipping the ones a retry already tried. */
export class EndpointBalancer {
  private readonly counters = new Map<string, number>();

  /** `onResolverError` hears about a resolver that threw; the service then has no endpoints. */
  constructor(
    private readonly resolver: EndpointResolver,
    private readonly onResolverError: (service: ServiceRef, error: Error) => void = () => undefined,
  ) {}

  /** The resolver is the app's code and may run from a retry callback: it must not throw here. */
  private resolve(service: ServiceRef): readonly Endpoint[] {
    try {
      return this.resolver(service);
    } catch (e) {
      this.onResolverError(service, e as Error);
      return [];
    }
  }

  next(service: ServiceRef, tried: ReadonlySet<string> = new Set()): Endpoint | undefined {
    const all = this.resolve(service);
    if (all.length === 0) return undefined;
    const key = serviceKey(service);
    const start = this.counters.get(key) ?? 0;
    this.counters.set(key, (start + 1) % 1_000_000_007);
    if (tried.size === 0) return all[start % all.length];
    for (let i = 0; i < all.length; i++) {
      const e = all[(start + i) % all.length] as Endpoint;
      if (!tried.has(`${e.address}:${e.port}`)) return e;
    }
    return undefined;
  }

  /** The endpoint an affinity cookie names, if it is still ready. */
  byToken(service: ServiceRef, token: string): Endpoint | undefined {
    return this.resolve(service).find((e) => endpointToken(e) === token);
  }
}
