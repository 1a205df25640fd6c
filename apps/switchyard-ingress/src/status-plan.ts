import { isIP } from 'node:net';
import type { ResourceRef } from '@switchyard/kube';
import { condition, sameConditions, stampConditions } from './conditions.js';
import type { ControllerState } from './controller-state.js';
import {
  GATEWAY_GROUP,
  type GatewayHTTPRoute,
  type ListenerStatus,
  type RouteParentStatus,
} from './gateway-types.js';

/** One `/status` merge patch to send. */
export interface StatusWrite {
  ref: ResourceRef;
  name: string;
  /** For logs: `Kind ns/name`. */
  what: string;
  status: Record<string, unknown>;
}

interface IngressWithStatus {
  metadata: { name: string; namespace?: string };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

const INGRESSES = { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses' };
const GATEWAY_CLASSES = { group: GATEWAY_GROUP, version: 'v1', plural: 'gatewayclasses' };
const GATEWAYS = { group: GATEWAY_GROUP, version: 'v1', plural: 'gateways' };
const HTTP_ROUTES = { group: GATEWAY_GROUP, version: 'v1', plural: 'httproutes' };

/**
 * The status writes that bring the API in line with `state`, skipping objects whose status
 * already says the same (so a steady state writes nothing and no write loop starts):
 * Ingress `loadBalancer.ingress`, GatewayClass Accepted, Gateway addresses/conditions/listeners,
 * and our entries of HTTPRoute `status.parents` (other controllers' entries are kept).
 */
export function planStatusWrites(
  state: ControllerState,
  current: { httpRoutes: readonly GatewayHTTPRoute[] },
  addresses: readonly string[],
  controllerName: string,
  now: string,
): StatusWrite[] {
  const writes: StatusWrite[] = [];
  const lb = addresses.map((a) => (isIP(a) ? { ip: a } : { hostname: a }));
  for (const ing of state.ownedIngresses as IngressWithStatus[]) {
    const have = ing.status?.loadBalancer?.ingress ?? [];
    if (JSON.stringify(have) === JSON.stringify(lb)) continue;
    const namespace = ing.metadata.namespace ?? 'default';
    writes.push({
      ref: { ...INGRESSES, namespace },
      name: ing.metadata.name,
      what: `Ingress ${namespace}/${ing.metadata.name}`,
      status: { loadBalancer: { ingress: lb } },
    });
  }

  for (const gc of state.ownedGatewayClasses) {
    const want = [
      condition(
        'Accepted',
        true,
        'Accepted',
        'handled by switchyard-ingress',
        gc.metadata.generation,
      ),
    ];
    if (sameConditions(want, gc.status?.conditions)) continue;
    writes.push({
      ref: GATEWAY_CLASSES,
      name: gc.metadata.name,
      what: `GatewayClass ${gc.metadata.name}`,
      status: { conditions: stampConditions(want, gc.status?.conditions, now) },
    });
  }

  for (const gs of state.gateways) {
    const g = gs.gateway;
    const gen = g.metadata.generation;
    const gwAddresses = addresses.map((a) => ({
      type: isIP(a) ? 'IPAddress' : 'Hostname',
      value: a,
    }));
    const conditions = [
      condition('Accepted', true, 'Accepted', 'gateway accepted', gen),
      addresses.length === 0
        ? condition('Programmed', false, 'AddressNotAssigned', 'no address to publish', gen)
        : gs.programmed
          ? condition('Programmed', true, 'Programmed', 'gateway programmed', gen)
          : condition('Programmed', false, 'Invalid', 'no listener is programmed', gen),
    ];
    if (
      JSON.stringify(g.status?.addresses ?? []) === JSON.stringify(gwAddresses) &&
      sameConditions(conditions, g.status?.conditions) &&
      sameListeners(gs.listeners, g.status?.listeners)
    )
      continue;
    const namespace = g.metadata.namespace ?? 'default';
    writes.push({
      ref: { ...GATEWAYS, namespace },
      name: g.metadata.name,
      what: `Gateway ${namespace}/${g.metadata.name}`,
      status: {
        addresses: gwAddresses,
        conditions: stampConditions(conditions, g.status?.conditions, now),
        listeners: gs.listeners.map((l) => ({
          ...l,
          conditions: stampConditions(
            l.conditions,
            g.status?.listeners?.find((o) => o.name === l.name)?.conditions,
            now,
          ),
        })),
      },
    });
  }

  for (const route of current.httpRoutes) {
    const namespace = route.metadata.namespace ?? 'default';
    const ours = state.routeParents.get(`${namespace}/${route.metadata.name}`) ?? [];
    const have = route.status?.parents ?? [];
    const mine = have.filter((p) => p.controllerName === controllerName);
    if (ours.length === 0 && mine.length === 0) continue;
    if (sameParents(ours, mine)) continue;
    const others = have.filter((p) => p.controllerName !== controllerName);
    const stamped = ours.map((p) => ({
      ...p,
      conditions: stampConditions(p.conditions, mine.find((m) => sameRef(m, p))?.conditions, now),
    }));
    writes.push({
      ref: { ...HTTP_ROUTES, namespace },
      name: route.metadata.name,
      what: `HTTPRoute ${namespace}/${route.metadata.name}`,
      status: { parents: [...others, ...stamped] },
    });
  }
  return writes;
}

function sameListeners(
  a: readonly ListenerStatus[],
  b: readonly ListenerStatus[] | undefined,
): boolean {
  if (!b || a.length !== b.length) return false;
  return a.every((l, i) => {
    const o = b[i]!;
    return (
      l.name === o.name &&
      l.attachedRoutes === o.attachedRoutes &&
      JSON.stringify(l.supportedKinds) === JSON.stringify(o.supportedKinds) &&
      sameConditions(l.conditions, o.conditions)
    );
  });
}

function refKey(p: RouteParentStatus): string {
  const r = p.parentRef;
  return JSON.stringify([
    r.group ?? GATEWAY_GROUP,
    r.kind ?? 'Gateway',
    r.namespace ?? '',
    r.name,
    r.sectionName ?? '',
    r.port ?? 0,
  ]);
}

function sameRef(a: RouteParentStatus, b: RouteParentStatus): boolean {
  return refKey(a) === refKey(b);
}

function sameParents(a: readonly RouteParentStatus[], b: readonly RouteParentStatus[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((p) => {
    const o = b.find((x) => sameRef(x, p));
    return o !== undefined && sameConditions(p.conditions, o.conditions);
  });
}
