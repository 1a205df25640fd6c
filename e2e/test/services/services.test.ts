// "[sig-network] Services" against switchyard-proxy in the testbed: the distribution's manifest
// (ServiceAccount, ClusterRole, binding, hostNetwork DaemonSet running the switchyard/switchyard
// image's `switchyard-proxy`) on a real control plane with three nodes on the Switchyard pod
// network (VXLAN between nodes). The client runs on node-1; the `web` endpoints are one per node,
// so a ClusterIP or NodePort reaches pods across the overlay.
//
// The e2e project retries a failed test once in the same cluster, so every case makes its objects
// under names (and selector labels) of its own attempt: see `attempt()`.
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
let node3: string;
let node1IP: string;
let node2IP: string;

beforeAll(async () => {
  tb = await startTestbed({ name: NAME, nodes: 3, underlay: UNDERLAY });
  core = tb.kubeConfig.makeApiClient(CoreV1Api);
  [node1, node2, node3] = tb.nodes.map((n) => n.name) as [string, string, string];
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
  // web-i runs on node-i; web-1 shares node-1 with the client.
  const pods = [
    toolboxPod('client', node1),
    ...[node1, node2, node3].map((node, i) =>
      echoPod(`web-${i + 1}`, node, { app: 'web', node: String(i + 1) }, { ports: [8080, 9090] }),
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

const attempts = new Map<string, number>();
/**
 * A name for this attempt of a case: `base` the first time, `base-r2` on vitest's retry, so a
 * retried case never meets the Services, pods and labels its failed attempt left (409
 * AlreadyExists, or an old pod matching the new selector).
 */
function attempt(base: string): string {
  const n = (attempts.get(base) ?? 0) + 1;
  attempts.set(base, n);
  return n === 1 ? base : `${base}-r${n}`;
}

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

  it('serves a basic endpoint from pods on every node (ClusterIP spreads over every ready endpoint)', async () => {
    const svc = await createService(service(attempt('web'), { app: 'web' }));
    const seen = await until(
      'answers from every endpoint',
      () => http(`http://${svc.spec!.clusterIP}/hostname`, 24),
      (r) => r.every((h) => WEB.has(h)) && new Set(r).size === 3,
    );
    expect(seen).toHaveLength(24);
  });

  it('serves multiport endpoints', async () => {
    const svc = await createService(
      service(
        attempt('multi'),
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
    const svc = await createService(
      service(attempt('web-np'), { app: 'web' }, { type: 'NodePort' }),
    );
    const port = svc.spec!.ports![0]!.nodePort!;
    // Through node-1, to endpoints on every node (two of them over the overlay).
    const hosts = await until(
      'NodePort from the lab',
      () => probeFromLab(tb, ['http', `http://${node1IP}:${port}/hostname`, '24']),
      (r) => r.every((h) => WEB.has(h)) && new Set(r).size === 3,
    );
    expect(hosts).toHaveLength(24);
    const [client] = await probeFromLab(tb, ['http', `http://${node1IP}:${port}/clientip`]);
    // externalTrafficPolicy Cluster: the endpoint sees the node, not the lab.
    expect(client!.split(':')[0]).not.toBe(tb.options.labIP);
  });

  it('keeps session affinity (ClientIP) and follows switching it off and on', async () => {
    const name = attempt('web-aff');
    const svc = await createService(service(name, { app: 'web' }, { sessionAffinity: 'ClientIP' }));
    const url = `http://${svc.spec!.clusterIP}/hostname`;
    const sticky = await until(
      'sticky answers',
      () => http(url, 12),
      (r) => r.length === 12 && r.every((h) => WEB.has(h)),
    );
    expect(new Set(sticky).size).toBe(1);
    const patch = async (sessionAffinity: string): Promise<void> => {
      const body = JSON.stringify({ spec: { sessionAffinity } });
      const r = await tb.kubectl(['patch', 'service', name, '--type=merge', '-p', body]);
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
        attempt('dual'),
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
    // web-1 is the only endpoint: its request to the VIP is DNATed back to itself, which the
    // bridge must send out of the port it came in on (switchyard-cni sets hairpin mode).
    const svc = await createService(service(attempt('hairpin'), { app: 'web', node: '1' }));
    const [self] = await until(
      'web-1 through its own service',
      () => http(`http://${svc.spec!.clusterIP}/hostname`, 1, 'web-1'),
      (r) => r[0] === 'web-1',
    );
    expect(self).toBe('web-1');
    // Masqueraded to the node, so web-1's reply returns through the proxy's conntrack entry.
    const [seen] = await http(`http://${svc.spec!.clusterIP}/clientip`, 1, 'web-1');
    expect(seen!.split(':')[0]).not.toBe(
      (await core.readNamespacedPod({ name: 'web-1', namespace: 'default' })).status!.podIP,
    );
  });

  it('preserves the client source IP for externalTrafficPolicy Local and answers health checks', async () => {
    // Only web-1 (node-1) is selected: node-2 and node-3 have no local endpoint.
    const svc = await createService(
      service(
        attempt('web-local'),
        { app: 'web', node: '1' },
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
    const [healthy] = await until(
      'health check on node-1',
      () => probeFromLab(tb, ['http', `http://${node1IP}:${hc}/`]),
      (r) => /^\{/.test(r[0]!),
    );
    expect(JSON.parse(healthy!)).toMatchObject({ localEndpoints: 1 });
    const [unhealthy] = await until(
      'health check on node-2',
      () => probeFromLab(tb, ['http', `http://${node2IP}:${hc}/`]),
      (r) => /^\{/.test(r[0]!),
    );
    expect(JSON.parse(unhealthy!)).toMatchObject({ localEndpoints: 0 });
  });

  it('rejects connections to a service without endpoints (connection refused, not a timeout)', async () => {
    const svc = await createService(service(attempt('nobody'), { app: 'nobody' }));
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
    const id = attempt('unready');
    // Ready only on a port nothing listens on: never Ready.
    await createPods(echoPod(`${id}-1`, node1, { app: id }, { readinessPort: 9999 }));
    const pub = await createService(
      service(`${id}-pub`, { app: id }, { publishNotReadyAddresses: true }),
    );
    const normal = await createService(service(id, { app: id }));
    const [answer] = await until(
      'the unready pod through publishNotReadyAddresses',
      () => http(`http://${pub.spec!.clusterIP}/hostname`),
      (r) => r[0] === `${id}-1`,
    );
    expect(answer).toBe(`${id}-1`);
    expect(await http(`http://${normal.spec!.clusterIP}/hostname`)).toEqual(['REFUSED']);
  });

  it('internalTrafficPolicy Local uses only endpoints on the client node, and drops without one', async () => {
    const id = attempt('itp');
    await createPods(
      echoPod(`${id}-1`, node1, { app: id }),
      echoPod(`${id}-2`, node2, { app: id }),
    );
    await Promise.all([`${id}-1`, `${id}-2`].map((p) => podReady(tb.kubeConfig, 'default', p)));
    const svc = await createService(service(id, { app: id }, { internalTrafficPolicy: 'Local' }));
    const url = `http://${svc.spec!.clusterIP}/hostname`;
    const r = await until(
      'answers from the local endpoint',
      () => http(url, 10),
      (r) => r[0] === `${id}-1`,
    );
    expect(r).toEqual(Array(10).fill(`${id}-1`));
    await core.deleteNamespacedPod({
      name: `${id}-1`,
      namespace: 'default',
      gracePeriodSeconds: 0,
    });
    // The node-2 endpoint stays ready, but a Local policy never sends there: silence, not REJECT.
    await until(
      'dropped without a local endpoint',
      () => http(url),
      (r) => r[0] === 'TIMEOUT',
    );
  });

  it('falls back to serving terminating endpoints when no endpoint is ready', async () => {
    const id = attempt('term');
    const pod = `${id}-1`;
    // An HTTP server that ignores SIGTERM, so it keeps serving through its grace period.
    const server =
      "process.on('SIGTERM',()=>{});require('http').createServer((q,r)=>r.end(process.env.HOSTNAME)).listen(8080)";
    await createPods({
      metadata: { name: pod, labels: { app: id } },
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
    await podReady(tb.kubeConfig, 'default', pod);
    const svc = await createService(service(id, { app: id }));
    const url = `http://${svc.spec!.clusterIP}/`;
    await until(
      `${pod} serving`,
      () => http(url),
      (r) => r[0] === pod,
    );
    await core.deleteNamespacedPod({ name: pod, namespace: 'default', gracePeriodSeconds: 25 });
    const discovery = tb.kubeConfig.makeApiClient(DiscoveryV1Api);
    await eventually('the endpoint marked serving and terminating', async () => {
      const slices = await discovery.listNamespacedEndpointSlice({
        namespace: 'default',
        labelSelector: `kubernetes.io/service-name=${id}`,
      });
      const c = slices.items.flatMap((s) => s.endpoints)[0]?.conditions;
      return c?.terminating && c.serving && !c.ready ? c : undefined;
    });
    // No ready endpoint left: the terminating one still answers (a proxy without the fallback REJECTs).
    await until(
      'answers from the terminating endpoint',
      () => http(url, 3),
      (r) => r.every((h) => h === pod),
      10_000,
    );
  });

  it('keeps UDP traffic flowing to a new server pod when the old one goes (conntrack cleanup)', async () => {
    const id = attempt('udp');
    await createPods(echoPod(`${id}-a`, node1, { app: id }));
    await podReady(tb.kubeConfig, 'default', `${id}-a`);
    const svc = await createService(
      service(
        id,
        { app: id },
        { ports: [{ name: 'dns', port: 53, targetPort: 8080, protocol: 'UDP' }] },
      ),
    );
    // One source port for the client's whole life: one conntrack entry, refreshed every 300 ms.
    await createPods(
      toolboxPod(`${id}-client`, node1, [
        process.execPath,
        PROBE,
        'udp-loop',
        svc.spec!.clusterIP!,
        '53',
        '40053',
      ]),
    );
    const log = await tb.podLogPath('default', `${id}-client`);
    const logged = async (): Promise<string> => readFile(log, 'utf8').catch(() => '');
    await until(`${id}-a answering`, logged, (t) => t.includes(` ${id}-a`), 60_000);
    await core.deleteNamespacedPod({
      name: `${id}-a`,
      namespace: 'default',
      gracePeriodSeconds: 0,
    });
    await createPods(echoPod(`${id}-b`, node1, { app: id }));
    await until(
      `${id}-b answering the same client socket`,
      logged,
      (t) => t.includes(` ${id}-b`),
      60_000,
    );
  });

  it('recreates its rules after they are flushed by hand', async () => {
    const svc = await createService(service(attempt('flushed'), { app: 'web' }));
    const url = `http://${svc.spec!.clusterIP}/hostname`;
    await until(
      'the service answering',
      () => http(url),
      (r) => WEB.has(r[0]!),
    );
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
    const svc = await createService(service(attempt('held'), { app: 'web' }));
    const holder = attempt('holder');
    await createPods(
      toolboxPod(holder, node1, [process.execPath, PROBE, 'tcp-hold', svc.spec!.clusterIP!, '80']),
    );
    const log = await tb.podLogPath('default', holder);
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
    // Before the proxy had the new Service's endpoints the first container run may have been
    // refused and restarted; from the first echo on, it must be one unbroken connection: no
    // close or error, and tick numbers that only go up (a reconnect would start again at 1).
    const all = await ticks();
    const lines = all.slice(all.findIndex((l) => / tick \d+$/.test(l)));
    expect(lines.filter((l) => / (closed|error)/.test(l))).toEqual([]);
    const numbers = lines.map((l) => Number(/ tick (\d+)$/.exec(l)?.[1]));
    expect(numbers.every((n, i) => i === 0 || n > numbers[i - 1]!)).toBe(true);
    expect(lines.at(-1)).toMatch(/ tick \d+$/);
  });
});
