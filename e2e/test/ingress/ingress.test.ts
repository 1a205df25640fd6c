// switchyard-ingress in the testbed: the controller deployed from its own manifests unchanged
// (2 replicas, one per node, hostPort 80/443 handed to the Switchyard CNI as portMappings, as in
// kind), the Gateway API CRDs from manifests/crds, echo backends as pods, and real HTTP(S) sent
// from the other node's namespace to the first node's address. Most backends are pinned to the
// first node (nodeName), next to the replica answering; `echo-far` runs on the second node, so the
// cross-node cases go from a replica to a pod on the other node over the pod network's overlay
// (and back the other way, through the second node's replica to a first-node backend).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, CustomObjectsApi, NetworkingV1Api, type V1Pod } from '@kubernetes/client-node';
import { type Testbed, startTestbed } from '@switchyard/testbed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCert } from '../../../packages/ingress/test/certs.js';
import { eventually } from '../helpers.js';

const NAME = `ig${process.pid}`.slice(0, 12);
const UNDERLAY = '172.31.228.0/24';
const APP = fileURLToPath(new URL('../../../apps/switchyard-ingress/manifests/', import.meta.url));
const PROBE = fileURLToPath(new URL('./probe.mjs', import.meta.url));
const GW = { group: 'gateway.networking.k8s.io', version: 'v1' };

let tb: Testbed;
let core: CoreV1Api;
let custom: CustomObjectsApi;
/** The node the backends and the serving replica share, and the node the client runs in. */
let serving: { name: string; ip: string };
let client: string;
let controllers: V1Pod[];

interface Req {
  scheme?: 'http' | 'https';
  port?: number;
  host: string;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  servername?: string;
  repeat?: number;
}
interface Res {
  status?: number;
  location?: string;
  headers: Record<string, string>;
  body: { pod?: string; path?: string; headers?: Record<string, string[]> } | string;
  cn?: string;
  error?: string;
}

/** Sends the requests from the client node to `address` (the serving node's hostPort). */
async function probe(requests: Req[], address = serving.ip): Promise<Res[]> {
  const r = await tb.execInNode(client, [
    process.execPath,
    PROBE,
    'requests',
    JSON.stringify({ address, requests }),
  ]);
  if (r.exitCode !== 0) throw new Error(`probe: ${r.stderr}`);
  return JSON.parse(r.stdout) as Res[];
}

/** Which backend pod answered (or the status when no backend did). */
const who = (r: Res): string =>
  typeof r.body === 'object' && r.body.pod ? r.body.pod : String(r.status ?? r.error);

async function answers(requests: Req[], address?: string): Promise<string[]> {
  return (await probe(requests, address)).map(who);
}

/** A request and who must answer it: a backend pod, or the status when no backend does. */
type Case = [request: Req, answer: string];

/**
 * Waits until every case is answered as expected, all in one probe (the table follows the API in
 * ~0.1 s).
 */
async function expectAnswers(cases: Case[], address?: string): Promise<void> {
  const requests = cases.map(([request]) => request);
  const want = cases.map(([, answer]) => answer);
  let last: string[] = [];
  await eventually(
    `answers ${JSON.stringify(want)}${address ? ` at ${address}` : ''}`,
    async () => {
      last = await answers(requests, address);
      return JSON.stringify(last) === JSON.stringify(want) ? true : undefined;
    },
    30_000,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}; last answers ${JSON.stringify(last)}`);
  });
}

async function kubectl(args: string[], input?: string): Promise<string> {
  const r = await tb.kubectl(args, input === undefined ? {} : { input });
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const apply = (yaml: string): Promise<string> => kubectl(['apply', '-f', '-'], yaml);

function echoPod(name: string, namespace: string, node = serving.name): string {
  return `
apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: ${namespace}, labels: { app: ${name} } }
spec:
  nodeName: ${node}
  containers: [{ name: echo, image: switchyard/echo, ports: [{ containerPort: 8080 }] }]
---
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  selector: { app: ${name} }
  ports: [{ name: http, port: 80, targetPort: 8080 }]
