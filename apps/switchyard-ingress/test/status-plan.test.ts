import { describe, expect, it } from 'vitest';
import { computeState, type Snapshot } from '../src/controller-state.js';
import type { Gateway, GatewayHTTPRoute, RouteParentStatus } from '../src/gateway-types.js';
import { planStatusWrites, type StatusWrite } from '../src/status-plan.js';

const CONTROLLER = 'switchyard.dev/gateway-controller';
const CFG = {
  ingressController: 'switchyard.dev/ingress-controller',
  gatewayController: CONTROLLER,
  publicHttpPort: 80,
  publicHttpsPort: 443,
};

const otherParent: RouteParentStatus = {
  parentRef: { name: 'elsewhere' },
  controllerName: 'example.net/other',
  conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: '' }],
};

function world(): { snap: Snapshot; gw: Gateway; route: GatewayHTTPRoute } {
  const gw: Gateway = {
    metadata: { name: 'gw', namespace: 'infra', generation: 1 },
    spec: {
      gatewayClassName: 'switchyard',
      listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }],
    },
  };
  const route: GatewayHTTPRoute = {
    metadata: { name: 'r', namespace: 'infra', generation: 1 },
    spec: { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'svc', port: 80 }] }] },
    status: { parents: [otherParent] },
  };
  const snap: Snapshot = {
    ingressClasses: [
      { metadata: { name: 'switchyard' }, spec: { controller: CFG.ingressController } },
    ],
    ingresses: [
      {
        metadata: { name: 'ing', namespace: 'web' },
        spec: {
          ingressClassName: 'switchyard',
          defaultBackend: { service: { name: 'svc', port: { number: 80 } } },
        },
      },
    ],
    gatewayClasses: [
      { metadata: { name: 'switchyard', generation: 1 }, spec: { controllerName: CONTROLLER } },
    ],
    gateways: [gw],
    httpRoutes: [route],
    referenceGrants: [],
    namespaceLabels: () => undefined,
    serviceExists: () => true,
    secretState: () => 'ok',
  };
  return { snap, gw, route };
}

/** Applies the writes to the objects as the apiserver's merge patch of /status would. */
function apply(snap: Snapshot, writes: StatusWrite[]): Snapshot {
  const find = (w: StatusWrite): { status?: unknown } | undefined =>
    [...snap.ingresses, ...snap.gatewayClasses, ...snap.gateways, ...snap.httpRoutes].find(
      (o) =>
        o.metadata.name === w.name &&
        (o.metadata.namespace ?? undefined) === w.ref.namespace &&
        w.what.startsWith(kindOf(o)),
    ) as { status?: unknown } | undefined;
  for (const w of writes) {
    const o = find(w)!;
    o.status = { ...(o.status as object | undefined), ...w.status };
  }
  return snap;
}

function kindOf(o: object): string {
  const spec = (o as { spec: Record<string, unknown> }).spec;
  if ('controllerName' in spec) return 'GatewayClass';
  if ('listeners' in spec) return 'Gateway';
  if ('parentRefs' in spec) return 'HTTPRoute';
  return 'Ingress';
}

describe('planStatusWrites', () => {
  it('writes Ingress, GatewayClass, Gateway and HTTPRoute status once, then nothing', () => {
    const { snap } = world();
    const plan = (s: Snapshot, now: string): StatusWrite[] =>
      planStatusWrites(
        computeState(s, CFG),
        { httpRoutes: s.httpRoutes },
        ['172.18.0.2'],
        CONTROLLER,
        now,
      );
    const first = plan(snap, '2026-01-01T00:00:00Z');
    expect(first.map((w) => w.what).sort()).toEqual([
      'Gateway infra/gw',
      'GatewayClass switchyard',
      'HTTPRoute infra/r',
      'Ingress web/ing',
    ]);
    const ing = first.find((w) => w.what === 'Ingress web/ing')!;
    expect(ing.status).toEqual({ loadBalancer: { ingress: [{ ip: '172.18.0.2' }] } });
    expect(ing.ref).toMatchObject({
      group: 'networking.k8s.io',
      plural: 'ingresses',
      namespace: 'web',
    });
    const gwWrite = first.find((w) => w.what === 'Gateway infra/gw')!.status as Gateway['status'];
    expect(gwWrite!.addresses).toEqual([{ type: 'IPAddress', value: '172.18.0.2' }]);
    expect(gwWrite!.conditions!.map((c) => [c.type, c.status])).toEqual([
      ['Accepted', 'True'],
      ['Programmed', 'True'],
    ]);
    expect(gwWrite!.listeners![0]!.attachedRoutes).toBe(1);
    const parents = (
      first.find((w) => w.what === 'HTTPRoute infra/r')!.status as { parents: RouteParentStatus[] }
    ).parents;
    // Another controller's entry is kept; ours is added with a transition time.
    expect(parents[0]).toEqual(otherParent);
    expect(parents[1]!.controllerName).toBe(CONTROLLER);
    expect(parents[1]!.conditions[0]!.lastTransitionTime).toBe('2026-01-01T00:00:00Z');

    apply(snap, first);
    expect(plan(snap, '2026-01-01T00:01:00Z')).toEqual([]);
  });

  it('keeps lastTransitionTime when a condition keeps its status, and stamps a change', () => {
    const { snap, route } = world();
    apply(
      snap,
      planStatusWrites(
        computeState(snap, CFG),
        { httpRoutes: snap.httpRoutes },
        ['10.0.0.1'],
        CONTROLLER,
        'T0',
      ),
    );
    // The backend disappears: ResolvedRefs flips, Accepted does not.
    snap.serviceExists = () => false;
    const writes = planStatusWrites(
      computeState(snap, CFG),
      { httpRoutes: [route] },
      ['10.0.0.1'],
      CONTROLLER,
      'T1',
    );
    expect(writes.map((w) => w.what)).toEqual(['HTTPRoute infra/r']);
    const ours = (writes[0]!.status as { parents: RouteParentStatus[] }).parents[1]!;
    const byType = Object.fromEntries(ours.conditions.map((c) => [c.type, c]));
    expect(byType['Accepted']).toMatchObject({ status: 'True', lastTransitionTime: 'T0' });
    expect(byType['ResolvedRefs']).toMatchObject({
      status: 'False',
      reason: 'BackendNotFound',
      lastTransitionTime: 'T1',
    });
  });

  it('a new address rewrites Ingress and Gateway status; no address leaves the Gateway not Programmed', () => {
    const { snap } = world();
    apply(
      snap,
      planStatusWrites(
        computeState(snap, CFG),
        { httpRoutes: snap.httpRoutes },
        ['10.0.0.1'],
        CONTROLLER,
        'T0',
      ),
    );
    const moved = planStatusWrites(
      computeState(snap, CFG),
      { httpRoutes: snap.httpRoutes },
      ['10.0.0.2'],
      CONTROLLER,
      'T1',
    );
    expect(moved.map((w) => w.what).sort()).toEqual(['Gateway infra/gw', 'Ingress web/ing']);
    const none = planStatusWrites(
      computeState(snap, CFG),
      { httpRoutes: snap.httpRoutes },
      [],
      CONTROLLER,
      'T1',
    );
    const gw = none.find((w) => w.what === 'Gateway infra/gw')!.status as Gateway['status'];
    expect(gw!.conditions!.find((c) => c.type === 'Programmed')).toMatchObject({
      status: 'False',
      reason: 'AddressNotAssigned',
    });
  });
});
