import type { HTTPRoute, Ingress, IngressClass } from './api-types.js';
import {
  compileHttpRoutes,
  type HttpRouteCompileOptions,
  type HttpRouteStatus,
  type ListenerInfo,
} from './compile-httproute.js';
import { compileIngresses, type IngressProblem } from './compile-ingress.js';
import { selectOwnedIngresses } from './ingress-class.js';
import { RouteTable } from './route-table.js';

/** Everything one proxy port serves, as the controller's informers hold it. */
export interface RouteSources {
  /** All Ingresses and IngressClasses seen; only those of `controller` are used. */
  ingress?: { ingresses: readonly Ingress[]; classes: readonly IngressClass[]; controller: string };
  /** HTTPRoutes already attached (parentRefs, allowedRoutes) to each listener on this port. */
  listeners?: readonly { listener: ListenerInfo; routes: readonly HTTPRoute[] }[];
  httpRouteOptions?: HttpRouteCompileOptions;
}

export interface BuiltRoutes {
  table: RouteTable;
  /** Per Ingress we own: warnings and rejections (for events/status). */
  ingressProblems: IngressProblem[];
  /** Per listener (same order as `listeners`), per route: the status to write. */
  routeStatuses: HttpRouteStatus[][];
}

/**
 * One call from informer state to a table: `router.swap(buildRouteTable(state).table)` on every
 * change. Nothing here keeps state, so a rebuild is always from scratch and never drifts.
 */
export function buildRouteTable(sources: RouteSources): BuiltRoutes {
  const owned = sources.ingress
    ? selectOwnedIngresses(
        sources.ingress.ingresses,
        sources.ingress.classes,
        sources.ingress.controller,
      )
    : [];
  const ing = compileIngresses(owned);
  const perListener = (sources.listeners ?? []).map((l) =>
    compileHttpRoutes(l.routes, l.listener, sources.httpRouteOptions),
  );
  return {
    table: new RouteTable([...ing.routes, ...perListener.flatMap((c) => c.routes)], ing.fallback),
    ingressProblems: ing.problems,
    routeStatuses: perListener.map((c) => c.statuses),
  };
}
