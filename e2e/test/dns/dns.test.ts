// "[sig-network] DNS" against switchyard-dns in the testbed: the distribution's dns and proxy
// components as the testbed installs them (a 2-replica Deployment of the switchyard/switchyard
// image behind the kube-dns Service, switchyard-proxy carrying its ClusterIP 10.96.0.10), the
// Corefile in the coredns ConfigMap forwarding to a fake upstream in its own namespace, and a
// ClusterFirst client pod on node-1 asking with dig over UDP and TCP through its resolv.conf (no
// @server), so every question crosses the Service VIP to a replica on either node.
//
// The e2e project retries a failed test once in the same cluster: objects a case makes are
// created again from scratch (Services) or reused (pods, EndpointSlices) on the retry.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  AppsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  type V1Pod,
  type V1PodSpec,
  type V1Service,
} from '@kubernetes/client-node';
import { type Testbed, startTestbed } from '@switchyard/testbed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, podReady } from '../helpers.js';
import { type DigResult, dig } from './dig.js';

const NAME = `dn${process.pid}`.slice(0, 12);
const UNDERLAY = '172.31.236.0/24';
const NS = 'dnse2e';
const UPSTREAM_NS = 'dns-upstream';
const ZONE = 'cluster.local';
const MANIFESTS = fileURLToPath(
  new URL('../../../apps/switchyard-dns/manifests/', import.meta.url),
);
const FAKE_UPSTREAM = fileURLToPath(new URL('./fake-upstream.mjs', import.meta.url));
const CLIENT = { namespace: NS, name: 'client' };
const CLUSTER_DNS = '10.96.0.10';

let tb: Testbed;
let core: CoreV1Api;
let discovery: DiscoveryV1Api;
let upstreamPod: V1Pod;
let corefile: string;
let dnsPods: V1Pod[];

/**
 * dig from the client pod with no @server: its resolv.conf's nameserver (the kube-dns ClusterIP)
 * and search list (dnse2e.svc.cluster.local ..., ndots:5), as the pod's resolver would ask.
 */
const ask = (...args: string[]): Promise<DigResult> => dig(tb, CLIENT, undefined, args);
const data = (r: DigResult, type?: string): string[] =>
  r.answers
    .filter((a) => type === undefined || a.type === type)
    .map((a) => a.data)
    .sort();

async function kubectlApply(yamlText: string): Promise<void> {
  const r = await tb.kubectl(['apply', '-f', '-'], { input: yamlText });
  if (r.exitCode !== 0) throw new Error(`kubectl apply: ${r.stderr}`);
}

/** The Corefile ConfigMap manifest with `forward` aimed at the fake upstream and `edit` applied. */
function corefileManifest(edit: (c: string) => string = (c) => c): string {
  return edit(
    corefile.replace('forward . /etc/resolv.conf', `forward . ${upstreamPod.status!.podIP}`),
  );
}

/** 409 AlreadyExists from the apiserver: an object a failed attempt of the case left. */
function alreadyExists(e: unknown): boolean {
  return (e as { code?: number }).code === 409;
}

/** Creates the pod (or keeps the one an earlier attempt made) and waits until it is Ready. */
async function createPod(pod: V1Pod): Promise<V1Pod> {
  const ns = pod.metadata!.namespace!;
  await core.createNamespacedPod({ namespace: ns, body: pod }).catch((e: unknown) => {
    if (!alreadyExists(e)) throw e;
  });
  return podReady(tb.kubeConfig, ns, pod.metadata!.name!);
}

/** Creates the Service afresh: one an earlier attempt left (maybe edited since) is deleted first. */
async function createService(svc: V1Service): Promise<V1Service> {
  const namespace = svc.metadata!.namespace ?? NS;
  await core
    .deleteNamespacedService({ namespace, name: svc.metadata!.name! })
    .catch((e: unknown) => {
      if ((e as { code?: number }).code !== 404) throw e;
    });
  return core.createNamespacedService({ namespace, body: svc });
}

