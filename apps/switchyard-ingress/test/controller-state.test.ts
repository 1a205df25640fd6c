import type { Ingress, IngressClass } from '@switchyard/ingress';
import { describe, expect, it } from 'vitest';
import { computeState, type Snapshot } from '../src/controller-state.js';
import type {
  Gateway,
  GatewayHTTPRoute,
  Listener,
  ReferenceGrant,
  RouteParentStatus,
} from '../src/gateway-types.js';
import type { SecretState } from '../src/listener-check.js';

const CFG = {
  ingressController: 'switchyard.dev/ingress-controller',
  gatewayController: 'switchyard.dev/gateway-controller',
  publicHttpPort: 80,
  publicHttpsPort: 443,
};

const classes: IngressClass[] = [
  { metadata: { name: 'switchyard' }, spec: { controller: CFG.ingressController } },
  { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } },
];

function ingress(name: string, className?: string): Ingress {
  return {
    metadata: { name, namespace: 'web' },
    spec: {
      ...(className ? { ingressClassName: className } : {}),
      tls: [{ hosts: ['a.example'], secretName: `${name}-tls` }],
      rules: [
        {
          host: 'a.example',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'svc', port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  };
}

function gateway(listeners: Listener[], name = 'gw', className = 'switchyard'): Gateway {
  return {
    metadata: { name, namespace: 'infra', generation: 3 },
    spec: { gatewayClassName: className, listeners },
  };
}

function route(
  name: string,
  namespace: string,
  parentRefs: GatewayHTTPRoute['spec']['parentRefs'],
  extra: Partial<GatewayHTTPRoute['spec']> = {},
): GatewayHTTPRoute {
  return {
    metadata: { name, namespace, generation: 2 },
    spec: { parentRefs, rules: [{ backendRefs: [{ name: 'svc', port: 80 }] }], ...extra },
  };
}

function snapshot(over: Partial<Snapshot>): Snapshot {
  return {
    ingressClasses: classes,
    ingresses: [],
    gatewayClasses: [
      { metadata: { name: 'switchyard' }, spec: { controllerName: CFG.gatewayController } },
      { metadata: { name: 'other' }, spec: { controllerName: 'example.net/other' } },
    ],
    gateways: [],
    httpRoutes: [],
    referenceGrants: [],
    namespaceLabels: (ns) => ({
      'kubernetes.io/metadata.name': ns,
      ...(ns === 'team' ? { shared: 'yes' } : {}),
    }),
    serviceExists: (ref) => ref.name !== 'missing',
    secretState: (): SecretState => 'ok',
    ...over,
  };
}

const cond = (p: RouteParentStatus | undefined, type: string): [string, string] | undefined => {
  const c = p?.conditions.find((x) => x.type === type);
  return c ? [c.status, c.reason] : undefined;
};

const HTTP: Listener = { name: 'http', port: 80, protocol: 'HTTP' };

describe('Ingress ownership', () => {
  it('serves only Ingresses of our class (and class-less ones when our class is default)', () => {
    const ings = [ingress('mine', 'switchyard'), ingress('theirs', 'nginx'), ingress('none')];
    let s = computeState(snapshot({ ingresses: ings }), CFG);
    expect(s.ownedIngresses.map((i) => i.metadata.name)).toEqual(['mine']);
    expect(s.referencedSecrets).toEqual([{ namespace: 'web', name: 'mine-tls' }]);
    expect(s.certificates).toEqual([{ namespace: 'web', name: 'mine-tls', hosts: ['a.example'] }]);
    expect(s.http.size).toBe(1);
    expect(s.https.size).toBe(1);
    const defaulted = [
      {
        ...classes[0]!,
        metadata: {
          name: 'switchyard',
          annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' },
        },
      },
      classes[1]!,
    ];
    s = computeState(snapshot({ ingresses: ings, ingressClasses: defaulted }), CFG);
    expect(s.ownedIngresses.map((i) => i.metadata.name).sort()).toEqual(['mine', 'none']);
  });

  it('does not load a certificate whose Secret is missing, but still asks for it', () => {
    const s = computeState(
      snapshot({ ingresses: [ingress('mine', 'switchyard')], secretState: () => 'missing' }),
      CFG,
    );
    expect(s.certificates).toEqual([]);
    expect(s.referencedSecrets).toEqual([{ namespace: 'web', name: 'mine-tls' }]);
  });
});

describe('Gateway listeners', () => {
  it('accepts HTTP/HTTPS on the public ports and reports the spec reasons otherwise', () => {
    const gw = gateway([
      HTTP,
      {
        name: 'https',
        port: 443,
        protocol: 'HTTPS',
        hostname: 'secure.example',
        tls: { certificateRefs: [{ name: 'cert' }] },
      },
      { name: 'alt', port: 8080, protocol: 'HTTP' },
      { name: 'tcp', port: 9000, protocol: 'TCP' },
      {
        name: 'nocert',
        port: 443,
        protocol: 'HTTPS',
        hostname: 'x.example',
        tls: { certificateRefs: [{ name: 'gone' }] },
      },
      {
        name: 'foreign',
        port: 443,
        protocol: 'HTTPS',
        hostname: 'y.example',
        tls: { certificateRefs: [{ name: 'c', namespace: 'vault' }] },
      },
      {
        name: 'kinds',
        port: 80,
        protocol: 'HTTP',
        hostname: 'k.example',
        allowedRoutes: { kinds: [{ kind: 'TCPRoute' }] },
      },
    ]);
    const s = computeState(
      snapshot({
        gateways: [gw],
        secretState: (_ns, name) => (name === 'gone' ? 'missing' : 'ok'),
      }),
      CFG,
    );
    const ls = s.gateways[0]!.listeners;
    const get = (name: string, type: string): [string, string] => {
      const c = ls.find((l) => l.name === name)!.conditions.find((x) => x.type === type)!;
      return [c.status, c.reason];
    };
    expect(get('http', 'Programmed')).toEqual(['True', 'Programmed']);
    expect(get('https', 'ResolvedRefs')).toEqual(['True', 'ResolvedRefs']);
    expect(get('alt', 'Accepted')).toEqual(['False', 'PortUnavailable']);
    expect(get('tcp', 'Accepted')).toEqual(['False', 'UnsupportedProtocol']);
    expect(get('nocert', 'ResolvedRefs')).toEqual(['False', 'InvalidCertificateRef']);
    expect(get('nocert', 'Programmed')).toEqual(['False', 'Invalid']);
    expect(get('foreign', 'ResolvedRefs')).toEqual(['False', 'RefNotPermitted']);
    expect(get('kinds', 'ResolvedRefs')).toEqual(['False', 'InvalidRouteKinds']);
    expect(ls.find((l) => l.name === 'kinds')!.supportedKinds).toEqual([]);
    expect(ls[0]!.conditions[0]!.observedGeneration).toBe(3);
    expect(s.certificates).toEqual([
      { namespace: 'infra', name: 'cert', hosts: ['secure.example'] },
    ]);
    expect(s.referencedSecrets).toContainEqual({ namespace: 'infra', name: 'gone' });
    expect(s.referencedSecrets).not.toContainEqual({ namespace: 'vault', name: 'c' });
  });

  it('a ReferenceGrant lets a listener use a Secret in another namespace', () => {
    const grant: ReferenceGrant = {
      metadata: { name: 'g', namespace: 'vault' },
      spec: {
        from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra' }],
        to: [{ group: '', kind: 'Secret' }],
      },
    };
    const gw = gateway([
      {
        name: 'https',
        port: 443,
        protocol: 'HTTPS',
        tls: { certificateRefs: [{ name: 'c', namespace: 'vault' }] },
      },
    ]);
    const s = computeState(snapshot({ gateways: [gw], referenceGrants: [grant] }), CFG);
    expect(
      s.gateways[0]!.listeners[0]!.conditions.find((c) => c.type === 'Programmed')!.status,
    ).toBe('True');
    expect(s.certificates).toEqual([{ namespace: 'vault', name: 'c', hosts: undefined }]);
  });

  it('two listeners with one port and hostname are Conflicted', () => {
    const s = computeState(
      snapshot({ gateways: [gateway([HTTP, { ...HTTP, name: 'again' }])] }),
      CFG,
    );
    for (const l of s.gateways[0]!.listeners) {
      expect(l.conditions.find((c) => c.type === 'Conflicted')).toMatchObject({
        status: 'True',
        reason: 'HostnameConflict',
      });
    }
    expect(s.gateways[0]!.programmed).toBe(false);
  });
});

describe('HTTPRoute attachment and status', () => {
  const gw = gateway([
    { ...HTTP, hostname: '*.example.com' },
    {
      name: 'open',
      port: 80,
      protocol: 'HTTP',
      hostname: 'open.test',
      allowedRoutes: { namespaces: { from: 'All' } },
    },
    {
      name: 'selected',
      port: 80,
      protocol: 'HTTP',
      hostname: 'sel.test',
      allowedRoutes: {
        namespaces: { from: 'Selector', selector: { matchLabels: { shared: 'yes' } } },
      },
    },
  ]);
  const parent = (s: ReturnType<typeof computeState>, r: string): RouteParentStatus | undefined =>
    s.routeParents.get(r)?.[0];

  it('Accepted and ResolvedRefs for a same-namespace route; attachedRoutes counted', () => {
    const s = computeState(
      snapshot({
        gateways: [gw],
        httpRoutes: [
          route('r', 'infra', [{ name: 'gw', sectionName: 'http' }], {
            hostnames: ['a.example.com'],
          }),
        ],
      }),
      CFG,
    );
    const p = parent(s, 'infra/r');
    expect(cond(p, 'Accepted')).toEqual(['True', 'Accepted']);
    expect(cond(p, 'ResolvedRefs')).toEqual(['True', 'ResolvedRefs']);
    expect(p!.controllerName).toBe(CFG.gatewayController);
    expect(p!.conditions[0]!.observedGeneration).toBe(2);
    expect(s.gateways[0]!.listeners.map((l) => l.attachedRoutes)).toEqual([1, 0, 0]);
    expect(s.http.size).toBe(1);
    expect(s.https.size).toBe(0);
  });

  it('NotAllowedByListeners for another namespace under from: Same; All and Selector admit it', () => {
    const s = computeState(
      snapshot({
        gateways: [gw],
        httpRoutes: [
          route('same', 'team', [{ name: 'gw', namespace: 'infra', sectionName: 'http' }]),
          route('all', 'team', [{ name: 'gw', namespace: 'infra', sectionName: 'open' }]),
          route('sel', 'team', [{ name: 'gw', namespace: 'infra', sectionName: 'selected' }]),
          route('nosel', 'other', [{ name: 'gw', namespace: 'infra', sectionName: 'selected' }]),
        ],
      }),
      CFG,
    );
    expect(cond(parent(s, 'team/same'), 'Accepted')).toEqual(['False', 'NotAllowedByListeners']);
    expect(cond(parent(s, 'team/all'), 'Accepted')).toEqual(['True', 'Accepted']);
    expect(cond(parent(s, 'team/sel'), 'Accepted')).toEqual(['True', 'Accepted']);
    expect(cond(parent(s, 'other/nosel'), 'Accepted')).toEqual(['False', 'NotAllowedByListeners']);
  });

  it('NoMatchingListenerHostname, NoMatchingParent, and silence for Gateways that are not ours', () => {
    const theirs = gateway([HTTP], 'theirs', 'other');
    const s = computeState(
      snapshot({
        gateways: [gw, theirs],
        httpRoutes: [
          route('host', 'infra', [{ name: 'gw', sectionName: 'http' }], {
            hostnames: ['b.example.org'],
          }),
          route('section', 'infra', [{ name: 'gw', sectionName: 'nope' }]),
          route('foreign', 'infra', [{ name: 'theirs' }]),
        ],
      }),
      CFG,
    );
    expect(cond(parent(s, 'infra/host'), 'Accepted')).toEqual([
      'False',
      'NoMatchingListenerHostname',
    ]);
    expect(cond(parent(s, 'infra/section'), 'Accepted')).toEqual(['False', 'NoMatchingParent']);
    expect(s.routeParents.has('infra/foreign')).toBe(false);
  });

  it('BackendNotFound, RefNotPermitted, and a ReferenceGrant that resolves the reference', () => {
    const refs = (name: string, namespace?: string): GatewayHTTPRoute['spec'] => ({
      rules: [{ backendRefs: [{ name, port: 80, ...(namespace ? { namespace } : {}) }] }],
    });
    const routes = [
      route('missing', 'infra', [{ name: 'gw', sectionName: 'http' }], refs('missing')),
      route('cross', 'infra', [{ name: 'gw', sectionName: 'http' }], refs('svc', 'backends')),
    ];
    let s = computeState(snapshot({ gateways: [gw], httpRoutes: routes }), CFG);
    expect(cond(parent(s, 'infra/missing'), 'ResolvedRefs')).toEqual(['False', 'BackendNotFound']);
    expect(cond(parent(s, 'infra/missing'), 'Accepted')).toEqual(['True', 'Accepted']);
    expect(cond(parent(s, 'infra/cross'), 'ResolvedRefs')).toEqual(['False', 'RefNotPermitted']);
    const grant: ReferenceGrant = {
      metadata: { name: 'g', namespace: 'backends' },
      spec: {
        from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'infra' }],
        to: [{ group: '', kind: 'Service', name: 'svc' }],
      },
    };
    s = computeState(
      snapshot({ gateways: [gw], httpRoutes: routes, referenceGrants: [grant] }),
      CFG,
    );
    expect(cond(parent(s, 'infra/cross'), 'ResolvedRefs')).toEqual(['True', 'ResolvedRefs']);
  });
});

describe('bad input', () => {
  it('a rule that does not compile is left out and reported; the rest of the world still serves', () => {
    const gw = gateway([HTTP, { name: 'odd', port: 80, protocol: 'HTTP', hostname: 'not a host' }]);
    const s = computeState(
      snapshot({
        gateways: [gw],
        httpRoutes: [
          route('half', 'infra', [{ name: 'gw', sectionName: 'http' }], {
            rules: [
              {
                matches: [{ path: { type: 'RegularExpression', value: '/(' } }],
                backendRefs: [{ name: 'svc', port: 80 }],
              },
              { backendRefs: [{ name: 'svc', port: 80 }] },
            ],
          }),
          route('odd', 'infra', [{ name: 'gw', sectionName: 'odd' }]),
        ],
        ingresses: [ingress('mine', 'switchyard')],
      }),
      CFG,
    );
    const half = s.routeParents.get('infra/half')![0]!;
    expect(cond(half, 'Accepted')).toEqual(['True', 'Accepted']);
    expect(cond(half, 'PartiallyInvalid')).toEqual(['True', 'UnsupportedValue']);
    expect(cond(s.routeParents.get('infra/odd')![0], 'Accepted')).toEqual([
      'False',
      'UnsupportedValue',
    ]);
    // The Ingress route and the good rule are served.
    expect(s.http.size).toBe(2);
  });
});
