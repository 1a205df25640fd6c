import {
  RouteTable,
  compileHttpRoutes,
  compileIngresses,
  selectOwnedIngresses,
  type HTTPRoute,
  type HttpRouteStatus,
  type Ingress,
  type IngressClass,
  type IngressProblem,
  type Route,
  type ServiceRef,
} from '@switchyard/ingress';
import { condition } from './conditions.js';
import {
  GATEWAY_GROUP,
  type Gateway,
  type GatewayClass,
  type GatewayHTTPRoute,
  type ListenerStatus,
  type ParentReference,
  type ReferenceGrant,
  type RouteParentStatus,
} from './gateway-types.js';
import { checkListeners, type CheckedListener, type SecretState } from './listener-check.js';
import { referencePermitted } from './reference-grants.js';

/** Everything the informers hold, as plain objects. */
export interface Snapshot {
  ingressClasses: readonly IngressClass[];
  ingresses: readonly Ingress[];
  gatewayClasses: readonly GatewayClass[];
  gateways: readonly Gateway[];
  httpRoutes: readonly GatewayHTTPRoute[];
  referenceGrants: readonly ReferenceGrant[];
  namespaceLabels: (namespace: string) => Record<string, string> | undefined;
  serviceExists: (ref: ServiceRef) => boolean;
  secretState: (namespace: string, name: string) => SecretState;
}

export interface StateConfig {
  ingressController: string;
  gatewayController: string;
  publicHttpPort: number;
  publicHttpsPort: number;
}

export interface GatewayState {
  gateway: Gateway;
  listeners: ListenerStatus[];
  /** Some listener is programmed. */
  programmed: boolean;
}

export interface SecretUse {
  namespace: string;
  name: string;
  /** Hostnames it serves; undefined: the names in the certificate. */
  hosts: string[] | undefined;
}

/** What one rebuild produces: the two tables to swap in, the status to write, Secrets to load. */
export interface ControllerState {
  http: RouteTable;
  https: RouteTable;
  ownedIngresses: Ingress[];
  ingressProblems: IngressProblem[];
  ownedGatewayClasses: GatewayClass[];
  gateways: GatewayState[];
  /** Per route `ns/name`: our entries of `status.parents` (other controllers' are kept). */
  routeParents: Map<string, RouteParentStatus[]>;
  /** Secrets in use (TLS hosts), and every Secret a permitted reference names (to read). */
  certificates: SecretUse[];
  referencedSecrets: { namespace: string; name: string }[];
}

const key = (m: { namespace?: string; name: string }): string =>
  `${m.namespace ?? 'default'}/${m.name}`;

interface Attached {
  checked: CheckedListener;
  gatewayKey: string;
  routes: GatewayHTTPRoute[];
  compiled?: { routes: Route[]; statuses: HttpRouteStatus[] };
}

/**
 * From informer state to route tables and status, with no I/O: Ingresses of our classes go to
 * both servers; HTTPRoutes attach to the listeners of our Gateways their parentRefs name and
 * whose allowedRoutes admit them, and are compiled per listener (hostname intersection); each
 * (route, parentRef) gets Accepted and ResolvedRefs with the spec's reasons.
 */