`;
}

/** A Service on port 80 as an Ingress backend. */
const service = (name: string): string => `{ service: { name: ${name}, port: { number: 80 } } }`;

/** An Ingress in `web`; `body` is the YAML of its spec after `ingressClassName`. */
function ingress(name: string, body: string, className = 'switchyard'): string {
  return `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: ${name}, namespace: web }
spec:
  ingressClassName: ${className}
${body}`;
}

/** Ingress `rules:` sending every path of each host to its Service. */
function rulesTo(...hosts: [host: string, backend: string][]): string {
  const rule = ([host, backend]: [string, string]): string =>
    `    - { host: '${host}', http: { paths: [{ path: /, pathType: Prefix, backend: ${service(backend)} }] } }`;
  return `  rules:\n${hosts.map(rule).join('\n')}`;
}

interface RouteSpec {
  hostnames: string;
  /** YAML text after `rules:` (flow style, or block lines indented 4). */
  rules: string;
  /** The listener of the Gateway web/gw the route attaches to. */
  listener?: string;
  namespace?: string;
}

function httpRoute(
  name: string,
  { hostnames, rules, listener = 'http', namespace = 'web' }: RouteSpec,
): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  parentRefs: [{ name: gw, namespace: web, sectionName: ${listener} }]
  hostnames: [${hostnames}]
  rules:${rules}`;
}

/** HTTPRoute rules sending everything to one Service on port 80. */
const routeTo = (backend: string, namespace?: string): string =>
  ` [{ backendRefs: [{ name: ${backend}, ${namespace ? `namespace: ${namespace}, ` : ''}port: 80 }] }]`;

async function routeParent(
  namespace: string,
  name: string,
): Promise<Record<string, [string, string]>> {
  const r = (await custom.getNamespacedCustomObjectStatus({
    ...GW,
    namespace,
    plural: 'httproutes',
    name,
  })) as {
    status?: {
      parents?: {
        controllerName: string;
        conditions: { type: string; status: string; reason: string }[];
      }[];
    };
  };
  const ours = r.status?.parents?.find(
    (p) => p.controllerName === 'switchyard.dev/gateway-controller',
  );
  return Object.fromEntries((ours?.conditions ?? []).map((c) => [c.type, [c.status, c.reason]]));
}

async function expectRouteStatus(
  namespace: string,
  name: string,
  want: Record<string, [string, string]>,
): Promise<void> {
  await eventually(
    `HTTPRoute ${namespace}/${name} status ${JSON.stringify(want)}`,
    async () => {
      const have = await routeParent(namespace, name);
      return Object.entries(want).every(([k, v]) => JSON.stringify(have[k]) === JSON.stringify(v))
        ? true
        : undefined;
    },
    30_000,
  );
}

/** A TLS Secret holding a fresh self-signed certificate for `host`. */
async function tlsSecret(namespace: string, name: string, host: string): Promise<void> {
  const pair = await makeCert([host]);
  const base64 = (pem: string): string => Buffer.from(pem).toString('base64');
  await apply(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name, namespace },
      data: { 'tls.crt': base64(pair.cert), 'tls.key': base64(pair.key) },
    }),
  );
}

/** The spec of the Lease that elects the replica writing status. */
async function statusLease(): Promise<{ holderIdentity?: string }> {
  const out = await kubectl([
    'get',
    'lease',
    '-n',
    'switchyard-ingress',
    'switchyard-ingress-status',
    '-o',
    'json',
  ]);
  return (JSON.parse(out) as { spec?: { holderIdentity?: string } }).spec ?? {};
}