/** Questions the fake upstream logged for `name` (type A). */
async function upstreamQueries(name: string): Promise<number> {
  const log = await readFile(await tb.podLogPath(UPSTREAM_NS, 'upstream'), 'utf8');
  return log.split('\n').filter((l) => l.includes(`"name":"${name}","type":1}`)).length;
}

/** The two switchyard-dns replicas, once both are Ready (and no third is). */
function readyDnsPods(): Promise<V1Pod[]> {
  return eventually(
    'two ready switchyard-dns replicas',
    async () => {
      const pods = await core.listNamespacedPod({
        namespace: 'kube-system',
        labelSelector: 'k8s-app=kube-dns',
      });
      const ready = pods.items.filter(
        (p) =>
          !p.metadata?.deletionTimestamp &&
          p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      return ready.length === 2 ? ready : undefined;
    },
    120_000,
  );
}

beforeAll(async () => {
  // The kube-dns ClusterIP is a Service like any other: switchyard-proxy carries it.
  tb = await startTestbed({
    name: NAME,
    nodes: 2,
    underlay: UNDERLAY,
    components: ['proxy', 'dns'],
  });
  core = tb.kubeConfig.makeApiClient(CoreV1Api);
  discovery = tb.kubeConfig.makeApiClient(DiscoveryV1Api);
  for (const name of [NS, UPSTREAM_NS])
    await core.createNamespace({ body: { metadata: { name } } });
  upstreamPod = await createPod({
    metadata: { name: 'upstream', namespace: UPSTREAM_NS },
    spec: {
      containers: [{ name: 'dns', image: 'switchyard/toolbox', command: ['node', FAKE_UPSTREAM] }],
    },
  });
  corefile = await readFile(`${MANIFESTS}/coredns-configmap.yaml`, 'utf8');
  // The testbed created kubeadm's Corefile; this one forwards to the fake upstream (a reload).
  await kubectlApply(corefileManifest());
  dnsPods = await readyDnsPods();
  await createPod({
    metadata: { name: CLIENT.name, namespace: NS },
    spec: { nodeName: tb.nodes[0]!.name, containers: [{ name: 'c', image: 'switchyard/toolbox' }] },
  });
  // The proxy programs the new kube-dns endpoints within a sync; wait for the first answer.
  await eventually('an answer through the kube-dns Service', async () => {
    const r = await ask('+notcp', `kubernetes.default.svc.${ZONE}`);
    return r.status === 'NOERROR' ? r : undefined;
  });
});

afterAll(async () => {
  await tb?.down();
});

describe('switchyard-dns deployment', () => {
  it('runs 2 ready replicas behind kube-dns with /health, /ready and CoreDNS metrics', async () => {
    const apps = tb.kubeConfig.makeApiClient(AppsV1Api);
    const deploy = await apps.readNamespacedDeployment({
      namespace: 'kube-system',
      name: 'switchyard-dns',
    });
    expect(deploy.status?.readyReplicas).toBe(2);
    const svc = await core.readNamespacedService({ namespace: 'kube-system', name: 'kube-dns' });
    expect(svc.spec?.clusterIP).toBe(CLUSTER_DNS);
    const ips = dnsPods.map((p) => p.status!.podIP!).sort();
    const slices = await eventually('kube-dns endpoints', async () => {
      const list = await discovery.listNamespacedEndpointSlice({
        namespace: 'kube-system',
        labelSelector: 'kubernetes.io/service-name=kube-dns',
      });
      const ready = list.items
        .flatMap((s) => s.endpoints)
        .filter((e) => e.conditions?.ready)
        .flatMap((e) => e.addresses)
        .sort();
      return ready.join() === ips.join() ? ready : undefined;
    });
    expect(slices).toEqual(ips);
    for (const ip of ips) {
      // Each replica answers on its own, over UDP and TCP.
      for (const transport of ['+notcp', '+tcp']) {
        const r = await dig(tb, CLIENT, ip, [transport, `kubernetes.default.svc.${ZONE}`]);
        expect(data(r, 'A')).toEqual(['10.96.0.1']);
      }
      const curl = async (url: string): Promise<string> =>
        (await tb.execInPod(NS, CLIENT.name, ['curl', '-s', '-w', ' %{http_code}', url])).stdout;
      expect(await curl(`http://${ip}:8080/health`)).toBe('OK 200');
      expect(await curl(`http://${ip}:8181/ready`)).toBe('OK 200');
      const metrics = await curl(`http://${ip}:9153/metrics`);
      expect(metrics).toMatch(
        /coredns_dns_requests_total\{server="dns:\/\/:53",zone="cluster.local.",proto="udp",family="1",type="A"\} [1-9]/,
      );
      expect(metrics).toMatch(/coredns_dns_requests_total\{[^}]*proto="tcp"[^}]*\} [1-9]/);
      expect(metrics).toMatch(/switchyard_informer_synced\{informer="services"\} 1/);
    }
  });
});

