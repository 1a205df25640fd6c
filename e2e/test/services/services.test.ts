// "[sig-network] Services" against switchyard-proxy in the testbed: the distribution's manifest
// (ServiceAccount, ClusterRole, binding, hostNetwork DaemonSet running the switchyard/switchyard
// image's `switchyard-proxy`) on a real control plane with two nodes. Clients and servers share
// node-1: the testbed's reference bridge has no overlay, so pods on different nodes cannot talk
// yet; node-2 only holds endpoints that must NOT be used (internalTrafficPolicy Local) and a
// NodePort that must drop outside traffic (externalTrafficPolicy Local without a local endpoint).
import { CoreV1Api, DiscoveryV1Api, type V1Pod, type V1Service } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { type Testbed, startTestbed } from '@switchyard/testbed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, podReady } from '../helpers.js';
import {
  PROBE,
  echoPod,
  installProxy,
  probeFromLab,
  probeFromPod,
  proxyPodsReady,
  service,
  toolboxPod,
} from './cluster.js';

const NAME = `svc${process.pid}`.slice(0, 12);
const UNDERLAY = '172.31.230.0/24';

let tb: Testbed;
let core: CoreV1Api;
let node1: string;
let node2: string;
let node1IP: string;
let node2IP: string;

beforeAll(async () => {
  // Pinned to the reference bridge this suite was written against: on the host's br_netfilter a
  // pod reaching itself through its Service is bridged back out of its own port, which needs the
  // port's hairpin mode; the reference bridge sets it (hairpinMode), switchyard-cni does not yet.
  tb = await startTestbed({ name: NAME, nodes: 2, underlay: UNDERLAY, cni: 'reference-bridge' });
  core = tb.kubeConfig.makeApiClient(CoreV1Api);
  [node1, node2] = tb.nodes.map((n) => n.name) as [string, string];
  [node1IP, node2IP] = tb.nodes.map((n) => n.internalIP) as [string, string];
  // Real nodes route every destination somewhere (a default route); the testbed's nodes have
  // none. Without a route the kernel drops a packet to a ClusterIP before the forward hook, where
  // a service without endpoints is REJECTed (as in kube-proxy), so give the service range one.
  for (const n of tb.nodes) {
    const r = await tb.execInNode(n.name, [
      'ip',
      'route',
      'add',
      tb.options.serviceCidr,
      'via',
      tb.options.labIP,
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
  }
  // A short sync period so a hand-flushed table comes back within seconds.
  await installProxy(tb, ['--sync-period=2s']);
  const pods = [
    toolboxPod('client', node1),
    ...[1, 2, 3].map((i) =>
      echoPod(
        `web-${i}`,
        node1,
        { app: 'web', ...(i === 1 ? { hairpin: 'yes' } : {}) },
        { ports: [8080, 9090] },
      ),
    ),
  ];
  await Promise.all(pods.map((body) => core.createNamespacedPod({ namespace: 'default', body })));
  await Promise.all(pods.map((p) => podReady(tb.kubeConfig, 'default', p.metadata!.name!)));
});

afterAll(async () => {
  await tb?.down();
});

async function createService(svc: V1Service): Promise<V1Service> {
  return core.createNamespacedService({ namespace: 'default', body: svc });
}

async function createPods(...pods: V1Pod[]): Promise<void> {
  await Promise.all(pods.map((body) => core.createNamespacedPod({ namespace: 'default', body })));
}

/** `count` HTTP requests from the client pod, each on its own connection. */
function http(url: string, count = 1, from = 'client'): Promise<string[]> {
  return probeFromPod(tb, from, ['http', url, String(count)]);
}

/** Retries `fn` until `ok` holds for its result (rules follow API changes within a sync or two). */
function until<T>(
  what: string,
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  return eventually(
    what,
    async () => {
      const v = await fn();
      return ok(v) ? v : undefined;
    },
    timeoutMs,
  );
}

const WEB = new Set(['web-1', 'web-2', 'web-3']);

describe('[sig-network] Services on switchyard-proxy', () => {
  it('programs the kubernetes Service: pods reach the apiserver at the first service address', async () => {
    const ip = tb.options.kubernetesServiceIP;
    const r = await until(
      'apiserver /version through the kubernetes Service',
      () =>
        tb.execInPod('default', 'client', [
          'curl',
          '-sk',
          '--max-time',
          '3',
          `https://${ip}/version`,
        ]),
      (r) => r.exitCode === 0,
    );
    expect(JSON.parse(r.stdout)).toHaveProperty('gitVersion');
  });

  it('serves a basic endpoint from pods (ClusterIP spreads over every ready endpoint)', async () => {
    const svc = await createService(service('web', { app: 'web' }));
    const seen = await until(
      'answers from at least two endpoints',
      () => http(`http://${svc.spec!.clusterIP}/hostname`, 15),
      (r) => r.every((h) => WEB.has(h)) && new Set(r).size >= 2,
    );
    expect(seen).toHaveLength(15);
  });

  it('serves multiport endpoints', async () => {
    const svc = await createService(
      service(
        'multi',
        { app: 'web' },
        {
          ports: [
            { name: 'http', port: 80, targetPort: 8080 },
            { name: 'alt', port: 81, targetPort: 9090 },
          ],
        },
      ),
    );
    const ip = svc.spec!.clusterIP!;
    for (const port of [80, 81]) {
      const r = await until(
        `port ${port}`,
        () => http(`http://${ip}:${port}/hostname`, 3),
        (r) => r.every((h) => WEB.has(h)),
      );
      expect(r).toHaveLength(3);
    }
  });

  it('has a functioning NodePort reachable from outside the cluster (masqueraded)', async () => {
    const svc = await createService(service('web-np', { app: 'web' }, { type: 'NodePort' }));
    const port = svc.spec!.ports![0]!.nodePort!;
    const [host] = await until(
      'NodePort from the lab',
      () => probeFromLab(tb, ['http', `http://${node1IP}:${port}/hostname`]),
      (r) => WEB.has(r[0]!),
    );
    expect(WEB.has(host!)).toBe(true);
    const [client] = await probeFromLab(tb, ['http', `http://${node1IP}:${port}/clientip`]);
    // externalTrafficPolicy Cluster: the endpoint sees the node, not the lab.
    expect(client!.split(':')[0]).not.toBe(tb.options.labIP);
  });

  it('keeps session affinity (ClientIP) and follows switching it off and on', async () => {
    const svc = await createService(
      service('web-aff', { app: 'web' }, { sessionAffinity: 'ClientIP' }),
    );
    const url = `http://${svc.spec!.clusterIP}/hostname`;
    const sticky = await until(
      'sticky answers',
      () => http(url, 12),
      (r) => r.length === 12 && r.every((h) => WEB.has(h)),
    );
    expect(new Set(sticky).size).toBe(1);
    const patch = async (sessionAffinity: string): Promise<void> => {
      const body = JSON.stringify({ spec: { sessionAffinity } });
      const r = await tb.kubectl(['patch', 'service', 'web-aff', '--type=merge', '-p', body]);
      expect(r.exitCode, r.stderr).toBe(0);
    };
    await patch('None');
    await until(
      'spread again without affinity',
      () => http(url, 15),
      (r) => new Set(r).size >= 2,
    );
    await patch('ClientIP');
    const again = await until(
      'sticky again',
      () => http(url, 12),
      (r) => new Set(r).size === 1,
    );
    expect(WEB.has(again[0]!)).toBe(true);
  });

  it('serves the same port over different protocols (TCP and UDP)', async () => {
    const svc = await createService(
      service(
        'dual',
        { app: 'web' },
        {
          ports: [
            { name: 'tcp', port: 53, targetPort: 8080, protocol: 'TCP' },
            { name: 'udp', port: 53, targetPort: 8080, protocol: 'UDP' },
          ],
        },
      ),
    );
    const ip = svc.spec!.clusterIP!;
    const [overTcp] = await until(
      'TCP',
      () => http(`http://${ip}:53/hostname`),
      (r) => WEB.has(r[0]!),
    );
    const [overUdp] = await until(
      'UDP',
      () => probeFromPod(tb, 'client', ['udp', ip, '53', 'hostname']),
      (r) => WEB.has(r[0]!),
    );
    expect(WEB.has(overTcp!) && WEB.has(overUdp!)).toBe(true);
  });

  it('allows pods to hairpin back to themselves through a service', async () => {
    const svc = await createService(service('hairpin', { hairpin: 'yes' }));
    const [self] = await until(
      'web-1 through its own service',
      () => http(`http://${svc.spec!.clusterIP}/hostname`, 1, 'web-1'),
      (r) => r[0] === 'web-1',
    );
    expect(self).toBe('web-1');
  });

  it('preserves the client source IP for externalTrafficPolicy Local and answers health checks', async () => {
    const svc = await createService(
      service(
        'web-local',
        { app: 'web' },
        { type: 'LoadBalancer', externalTrafficPolicy: 'Local' },
      ),
    );
    const port = svc.spec!.ports![0]!.nodePort!;
    const hc = svc.spec!.healthCheckNodePort!;
    const [client] = await until(
      'NodePort on node-1 from the lab',
      () => probeFromLab(tb, ['http', `http://${node1IP}:${port}/clientip`]),
      (r) => /^\d/.test(r[0]!),
    );
    expect(client!.split(':')[0]).toBe(tb.options.labIP);
    // node-2 has no local endpoint: outside traffic is dropped there, and its health check says so.
    // node-2's proxy syncs on its own schedule: until it has the service, nothing listens on the
    // NodePort and the kernel refuses, so wait for that to end before asserting the drop.
    const dropped = await until(
      'NodePort rules on node-2',
      () => probeFromLab(tb, ['http', `http://${node2IP}:${port}/hostname`]),
      (r) => r[0] !== 'REFUSED',
    );
    expect(dropped).toEqual(['TIMEOUT']);
    const [healthy] = await probeFromLab(tb, ['http', `http://${node1IP}:${hc}/`]);
    expect(JSON.parse(healthy!)).toMatchObject({ localEndpoints: 3 });
    const [unhealthy] = await probeFromLab(tb, ['http', `http://${node2IP}:${hc}/`]);
    expect(JSON.parse(unhealthy!)).toMatchObject({ localEndpoints: 0 });
  });

  it('rejects connections to a service without endpoints (connection refused, not a timeout)', async () => {
    const svc = await createService(service('nobody', { app: 'nobody' }));
    const started = Date.now();
    const r = await until(
      'REFUSED',
      () => http(`http://${svc.spec!.clusterIP}/`),
      (r) => r[0] === 'REFUSED',
    );
    expect(r).toEqual(['REFUSED']);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('publishes not-ready addresses only when publishNotReadyAddresses is set', async () => {
    // Ready only on a port nothing listens on: never Ready.
    await createPods(echoPod('unready-1', node1, { app: 'unready' }, { readinessPort: 9999 }));
    const pub = await createService(
      service('unready-pub', { app: 'unready' }, { publishNotReadyAddresses: true }),
    );
    const normal = await createService(service('unready', { app: 'unready' }));
    const [answer] = await until(
      'the unready pod through publishNotReadyAddresses',
      () => http(`http://${pub.spec!.clusterIP}/hostname`),
      (r) => r[0] === 'unready-1',
    );
    expect(answer).toBe('unready-1');
    expect(await http(`http://${normal.spec!.clusterIP}/hostname`)).toEqual(['REFUSED']);
  });

  it('internalTrafficPolicy Local uses only endpoints on the client node, and drops without one', async () => {
    await createPods(
      echoPod('itp-1', node1, { app: 'itp' }),
      echoPod('itp-2', node2, { app: 'itp' }),
    );
    await Promise.all(['itp-1', 'itp-2'].map((p) => podReady(tb.kubeConfig, 'default', p)));
    const svc = await createService(
      service('itp', { app: 'itp' }, { internalTrafficPolicy: 'Local' }),
    );
    const url = `http://${svc.spec!.clusterIP}/hostname`;
    const r = await until(
      'answers from the local endpoint',
      () => http(url, 10),
      (r) => r[0] === 'itp-1',
    );
    expect(r).toEqual(Array(10).fill('itp-1'));
    await core.deleteNamespacedPod({ name: 'itp-1', namespace: 'default', gracePeriodSeconds: 0 });
    // itp-2 stays ready on node-2, but a Local policy never sends there: silence, not REJECT.
    await until(
      'dropped without a local endpoint',
      () => http(url),
      (r) => r[0] === 'TIMEOUT',
    );
  });

  it('falls back to serving terminating endpoints when no endpoint is ready', async () => {
    // An HTTP server that ignores SIGTERM, so it keeps serving through its grace period.
    const server =
      "process.on('SIGTERM',()=>{});require('http').createServer((q,r)=>r.end(process.env.HOSTNAME)).listen(8080)";
    await createPods({
      metadata: { name: 'term-1', labels: { app: 'term' } },
      spec: {
        nodeName: node1,
        terminationGracePeriodSeconds: 25,
        containers: [
          {
            name: 'main',
            image: 'switchyard/toolbox',
            command: [process.execPath, '-e', server],
            readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
          },
        ],
      },
    });
    await podReady(tb.kubeConfig, 'default', 'term-1');
    const svc = await createService(service('term', { app: 'term' }));
    const url = `http://${svc.spec!.clusterIP}/`;
    await until(
      'term-1 serving',
      () => http(url),
      (r) => r[0] === 'term-1',
    );
    await core.deleteNamespacedPod({
      name: 'term-1',
      namespace: 'default',
      gracePeriodSeconds: 25,
    });
    const discovery = tb.kubeConfig.makeApiClient(DiscoveryV1Api);
    await eventually('the endpoint marked serving and terminating', async () => {
      const slices = await discovery.listNamespacedEndpointSlice({
        namespace: 'default',
        labelSelector: 'kubernetes.io/service-name=term',
      });
      const c = slices.items.flatMap((s) => s.endpoints)[0]?.conditions;
      return c?.terminating && c.serving && !c.ready ? c : undefined;
    });
    // No ready endpoint left: the terminating one still answers (a proxy without the fallback REJECTs).
    await until(
      'answers from the terminating endpoint',
      () => http(url, 3),
      (r) => r.every((h) => h === 'term-1'),
      10_000,
    );
  });

  it('keeps UDP traffic flowing to a new server pod when the old one goes (conntrack cleanup)', async () => {
    await createPods(echoPod('udp-a', node1, { app: 'udp' }));
    await podReady(tb.kubeConfig, 'default', 'udp-a');
    const svc = await createService(
      service(
        'udp',
        { app: 'udp' },
        { ports: [{ name: 'dns', port: 53, targetPort: 8080, protocol: 'UDP' }] },
      ),
    );
    // One source port for the client's whole life: one conntrack entry, refreshed every 300 ms.
    await createPods(
      toolboxPod('udp-client', node1, [
        process.execPath,
        PROBE,
        'udp-loop',
        svc.spec!.clusterIP!,
        '53',
        '40053',
      ]),
    );
    const log = await tb.podLogPath('default', 'udp-client');
    const logged = async (): Promise<string> => readFile(log, 'utf8').catch(() => '');
    await until('udp-a answering', logged, (t) => t.includes(' udp-a'), 60_000);
    await core.deleteNamespacedPod({ name: 'udp-a', namespace: 'default', gracePeriodSeconds: 0 });
    await createPods(echoPod('udp-b', node1, { app: 'udp' }));
    await until(
      'udp-b answering the same client socket',
      logged,
      (t) => t.includes(' udp-b'),
      60_000,
    );
  });

  it('recreates its rules after they are flushed by hand', async () => {
    const url = `http://${(await core.readNamespacedService({ name: 'web', namespace: 'default' })).spec!.clusterIP}/hostname`;
    const flushed = await tb.execInNode(node1, [
      'nft',
      'flush',
      'table',
      'inet',
      'switchyard-proxy',
    ]);
    expect(flushed.exitCode).toBe(0);
    const started = Date.now();
    await until(
      'the service answering again',
      () => http(url),
      (r) => WEB.has(r[0]!),
      20_000,
    );
    // The sync period is 2 s in this suite.
    expect(Date.now() - started).toBeLessThan(15_000);
    const [metrics] = await probeFromLab(tb, ['http', `http://${node1IP}:10256/metrics`]).then(
      (l) => [l.join('\n')],
    );
    expect(metrics).toMatch(/switchyard_proxy_table_repairs_total\{reason="check"\} [1-9]/);
  });

  it('exposes readiness and metrics (sync and network programming latency, informers)', async () => {
    const ready = await probeFromLab(tb, ['http', `http://${node1IP}:10256/readyz`]);
    expect(ready).toEqual(['ok']);
    const text = (await probeFromLab(tb, ['http', `http://${node1IP}:10256/metrics`])).join('\n');
    const value = (name: string): number =>
      Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    expect(value('switchyard_proxy_sync_proxy_rules_duration_seconds_count')).toBeGreaterThan(3);
    expect(value('switchyard_proxy_network_programming_duration_seconds_count')).toBeGreaterThan(0);
    expect(text).toMatch(/switchyard_informer_synced\{informer="endpointslices"\} 1/);
  });

  it('keeps established connections through a proxy restart', async () => {
    const web = await core.readNamespacedService({ name: 'web', namespace: 'default' });
    await createPods(
      toolboxPod('holder', node1, [
        process.execPath,
        PROBE,
        'tcp-hold',
        web.spec!.clusterIP!,
        '80',
      ]),
    );
    const log = await tb.podLogPath('default', 'holder');
    const ticks = async (): Promise<string[]> =>
      (await readFile(log, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
    await until('the held connection echoing', ticks, (l) => l.length >= 3, 60_000);
    const before = (await proxyPodsReady(tb)).get(node1)!;
    await core.deleteNamespacedPod({ name: before.metadata!.name!, namespace: 'kube-system' });
    const after = await eventually(
      'a new proxy pod on node-1',
      async () => {
        const p = (await proxyPodsReady(tb)).get(node1);
        return p && p.metadata!.uid !== before.metadata!.uid ? p : undefined;
      },
      90_000,
    );
    expect(after.metadata!.uid).not.toBe(before.metadata!.uid);
    const count = (await ticks()).length;
    await until('more echoes on the same connection', ticks, (l) => l.length >= count + 3, 10_000);
    const lines = await ticks();
    expect(lines.filter((l) => / (closed|error)/.test(l))).toEqual([]);
    expect(lines.at(-1)).toMatch(/ tick \d+$/);
  });
});