beforeAll(async () => {
  tb = await startTestbed({ name: NAME, nodes: 2, underlay: UNDERLAY });
  core = tb.kubeConfig.makeApiClient(CoreV1Api);
  custom = tb.kubeConfig.makeApiClient(CustomObjectsApi);
  serving = { name: tb.nodes[0]!.name, ip: tb.nodes[0]!.internalIP };
  client = tb.nodes[1]!.name;

  await kubectl(['apply', '-f', join(APP, 'crds')]);
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  await kubectl([
    'apply',
    '-f',
    join(APP, 'ingressclass.yaml'),
    '-f',
    join(APP, 'gatewayclass.yaml'),
  ]);
  // As applied in kind: pods with hostPort 80/443 (the testbed hands them to the Switchyard CNI
  // as portMappings).
  await kubectl(['apply', '-f', join(APP, 'switchyard-ingress.yaml')]);

  for (const ns of ['web', 'other', 'team'])
    await core.createNamespace({ body: { metadata: { name: ns } } });
  await apply(['echo-a', 'echo-b', 'echo-c'].map((n) => echoPod(n, 'web')).join('---'));
  await apply(echoPod('echo-d', 'other'));
  await apply(echoPod('echo-far', 'web', client));
  await tlsSecret('web', 'tls-a', 'tls-a.test');
  await tlsSecret('web', 'tls-b', 'tls-b.test');
  await tlsSecret('web', 'gw-cert', 'secure.gw.test');

  controllers = await eventually(
    'two ready switchyard-ingress replicas',
    async () => {
      const pods = await core.listNamespacedPod({
        namespace: 'switchyard-ingress',
        labelSelector: 'app.kubernetes.io/name=switchyard-ingress',
      });
      const ready = pods.items.filter((p) =>
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      return ready.length === 2 ? ready : undefined;
    },
    120_000,
  );
  await eventually(
    'echo backends ready',
    async () => {
      const pods = [
        ...(await core.listNamespacedPod({ namespace: 'web' })).items,
        ...(await core.listNamespacedPod({ namespace: 'other' })).items,
      ];
      return pods.length === 5 && pods.every((p) => p.status?.phase === 'Running')
        ? true
        : undefined;
    },
    60_000,
  );
}, 240_000);

afterAll(async () => {
  await tb?.down();
});

describe('deployment', () => {
  it('runs one replica per node with hostPort 80/443; one of them holds the status Lease', async () => {
    expect(controllers.map((p) => p.spec?.nodeName).sort()).toEqual(
      tb.nodes.map((n) => n.name).sort(),
    );
    for (const p of controllers) {
      expect(p.spec?.hostNetwork ?? false).toBe(false);
      expect(p.spec?.containers[0]?.ports?.map((x) => x.hostPort)).toEqual([80, 443, undefined]);
    }
    const lease = await eventually('status Lease held', async () => {
      const holder = (await statusLease()).holderIdentity;
      return holder ? holder : undefined;
    });
    expect(controllers.map((p) => p.metadata?.name)).toContain(lease);
  });
});

describe('Ingress', () => {
  beforeAll(async () => {
    await apply(
      [
        ingress(
          'paths',
          `  rules:
    - host: paths.test
      http:
        paths:
          - { path: /, pathType: Prefix, backend: ${service('echo-a')} }
          - { path: /aaa, pathType: Prefix, backend: { service: { name: echo-b, port: { name: http } } } }
          - { path: /aaa/bbb, pathType: Prefix, backend: ${service('echo-c')} }
          - { path: /foo, pathType: Exact, backend: ${service('echo-c')} }
          - { path: /foo, pathType: Prefix, backend: ${service('echo-b')} }`,
        ),
        ingress('wild', rulesTo(['*.wild.test', 'echo-b'])),
        ingress(
          'tls',
          `  tls:
    - { hosts: [tls-a.test], secretName: tls-a }
    - { hosts: [tls-b.test], secretName: tls-b }
${rulesTo(['tls-a.test', 'echo-a'], ['tls-b.test', 'echo-b'])}`,
        ),
        ingress('not-ours', rulesTo(['nginx.test', 'echo-a']), 'nginx'),
      ].join('\n---'),
    );
  });

  it('follows the Kubernetes path table (longest prefix, element-wise, Exact over Prefix)', async () => {
    const table: [path: string, answer: string][] = [
      ['/aaa/ccc', 'echo-b'],
      ['/aaa/bbb', 'echo-c'],
      ['/aaa/bbb/', 'echo-c'],
      ['/aaa/bbbxyz', 'echo-b'],
      ['/ccc', 'echo-a'],
      ['/', 'echo-a'],
      ['/foo', 'echo-c'],
      ['/foo/', 'echo-b'],
      ['/fo', 'echo-a'],
    ];
    await expectAnswers(table.map(([path, answer]) => [{ host: 'paths.test', path }, answer]));
  });

  it('matches *.wild.test for exactly one label; unknown hosts and other classes get 404', async () => {
    await expectAnswers([
      [{ host: 'x.wild.test' }, 'echo-b'],
      [{ host: 'y.wild.test' }, 'echo-b'],
      [{ host: 'a.b.wild.test' }, '404'],
      [{ host: 'wild.test' }, '404'],
      [{ host: 'nginx.test' }, '404'],
    ]);
  });

  it('serves each TLS host its own certificate by SNI and redirects plain HTTP to HTTPS', async () => {
    await eventually(
      'both certificates served',
      async () => {
        const r = await probe([
          { scheme: 'https', host: 'tls-a.test', servername: 'tls-a.test' },
          { scheme: 'https', host: 'tls-b.test', servername: 'tls-b.test' },
        ]);
        return r[0]?.cn === 'tls-a.test' && r[1]?.cn === 'tls-b.test' ? r : undefined;
      },
      60_000,
    ).then((r) => expect(r.map(who)).toEqual(['echo-a', 'echo-b']));
    const plain = await probe([{ host: 'tls-a.test', path: '/x?y=1' }]);
    expect(plain[0]!.status).toBe(308);
    expect(plain[0]!.location).toBe('https://tls-a.test/x?y=1');
  });

  it('serves a certificate whose Secret is created after the Ingress naming it', async () => {
    await apply(
      ingress(
        'late-tls',
        `  tls: [{ hosts: [tls-c.test], secretName: tls-c }]\n${rulesTo(['tls-c.test', 'echo-c'])}`,
      ),
    );
    await expectAnswers([[{ host: 'tls-c.test' }, '308']]);
    await tlsSecret('web', 'tls-c', 'tls-c.test');
    const r = await eventually(
      'the late certificate served',
      async () => {
        const [x] = await probe([
          { scheme: 'https', host: 'tls-c.test', servername: 'tls-c.test' },
        ]);
        return x?.cn === 'tls-c.test' ? x : undefined;
      },
      30_000,
    );
    expect(who(r)).toBe('echo-c');
  });

  it('sends unmatched requests to a defaultBackend while one exists', async () => {
    await apply(ingress('fallback', `  defaultBackend: ${service('echo-c')}`));
    await expectAnswers([
      [{ host: 'unknown.test' }, 'echo-c'],
      [{ host: 'paths.test', path: '/aaa' }, 'echo-b'],
    ]);
    await kubectl(['delete', 'ingress', '-n', 'web', 'fallback']);
    await expectAnswers([[{ host: 'unknown.test' }, '404']]);
  });

  it('proxies to backends on the other node than the replica serving the request', async () => {
    await apply(
      ingress(
        'far',
        `  rules:
    - host: far.test
      http:
        paths:
          - { path: /, pathType: Prefix, backend: ${service('echo-far')} }
          - { path: /near, pathType: Prefix, backend: ${service('echo-a')} }`,
      ),
    );
    // The first node's replica to echo-far on the second node, and the second node's replica to
    // echo-a on the first: both cross the overlay.
    const cases: Case[] = [
      [{ host: 'far.test' }, 'echo-far'],
      [{ host: 'far.test', path: '/near' }, 'echo-a'],
    ];
    await expectAnswers(cases);
    await expectAnswers(cases, tb.nodes[1]!.internalIP);
    // Keep-alive pools to a remote pod stay healthy over many requests.
    const many = await answers(Array(20).fill({ host: 'far.test' }));
    expect(many).toEqual(Array(20).fill('echo-far'));
  });

  it('writes status.loadBalancer with the leader node address, only on our Ingresses', async () => {
    const net = tb.kubeConfig.makeApiClient(NetworkingV1Api);
    const ips = tb.nodes.map((n) => n.internalIP);
    const ip = await eventually('Ingress status', async () => {
      const ing = await net.readNamespacedIngress({ namespace: 'web', name: 'paths' });
      return ing.status?.loadBalancer?.ingress?.[0]?.ip;
    });
    expect(ips).toContain(ip);
    const theirs = await net.readNamespacedIngress({ namespace: 'web', name: 'not-ours' });
    expect(theirs.status?.loadBalancer?.ingress ?? []).toEqual([]);
  });
});

describe('Gateway API', () => {
  beforeAll(async () => {
    await apply(
      [
        `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: web }
spec:
  gatewayClassName: switchyard
  listeners:
    - { name: http, port: 80, protocol: HTTP }
    - { name: inter, port: 80, protocol: HTTP, hostname: '*.inter.test' }
    - name: https
      port: 443
      protocol: HTTPS
      hostname: secure.gw.test
      tls: { mode: Terminate, certificateRefs: [{ name: gw-cert }] }`,
        httpRoute('matching', {
          hostnames: 'match.gw.test',
          rules: `
    - matches: [{ path: { type: PathPrefix, value: / } }, { headers: [{ name: version, value: one }] }]
      backendRefs: [{ name: echo-a, port: 80 }]
    - matches: [{ path: { type: PathPrefix, value: /v2 } }, { headers: [{ name: version, value: two }] }]
      backendRefs: [{ name: echo-b, port: 80 }]`,
        }),
        httpRoute('order', {
          hostnames: 'order.gw.test',
          rules: `
    - matches: [{ path: { type: PathPrefix, value: /match } }]
      backendRefs: [{ name: echo-a, port: 80 }]
    - matches: [{ path: { type: PathPrefix, value: /match/exact } }]
      backendRefs: [{ name: echo-b, port: 80 }]
    - matches: [{ path: { type: Exact, value: /match/exact/one } }]
      backendRefs: [{ name: echo-c, port: 80 }]
    - matches: [{ path: { type: PathPrefix, value: /match }, headers: [{ name: X-Pick, value: c }] }]
      backendRefs: [{ name: echo-c, port: 80 }]`,
        }),
        httpRoute('across-1', { hostnames: 'x.across.test', rules: routeTo('echo-a') }),
        httpRoute('across-2', {
          hostnames: "'*.across.test'",
          rules: `
    - matches: [{ path: { type: PathPrefix, value: /v2 } }]
      backendRefs: [{ name: echo-b, port: 80 }]`,
        }),
        httpRoute('inter', {
          hostnames: 'a.inter.test, other.test',
          rules: routeTo('echo-a'),
          listener: 'inter',
        }),
        httpRoute('inter-none', {
          hostnames: 'other.test',
          rules: routeTo('echo-a'),
          listener: 'inter',
        }),
        httpRoute('cross', { hostnames: 'cross.gw.test', rules: routeTo('echo-d', 'other') }),
        httpRoute('headers', {
          hostnames: 'headers.gw.test',
          rules: `
    - filters:
        - type: RequestHeaderModifier
          requestHeaderModifier:
            set: [{ name: X-Set, value: one }]
            add: [{ name: X-Add, value: two }]
            remove: [X-Remove]
      backendRefs: [{ name: echo-a, port: 80 }]`,
        }),
        httpRoute('redirect', {
          hostnames: 'redirect.gw.test',
          rules: `
    - filters: [{ type: RequestRedirect, requestRedirect: { hostname: example.org, statusCode: 301 } }]`,
        }),
        httpRoute('weights', {
          hostnames: 'weights.gw.test',
          rules: `
    - backendRefs:
        - { name: echo-a, port: 80, weight: 70 }
        - { name: echo-b, port: 80, weight: 30 }
        - { name: echo-c, port: 80, weight: 0 }`,
        }),
        httpRoute('missing', { hostnames: 'missing.gw.test', rules: routeTo('not-there') }),
        httpRoute('secure', {
          hostnames: 'secure.gw.test',
          rules: routeTo('echo-c'),
          listener: 'https',
        }),
        httpRoute('load', { hostnames: 'load.gw.test', rules: routeTo('echo-a') }),
        httpRoute('elsewhere', {
          hostnames: 'team.gw.test',
          rules: routeTo('echo-a', 'web'),
          namespace: 'team',
        }),
      ].join('\n---'),
    );
  });

  it('Gateway: addresses, Programmed, listener conditions and attached routes', async () => {
    const gw = await eventually('Gateway programmed', async () => {
      const g = (await custom.getNamespacedCustomObjectStatus({
        ...GW,
        namespace: 'web',
        plural: 'gateways',
        name: 'gw',
      })) as {
        status?: {
          addresses?: { value: string }[];
          conditions?: { type: string; status: string }[];
          listeners?: {
            name: string;
            attachedRoutes: number;
            conditions: { type: string; status: string }[];
          }[];
        };
      };
      const programmed =
        g.status?.conditions?.find((c) => c.type === 'Programmed')?.status === 'True';
      // 13 routes in web: 10 on http, inter on inter (inter-none attaches nowhere), secure on https.
      const http = g.status?.listeners?.find((l) => l.name === 'http')?.attachedRoutes;
      return programmed && http === 10 ? g.status : undefined;
    });
    expect(tb.nodes.map((n) => n.internalIP)).toContain(gw.addresses?.[0]?.value);
    expect(gw.listeners?.map((l) => [l.name, l.attachedRoutes])).toEqual([
      ['http', 10],
      ['inter', 1],
      ['https', 1],
    ]);
    for (const l of gw.listeners ?? [])
      expect(l.conditions.find((c) => c.type === 'Programmed')?.status).toBe('True');
    const gc = (await custom.getClusterCustomObjectStatus({
      ...GW,
      plural: 'gatewayclasses',
      name: 'switchyard',
    })) as {
      status?: { conditions?: { type: string; status: string }[] };
    };
    expect(gc.status?.conditions?.find((c) => c.type === 'Accepted')?.status).toBe('True');
  });

  it('HTTPRouteMatching / HeaderMatching: path prefixes and header matches choose the rule', async () => {
    await expectAnswers([
      [{ host: 'match.gw.test', path: '/' }, 'echo-a'],
      [{ host: 'match.gw.test', path: '/example' }, 'echo-a'],
      [{ host: 'match.gw.test', path: '/', headers: { version: 'one' } }, 'echo-a'],
      [{ host: 'match.gw.test', path: '/v2' }, 'echo-b'],
      [{ host: 'match.gw.test', path: '/v2/example' }, 'echo-b'],
      [{ host: 'match.gw.test', path: '/', headers: { Version: 'two' } }, 'echo-b'],
    ]);
  });

  it('HTTPRoutePathMatchOrder: Exact, then longest prefix, then header matches', async () => {
    await expectAnswers([
      [{ host: 'order.gw.test', path: '/match/exact/one' }, 'echo-c'],
      [{ host: 'order.gw.test', path: '/match/exact/two' }, 'echo-b'],
      [{ host: 'order.gw.test', path: '/match/x' }, 'echo-a'],
      [{ host: 'order.gw.test', path: '/match/x', headers: { 'X-Pick': 'c' } }, 'echo-c'],
      [{ host: 'order.gw.test', path: '/other' }, '404'],
    ]);
  });

  it('HTTPRouteMatchingAcrossRoutes: rules of every route covering the host compete', async () => {
    await expectAnswers([
      [{ host: 'x.across.test', path: '/' }, 'echo-a'],
      [{ host: 'x.across.test', path: '/v2' }, 'echo-b'],
      [{ host: 'y.across.test', path: '/v2' }, 'echo-b'],
      [{ host: 'y.across.test', path: '/' }, '404'],
    ]);
  });

  it('HTTPRouteHostnameIntersection: only hostnames the listener allows are served', async () => {
    await expectAnswers([
      [{ host: 'a.inter.test' }, 'echo-a'],
      [{ host: 'other.test' }, '404'],
    ]);
    await expectRouteStatus('web', 'inter', { Accepted: ['True', 'Accepted'] });
    await expectRouteStatus('web', 'inter-none', {
      Accepted: ['False', 'NoMatchingListenerHostname'],
    });
  });

  it('HTTPRouteReferenceGrant: a cross-namespace backend needs a grant (RefNotPermitted, 500 until then)', async () => {
    await expectRouteStatus('web', 'cross', {
      Accepted: ['True', 'Accepted'],
      ResolvedRefs: ['False', 'RefNotPermitted'],
    });
    expect(await answers([{ host: 'cross.gw.test' }])).toEqual(['500']);
    await apply(`
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: from-web, namespace: other }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: web }]
  to: [{ group: '', kind: Service, name: echo-d }]
`);
    await expectAnswers([[{ host: 'cross.gw.test' }, 'echo-d']]);
    await expectRouteStatus('web', 'cross', { ResolvedRefs: ['True', 'ResolvedRefs'] });
  });

  it('HTTPRouteCrossNamespace: a route from a namespace the listener does not allow is NotAllowedByListeners', async () => {
    await expectRouteStatus('team', 'elsewhere', { Accepted: ['False', 'NotAllowedByListeners'] });
    expect(await answers([{ host: 'team.gw.test' }])).toEqual(['404']);
  });

  it('HTTPRouteInvalidBackendRefNotFound: BackendNotFound, and 500 for its share', async () => {
    await expectRouteStatus('web', 'missing', { ResolvedRefs: ['False', 'BackendNotFound'] });
    expect(await answers([{ host: 'missing.gw.test' }])).toEqual(['500']);
  });

  it('HTTPRouteRequestHeaderModifier: set, add and remove reach the backend', async () => {
    const [r] = await probe([
      { host: 'headers.gw.test', headers: { 'X-Set': 'zero', 'X-Add': 'one', 'X-Remove': 'gone' } },
    ]);
    const h = (r!.body as { headers: Record<string, string[]> }).headers;
    expect(h['X-Set']).toEqual(['one']);
    expect(h['X-Add']?.join(',').replace(/\s/g, '')).toBe('one,two');
    expect(h['X-Remove']).toBeUndefined();
  });

  it('HTTPRouteRedirectHostAndStatus: 301 to the new host', async () => {
    const [r] = await probe([{ host: 'redirect.gw.test', path: '/some/path?q=1' }]);
    expect(r!.status).toBe(301);
    expect(r!.location).toBe('http://example.org/some/path?q=1');
  });

  it('HTTPRouteWeight: 70/30/0 within ±5% over 500 requests', async () => {
    const got = await answers([{ host: 'weights.gw.test', repeat: 500 }]);
    const count = (p: string): number => got.filter((g) => g === p).length;
    expect(got.length).toBe(500);
    expect(Math.abs(count('echo-a') - 350)).toBeLessThanOrEqual(25);
    expect(Math.abs(count('echo-b') - 150)).toBeLessThanOrEqual(25);
    expect(count('echo-c')).toBe(0);
  });

  it('HTTPS listener: terminates TLS with the certificateRef by SNI', async () => {
    const r = await eventually('https listener', async () => {
      const [x] = await probe([
        { scheme: 'https', host: 'secure.gw.test', servername: 'secure.gw.test' },
      ]);
      return x?.status === 200 ? x : undefined;
    });
    expect(r.cn).toBe('secure.gw.test');
    expect(who(r)).toBe('echo-c');
  });

  it('HTTPRoute to a backend on the other node than the serving replica', async () => {
    await apply(
      httpRoute('far', {
        hostnames: 'far.gw.test',
        rules: `
    - matches: [{ path: { type: PathPrefix, value: /near } }]
      backendRefs: [{ name: echo-a, port: 80 }]
    - backendRefs: [{ name: echo-far, port: 80 }]`,
      }),
    );
    await expectRouteStatus('web', 'far', {
      Accepted: ['True', 'Accepted'],
      ResolvedRefs: ['True', 'ResolvedRefs'],
    });
    const cases: Case[] = [
      [{ host: 'far.gw.test', path: '/x' }, 'echo-far'],
      [{ host: 'far.gw.test', path: '/near' }, 'echo-a'],
    ];
    await expectAnswers(cases);
    await expectAnswers(cases, tb.nodes[1]!.internalIP);
  });

  it('a route changed 10 times under load: no failed request, both backends answer', async () => {
    await expectAnswers([[{ host: 'load.gw.test' }, 'echo-a']]);
    const load = tb.execInNode(client, [
      process.execPath,
      PROBE,
      'load',
      JSON.stringify({
        address: serving.ip,
        host: 'load.gw.test',
        path: '/',
        durationMs: 6000,
        concurrency: 8,
      }),
    ]);
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 400));
      const backend = i % 2 === 0 ? 'echo-b' : 'echo-a';
      await kubectl([
        'patch',
        'httproute',
        '-n',
        'web',
        'load',
        '--type=json',
        '-p',
        JSON.stringify([
          { op: 'replace', path: '/spec/rules/0/backendRefs/0/name', value: backend },
        ]),
      ]);
    }
    const out = await load;
    const result = JSON.parse(out.stdout) as {
      ok: number;
      failed: number;
      pods: Record<string, number>;
      errors: unknown[];
    };
    console.log(`ingress e2e: load during route changes: ${JSON.stringify(result)}`);
    expect(result.failed).toBe(0);
    expect(result.ok).toBeGreaterThan(100);
    expect(Object.keys(result.pods).sort()).toEqual(['echo-a', 'echo-b']);
  });

  it('counts requests per route and status code on /metrics', async () => {
    const pod = controllers.find((p) => p.spec?.nodeName === serving.name)!;
    const r = await tb.execInPod('switchyard-ingress', pod.metadata!.name!, [
      'curl',
      '-s',
      '--max-time',
      '5',
      'http://127.0.0.1:10254/metrics',
    ]);
    const m = { body: r.stdout };
    const text = m.body;
    const line = text
      .split('\n')
      .find(
        (l) =>
          l.startsWith('switchyard_ingress_requests_total{') &&
          l.includes('route="HTTPRoute web/weights"') &&
          l.includes('code="200"'),
      );
    expect(Number(line?.split(' ').pop())).toBeGreaterThanOrEqual(500);
    expect(text).toMatch(
      /switchyard_ingress_requests_total\{[^}]*route="HTTPRoute web\/missing"[^}]*code="500"/,
    );
  });
});