export function computeState(snap: Snapshot, cfg: StateConfig): ControllerState {
  const ownedIngresses = selectOwnedIngresses(
    snap.ingresses,
    snap.ingressClasses,
    cfg.ingressController,
  );
  const ing = compileIngresses(ownedIngresses);
  const certificates: SecretUse[] = [];
  const referencedSecrets: { namespace: string; name: string }[] = [];
  const rejected = new Set(ing.problems.filter((p) => p.rejected).map((p) => p.ingress));
  for (const i of ownedIngresses) {
    if (rejected.has(key(i.metadata))) continue;
    for (const t of i.spec.tls ?? []) {
      if (!t.secretName) continue;
      const namespace = i.metadata.namespace ?? 'default';
      referencedSecrets.push({ namespace, name: t.secretName });
      if (snap.secretState(namespace, t.secretName) === 'ok')
        certificates.push({ namespace, name: t.secretName, hosts: t.hosts });
    }
  }

  const ownedGatewayClasses = snap.gatewayClasses.filter(
    (c) => c.spec.controllerName === cfg.gatewayController,
  );
  const classNames = new Set(ownedGatewayClasses.map((c) => c.metadata.name));
  const gateways = snap.gateways.filter((g) => classNames.has(g.spec.gatewayClassName));
  const byGateway = new Map<string, { gateway: Gateway; listeners: Attached[] }>();
  for (const gateway of gateways) {
    const checked = checkListeners(gateway, {
      publicHttpPort: cfg.publicHttpPort,
      publicHttpsPort: cfg.publicHttpsPort,
      grants: snap.referenceGrants,
      secretState: snap.secretState,
    });
    const gk = key(gateway.metadata);
    byGateway.set(gk, {
      gateway,
      listeners: checked.map((c) => ({ checked: c, gatewayKey: gk, routes: [] })),
    });
    for (const c of checked) {
      referencedSecrets.push(...c.referencedSecrets);
      for (const s of c.certificates)
        certificates.push({
          ...s,
          hosts: c.listener.hostname === undefined ? undefined : [c.listener.hostname],
        });
    }
  }

  // Attach: which listeners each (route, parentRef) lands on, or why none.
  const pending: { route: GatewayHTTPRoute; ref: ParentReference; on: Attached[] }[] = [];
  const routeParents = new Map<string, RouteParentStatus[]>();
  const pushParent = (route: GatewayHTTPRoute, s: RouteParentStatus): void => {
    const k = key(route.metadata);
    routeParents.set(k, [...(routeParents.get(k) ?? []), s]);
  };
  for (const route of snap.httpRoutes) {
    const routeNs = route.metadata.namespace ?? 'default';
    const gen = route.metadata.generation;
    for (const ref of route.spec.parentRefs ?? []) {
      if ((ref.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP || (ref.kind ?? 'Gateway') !== 'Gateway')
        continue;
      const gw = byGateway.get(`${ref.namespace ?? routeNs}/${ref.name}`);
      if (!gw) continue; // not ours (or not there): not ours to report on
      const parent = (accepted: [boolean, string, string]): RouteParentStatus => ({
        parentRef: ref,
        controllerName: cfg.gatewayController,
        conditions: [
          condition('Accepted', ...accepted, gen),
          condition('ResolvedRefs', true, 'ResolvedRefs', 'references resolved', gen),
        ],
      });
      const named = gw.listeners.filter(
        (a) =>
          (ref.sectionName === undefined || a.checked.listener.name === ref.sectionName) &&
          (ref.port === undefined || a.checked.listener.port === ref.port),
      );
      if (named.length === 0) {
        pushParent(route, parent([false, 'NoMatchingParent', 'no listener matches the parentRef']));
        continue;
      }
      const allowed = named.filter(
        (a) =>
          a.checked.allowsHttpRoute &&
          namespaceAllowed(a, gw.gateway, routeNs, snap.namespaceLabels),
      );
      const live = allowed.filter((a) => a.checked.server !== undefined);
      if (live.length === 0) {
        const why =
          allowed.length === 0
            ? 'the listeners do not allow this route (allowedRoutes)'
            : 'the allowed listeners are not programmed';
        pushParent(route, parent([false, 'NotAllowedByListeners', why]));
        continue;
      }
      for (const a of live) if (!a.routes.includes(route)) a.routes.push(route);
      pending.push({ route, ref, on: live });
    }
  }

  // Compile per listener; a route's parent status merges its listeners' verdicts.
  const options = {
    serviceExists: snap.serviceExists,
    referencePermitted: (fromNamespace: string, to: ServiceRef): boolean =>
      referencePermitted(
        snap.referenceGrants,
        { group: GATEWAY_GROUP, kind: 'HTTPRoute', namespace: fromNamespace },
        { group: '', kind: 'Service', namespace: to.namespace, name: to.name },
      ),
  };
  const http: Route[] = [...ing.routes];
  const https: Route[] = [...ing.routes];
  for (const { listeners } of byGateway.values()) {
    for (const a of listeners) {
      if (a.routes.length === 0 || !a.checked.server) continue;
      const hostname = a.checked.listener.hostname;
      a.compiled = compileHttpRoutes(
        a.routes as unknown as HTTPRoute[],
        hostname === undefined ? {} : { hostname },
        options,
      );
      (a.checked.server === 'http' ? http : https).push(...a.compiled.routes);
    }
  }
  for (const { route, ref, on } of pending) {
    const gen = route.metadata.generation;
    const verdicts = on.map((a) => a.compiled!.statuses[a.routes.indexOf(route)]!);
    const ok = verdicts.find((v) => v.accepted);
    const v = ok ?? verdicts[0]!;
    const message = v.messages.join('; ');
    pushParent(route, {
      parentRef: ref,
      controllerName: cfg.gatewayController,
      conditions: [
        ok
          ? condition('Accepted', true, 'Accepted', 'route accepted', gen)
          : condition('Accepted', false, v.reason, message || v.reason, gen),
        condition('ResolvedRefs', v.resolvedRefs, v.refsReason, message || v.refsReason, gen),
        ...(v.partiallyInvalid
          ? [condition('PartiallyInvalid', true, 'UnsupportedValue', message, gen)]
          : []),
      ],
    });
  }

  const gatewayStates: GatewayState[] = [...byGateway.values()].map(({ gateway, listeners }) => ({
    gateway,
    programmed: listeners.some((a) => a.checked.server !== undefined),
    listeners: listeners.map((a) => ({
      name: a.checked.listener.name,
      supportedKinds: a.checked.supportedKinds,
      attachedRoutes: a.compiled ? a.compiled.statuses.filter((s) => s.accepted).length : 0,
      conditions: a.checked.conditions,
    })),
  }));

  return {
    http: new RouteTable(http, ing.fallback),
    https: new RouteTable(https, ing.fallback),
    ownedIngresses,
    ingressProblems: ing.problems,
    ownedGatewayClasses,
    gateways: gatewayStates,
    routeParents,
    certificates,
    referencedSecrets,
  };
}

/** allowedRoutes.namespaces: Same (default), All, or Selector (matchLabels). */
function namespaceAllowed(
  a: Attached,
  gateway: Gateway,
  routeNs: string,
  labelsOf: (ns: string) => Record<string, string> | undefined,
): boolean {
  const from = a.checked.listener.allowedRoutes?.namespaces?.from ?? 'Same';
  if (from === 'All') return true;
  if (from === 'Same') return routeNs === (gateway.metadata.namespace ?? 'default');
  if (from === 'Selector') {
    const sel = a.checked.listener.allowedRoutes?.namespaces?.selector;
    // matchExpressions are not evaluated: such a selector admits nothing rather than too much.
    if (!sel || (sel.matchExpressions?.length ?? 0) > 0) return false;
    const labels = labelsOf(routeNs) ?? {};
    return Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  }
  return false;
}