describe('[sig-network] DNS', () => {
  it('should provide DNS for the cluster (UDP and TCP, FQDN and search path)', async () => {
    // ClusterFirst: the pod's resolver is the kube-dns Service, which dig (no @server) asks.
    const conf = (await tb.execInPod(NS, CLIENT.name, ['cat', '/etc/resolv.conf'])).stdout;
    expect(conf.split('\n')).toContain(`nameserver ${CLUSTER_DNS}`);
    expect(conf).toContain(`search ${NS}.svc.${ZONE} svc.${ZONE} ${ZONE}`);
    expect(conf).toMatch(/^options ndots:5$/m);
    for (const transport of ['+notcp', '+tcp']) {
      for (const name of [
        'kubernetes.default',
        'kubernetes.default.svc',
        `kubernetes.default.svc.${ZONE}`,
      ]) {
        const r = await ask(transport, '+search', name);
        expect([name, r.status, data(r, 'A')]).toEqual([name, 'NOERROR', ['10.96.0.1']]);
      }
      const v = await ask(transport, `dns-version.${ZONE}`, 'TXT');
      expect(data(v, 'TXT')).toEqual(['"1.1.0"']);
    }
  });

  it('should provide DNS for services, headless services, SRV and PTR', async () => {
    const svc = await createService({
      metadata: { name: 'dns-test-service', namespace: NS },
      spec: { selector: { app: 'dns-test' }, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    });
    const clusterIP = svc.spec!.clusterIP!;
    await createService({
      metadata: { name: 'dns-test-service-2', namespace: NS },
      spec: {
        clusterIP: 'None',
        selector: { app: 'dns-backend' },
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    });
    const backend = (name: string, extra: Partial<V1PodSpec> = {}): Promise<V1Pod> =>
      createPod({
        metadata: { name, namespace: NS, labels: { app: 'dns-backend' } },
        spec: {
          ...extra,
          containers: [{ name: 'web', image: 'switchyard/echo', ports: [{ containerPort: 8080 }] }],
        },
      });
    const plain = await backend('backend-1');
    const named = await backend('dns-querier-2', {
      hostname: 'dns-querier-2',
      subdomain: 'dns-test-service-2',
    });
    const backendIPs = [plain.status!.podIP!, named.status!.podIP!].sort();
    const fqdn = `dns-test-service.${NS}.svc.${ZONE}`;
    const headless = `dns-test-service-2.${NS}.svc.${ZONE}`;

    for (const transport of ['+notcp', '+tcp']) {
      for (const name of [
        'dns-test-service',
        `dns-test-service.${NS}`,
        `dns-test-service.${NS}.svc`,
        fqdn,
      ]) {
        const r = await ask(transport, '+search', name);
        expect([name, data(r, 'A')]).toEqual([name, [clusterIP]]);
      }
      const srv = await ask(transport, `_http._tcp.${fqdn}`, 'SRV');
      expect(data(srv, 'SRV')).toEqual([`0 100 80 ${fqdn}.`]);
      const ptr = await ask(transport, '-x', clusterIP);
      expect(data(ptr, 'PTR')).toEqual([`${fqdn}.`]);
    }
    // Headless: one A per ready endpoint, SRV per endpoint with its hostname, the pod's own name.
    const a = await eventually('headless A for both backends', async () => {
      const r = await ask('+notcp', headless);
      return data(r, 'A').join() === backendIPs.join() ? r : undefined;
    });
    expect(data(a, 'A')).toEqual(backendIPs);
    const srv = await ask('+tcp', `_http._tcp.${headless}`, 'SRV');
    const targets = data(srv, 'SRV').map((s) => s.split(' ').slice(2).join(' '));
    expect(targets).toContain(`8080 dns-querier-2.${headless}.`);
    expect(targets).toHaveLength(2);
    expect(targets).toContain(`8080 ${plain.status!.podIP!.replaceAll('.', '-')}.${headless}.`);

    // AAAA of an IPv4 service: NODATA with the SOA; an unknown service: NXDOMAIN with the SOA.
    const aaaa = await ask('+notcp', fqdn, 'AAAA');
    expect([aaaa.status, aaaa.answers, aaaa.authorities.map((r) => r.type)]).toEqual([
      'NOERROR',
      [],
      ['SOA'],
    ]);
    const none = await ask('+notcp', `no-such-service.${NS}.svc.${ZONE}`);
    expect([none.status, none.authorities.map((r) => r.type)]).toEqual(['NXDOMAIN', ['SOA']]);
  });

  it('should provide DNS for pods for Hostname and Subdomain, and pod A records', async () => {
    const pod = await core.readNamespacedPod({ namespace: NS, name: 'dns-querier-2' });
    const ip = pod.status!.podIP!;
    const name = `dns-querier-2.dns-test-service-2.${NS}.svc.${ZONE}`;
    for (const transport of ['+notcp', '+tcp']) {
      expect(data(await ask(transport, name), 'A')).toEqual([ip]);
      expect(
        data(await ask(transport, '+search', 'dns-querier-2.dns-test-service-2'), 'A'),
      ).toEqual([ip]);
      expect(data(await ask(transport, '-x', ip), 'PTR')).toEqual([`${name}.`]);
      // pods insecure (the Corefile's): a-b-c-d.<ns>.pod.<zone> is the address in the name.
      const client = await core.readNamespacedPod({ namespace: NS, name: CLIENT.name });
      const dashed = client.status!.podIP!.replaceAll('.', '-');
      expect(data(await ask(transport, `${dashed}.${NS}.pod.${ZONE}`), 'A')).toEqual([
        client.status!.podIP,
      ]);
    }
  });

  it('should provide DNS for ExternalName services, following changes', async () => {
    await createService({
      metadata: { name: 'dns-test-service-3', namespace: NS },
      spec: { type: 'ExternalName', externalName: 'www.example.test' },
    });
    const name = `dns-test-service-3.${NS}.svc.${ZONE}`;
    const r = await eventually('ExternalName CNAME', async () => {
      const x = await ask('+notcp', name);
      return x.status === 'NOERROR' && x.answers.length > 0 ? x : undefined;
    });
    expect(r.answers.map((x) => `${x.type} ${x.data}`)).toEqual([
      'CNAME www.example.test.',
      'A 192.0.2.80',
    ]);
    expect(data(await ask('+tcp', '+search', 'dns-test-service-3'), 'CNAME')).toEqual([
      'www.example.test.',
    ]);

    const patch = JSON.stringify({ spec: { externalName: 'api.example.test' } });
    const r2 = await tb.kubectl([
      '-n',
      NS,
      'patch',
      'service',
      'dns-test-service-3',
      '--type=merge',
      '-p',
      patch,
    ]);
    expect(r2.exitCode).toBe(0);
    await eventually('the new externalName', async () => {
      const x = await ask('+notcp', name);
      return data(x, 'A').join() === '192.0.2.81' ? x : undefined;
    });
  });

  it('forwards names outside the cluster to the upstream, through the search path and a cache', async () => {
    const before = await upstreamQueries('www.example.test');
    // ndots:5: the cluster suffixes are tried first (our NXDOMAINs), then the name as is.
    const r = await ask('+notcp', '+search', 'www.example.test');
    expect([r.status, data(r, 'A')]).toEqual(['NOERROR', ['192.0.2.80']]);
    const tcp = await ask('+tcp', 'www.example.test.');
    expect(data(tcp, 'A')).toEqual(['192.0.2.80']);
    // `cache 30` caps the TTL (the upstream gives 300) in the reply to a miss as in a cached
    // one, as CoreDNS does. h<N> names are asked nowhere else: the first question at one
    // replica is a miss, the second a hit.
    const replica = dnsPods[0]!.status!.podIP!;
    const fresh = `h${process.pid % 200}.example.test.`;
    const miss = await dig(tb, CLIENT, replica, ['+tcp', fresh]);
    const cached = await dig(tb, CLIENT, replica, ['+tcp', fresh]);
    expect(data(miss, 'A')).toHaveLength(1);
    expect(data(cached, 'A')).toEqual(data(miss, 'A'));
    expect(miss.answers[0]!.ttl).toBeLessThanOrEqual(30);
    expect(cached.answers[0]!.ttl).toBeLessThanOrEqual(30);
    expect(tcp.answers[0]!.ttl).toBeLessThanOrEqual(30);
    // The ExternalName test may have brought it into the cache already; at most one more query
    // (per replica, through the Service).
    expect((await upstreamQueries('www.example.test')) - before).toBeLessThanOrEqual(2);
    const nx = await ask('+notcp', 'nope.example.test.');
    expect([nx.status, nx.authorities.map((a) => a.data.split(' ')[0])]).toEqual([
      'NXDOMAIN',
      ['ns.example.test.'],
    ]);
    // The negative answer is cached too.
    await ask('+notcp', 'nope.example.test.');
    // One cache per replica: through the Service both may have asked.
    expect(await upstreamQueries('nope.example.test')).toBeLessThanOrEqual(2);
  });

  it('answers a headless service with 100 endpoints: truncated over UDP, whole over TCP', async () => {
    await createService({
      metadata: { name: 'big', namespace: NS },
      spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    });
    const addresses = Array.from({ length: 100 }, (_, i) => `10.99.${i >> 4}.${(i % 16) + 1}`);
    const slice = discovery.createNamespacedEndpointSlice({
      namespace: NS,
      body: {
        metadata: {
          name: 'big-manual',
          labels: {
            'kubernetes.io/service-name': 'big',
            'endpointslice.kubernetes.io/managed-by': 'e2e',
          },
        },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
        endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: true } })),
      },
    });
    await slice.catch((e: unknown) => {
      if (!alreadyExists(e)) throw e;
    });
    const name = `big.${NS}.svc.${ZONE}`;
    const tcp = await eventually('100 addresses over TCP', async () => {
      const r = await ask('+tcp', name);
      return r.answers.length === 100 ? r : undefined;
    });
    expect(data(tcp, 'A')).toEqual([...addresses].sort());
    // UDP without following TC: the flag set and only what fits.
    const udp = await ask('+notcp', '+ignore', '+noedns', name);
    expect(udp.flags).toContain('tc');
    expect(udp.answers.length).toBeLessThan(100);
    // dig's default: retry over TCP after the truncated reply, and get them all.
    const retried = await ask('+notcp', name);
    expect(retried.retriedTcp).toBe(true);
    expect(data(retried, 'A')).toEqual([...addresses].sort());
  });

  it('should support configurable pod DNS nameservers (glibc through the pod resolv.conf)', async () => {
    // dnsPolicy None: the pod's resolv.conf names a replica itself, so the system resolver (not
    // only dig) reaches switchyard-dns with no service proxy in between.
    const replica = dnsPods[0]!.status!.podIP!;
    await createPod({
      metadata: { name: 'dns-none', namespace: NS },
      spec: {
        dnsPolicy: 'None',
        dnsConfig: {
          nameservers: [replica],
          searches: [`${NS}.svc.${ZONE}`, `svc.${ZONE}`, ZONE],
          options: [{ name: 'ndots', value: '5' }],
        },
        containers: [{ name: 'c', image: 'switchyard/toolbox' }],
      },
    });
    const conf = await tb.execInPod(NS, 'dns-none', ['cat', '/etc/resolv.conf']);
    expect(conf.stdout).toContain(`nameserver ${replica}`);
    const svc = await core.readNamespacedService({ namespace: NS, name: 'dns-test-service' });
    const getent = async (name: string): Promise<string> => {
      const r = await tb.execInPod(NS, 'dns-none', ['getent', 'ahostsv4', name]);
      return r.stdout.split('\n')[0]?.split(/\s+/)[0] ?? '';
    };
    expect(await getent('dns-test-service')).toBe(svc.spec!.clusterIP);
    expect(await getent(`dns-test-service.${NS}.svc`)).toBe(svc.spec!.clusterIP);
    expect(await getent('kubernetes.default')).toBe('10.96.0.1');
    expect(await getent('www.example.test')).toBe('192.0.2.80');
    // dig without @: the resolv.conf nameserver, over both transports.
    for (const transport of ['+notcp', '+tcp']) {
      const r = await tb.execInPod(NS, 'dns-none', [
        'dig',
        '+search',
        '+short',
        transport,
        'dns-test-service',
      ]);
      expect(r.stdout.trim()).toBe(svc.spec!.clusterIP);
    }
  });

  it('answers a service that appears within a second, and forgets it within a second', async () => {
    const started = Date.now();
    const svc = await createService({
      metadata: { name: 'flash', namespace: NS },
      spec: { ports: [{ port: 80, protocol: 'TCP' }] },
    });
    const name = `flash.${NS}.svc.${ZONE}`;
    await eventually(
      'flash answered',
      async () =>
        data(await ask('+notcp', name), 'A').join() === svc.spec!.clusterIP ? true : undefined,
      5_000,
    );
    const appeared = Date.now() - started;
    const deleting = Date.now();
    await core.deleteNamespacedService({ namespace: NS, name: 'flash' });
    await eventually(
      'flash gone',
      async () => ((await ask('+notcp', name)).status === 'NXDOMAIN' ? true : undefined),
      5_000,
    );
    const gone = Date.now() - deleting;
    console.log(
      `dns e2e: service answered ${appeared} ms after create, NXDOMAIN ${gone} ms after delete`,
    );
    expect(appeared).toBeLessThan(1000);
    expect(gone).toBeLessThan(1000);
  });

  it('reloads the Corefile from the ConfigMap (ttl, pods disabled/verified), keeping the last good one on a bad edit', async () => {
    const fqdn = `kubernetes.default.svc.${ZONE}`;
    // From the suite's Corefile (a retried attempt may have left an edit in force).
    await kubectlApply(corefileManifest());
    await eventually('ttl 30 in force', async () =>
      (await ask('+notcp', fqdn)).answers[0]?.ttl === 30 ? true : undefined,
    );
    await kubectlApply(
      corefileManifest((c) =>
        c.replace('ttl 30', 'ttl 7').replace('pods insecure', 'pods disabled'),
      ),
    );
    await eventually('ttl 7 in force', async () =>
      (await ask('+notcp', fqdn)).answers[0]?.ttl === 7 ? true : undefined,
    );
    const client = await core.readNamespacedPod({ namespace: NS, name: CLIENT.name });
    const podName = `${client.status!.podIP!.replaceAll('.', '-')}.${NS}.pod.${ZONE}`;
    expect((await ask('+notcp', podName)).status).toBe('NXDOMAIN');

    // pods verified: the app starts a Pod informer (its ClusterRole allows list/watch), and only
    // the addresses of existing pods answer; an address no pod has, answered under insecure, not.
    await kubectlApply(
      corefileManifest((c) =>
        c.replace('ttl 30', 'ttl 7').replace('pods insecure', 'pods verified'),
      ),
    );
    await eventually('pods verified in force', async () =>
      (await ask('+notcp', podName)).status === 'NOERROR' ? true : undefined,
    );
    expect(data(await ask('+tcp', podName), 'A')).toEqual([client.status!.podIP]);
    expect((await ask('+notcp', `10-99-99-99.${NS}.pod.${ZONE}`)).status).toBe('NXDOMAIN');
    const ready = await tb.execInPod(NS, CLIENT.name, [
      'curl',
      '-s',
      '-w',
      ' %{http_code}',
      `http://${dnsPods[0]!.status!.podIP!}:8181/ready`,
    ]);
    expect(ready.stdout).toBe('OK 200');

    const ip = dnsPods[0]!.status!.podIP!;
    const reloadFailures = async (): Promise<number> => {
      const m = (await tb.execInPod(NS, CLIENT.name, ['curl', '-s', `http://${ip}:9153/metrics`]))
        .stdout;
      if (!m.includes('# TYPE')) throw new Error(`no metrics from ${ip}: ${m}`);
      // A counter without a sample yet is not printed: none failed.
      return Number(/^coredns_reload_failed_total (\d+)$/m.exec(m)?.[1] ?? 0);
    };
    // Counted from what it is now: a retried attempt finds the first attempt's failure there.
    const failedBefore = await reloadFailures();
    await kubectlApply(
      corefileManifest((c) =>
        c.replace('kubernetes cluster.local', 'kubernetes cluster.local other.local'),
      ),
    );
    await eventually('the reload failure counted', async () =>
      (await reloadFailures()) === failedBefore + 1 ? true : undefined,
    );
    expect((await ask('+tcp', fqdn)).answers[0]!.ttl).toBe(7);
    await kubectlApply(corefileManifest());
    await eventually('ttl 30 again', async () =>
      (await ask('+notcp', fqdn)).answers[0]?.ttl === 30 ? true : undefined,
    );

    // An edit that leaves the Corefile as it is (a label) reloads nothing: the cache survives.
    // Each replica has its own cache, so both questions go to one replica, not the Service.
    const askReplica = async (): Promise<string[]> =>
      data(await dig(tb, CLIENT, ip, ['+notcp', 'api.example.test.']), 'A');
    expect(await askReplica()).toEqual(['192.0.2.81']);
    const asked = await upstreamQueries('api.example.test');
    const label = await tb.kubectl([
      '-n',
      'kube-system',
      'label',
      '--overwrite',
      'configmap',
      'coredns',
      `touched=${Date.now()}`,
    ]);
    expect(label.exitCode).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await askReplica()).toEqual(['192.0.2.81']);
    expect(await upstreamQueries('api.example.test')).toBe(asked);
  });
  it('keeps answering through a replica replacement (lameduck, then a new ready pod)', async () => {
    // Listed afresh: a retried attempt finds the first attempt's replacement.
    const [kept, doomed] = (await readyDnsPods()) as [V1Pod, V1Pod];
    const doomedIP = doomed.status!.podIP!;
    const fqdn = `kubernetes.default.svc.${ZONE}`;
    await core.deleteNamespacedPod({ namespace: 'kube-system', name: doomed.metadata!.name! });
    // SIGTERM: unready at once, still answering for the Corefile's `lameduck 5s`.
    await eventually(
      'the doomed replica unready',
      async () => {
        const r = await tb.execInPod(NS, CLIENT.name, [
          'curl',
          '-s',
          `http://${doomedIP}:8181/ready`,
        ]);
        return r.stdout === 'shutting down\n' ? true : undefined;
      },
      10_000,
    );
    expect(data(await dig(tb, CLIENT, doomedIP, ['+notcp', fqdn]), 'A')).toEqual(['10.96.0.1']);
    const replacement = await eventually(
      'a replacement replica ready',
      async () => {
        const pods = await core.listNamespacedPod({
          namespace: 'kube-system',
          labelSelector: 'k8s-app=kube-dns',
        });
        return pods.items.find(
          (p) =>
            p.metadata!.name !== kept.metadata!.name &&
            p.metadata!.name !== doomed.metadata!.name &&
            p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
      },
      90_000,
    );
    // The kept replica answered throughout; the new one answers from its own sync.
    expect(data(await dig(tb, CLIENT, kept.status!.podIP!, ['+tcp', fqdn]), 'A')).toEqual([
      '10.96.0.1',
    ]);
    const fresh = await dig(tb, CLIENT, replacement.status!.podIP!, [
      '+notcp',
      `dns-test-service.${NS}.svc.${ZONE}`,
    ]);
    expect(fresh.status).toBe('NOERROR');
    expect(fresh.answers).toHaveLength(1);
  });
});