describe('leader election', () => {
  it('when the status writer goes away, another replica takes the Lease and writes status with its address', async () => {
    const leader = (await statusLease()).holderIdentity!;
    expect(controllers.map((p) => p.metadata?.name)).toContain(leader);
    const deleted = Date.now();
    await kubectl(['delete', 'pod', '-n', 'switchyard-ingress', leader, '--wait=false']);
    // The survivor normally wins (the Lease is released on SIGTERM after the 5 s shutdown delay);
    // the Deployment's replacement pod may win the race when the survivor's retry comes late.
    const holder = await eventually('a new Lease holder', async () => {
      const h = (await statusLease()).holderIdentity;
      return h && h !== leader ? h : undefined;
    }).catch(async (e: unknown) => {
      const pods = await kubectl(['get', 'pods', '-n', 'switchyard-ingress', '-o', 'wide']);
      console.log(`ingress e2e: Lease ${JSON.stringify(await statusLease())}\n${pods}`);
      throw e;
    });
    const pod = await core.readNamespacedPod({ namespace: 'switchyard-ingress', name: holder });
    console.log(
      `ingress e2e: Lease moved from ${leader} to ${holder} (${holder === controllers.find((p) => p.metadata?.name !== leader)?.metadata?.name ? 'the survivor' : 'the replacement'}) ${Date.now() - deleted} ms after the delete`,
    );
    const net = tb.kubeConfig.makeApiClient(NetworkingV1Api);
    await apply(ingress('after-failover', '  rules: [{ host: late.test }]'));
    for (const name of ['after-failover', 'paths']) {
      await eventually(`${name} status from the new leader`, async () => {
        const ing = await net.readNamespacedIngress({ namespace: 'web', name });
        return ing.status?.loadBalancer?.ingress?.[0]?.ip === pod.status!.hostIP ? true : undefined;
      });
    }
  });
});
