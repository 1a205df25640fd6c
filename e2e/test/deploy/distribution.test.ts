// The whole distribution in the testbed, installed from deploy/overlays/testbed by
// `startTestbed({ components })`: the agent and proxy DaemonSets, switchyard-dns behind kube-dns
// and the ingress controller, all ready; then a plain ClusterFirst pod resolves a Service by its
// short name through 10.96.0.10, reaches it through the proxy, and reaches it again through the
// ingress controller's hostPort on a node.
import { AppsV1Api, CoreV1Api, NetworkingV1Api } from '@kubernetes/client-node';
import { COMPONENTS, type Testbed, startTestbed } from '@switchyard/testbed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, podReady } from '../helpers.js';

const NAME = `dd${process.pid}`.slice(0, 12);
let tb: Testbed;
let core: CoreV1Api;

/** Runs a command in the client pod; resolves with its stdout (throws on a non-zero exit). */
async function inClient(argv: string[]): Promise<string> {
  const r = await tb.execInPod('default', 'client', argv, { timeoutMs: 10_000 });
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: exit ${r.exitCode} ${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  tb = await startTestbed({
    name: NAME,
    nodes: 2,
    underlay: '172.31.217.0/24',
    components: COMPONENTS,
  });
  core = tb.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespacedPod({
    namespace: 'default',
    body: {
      metadata: { name: 'echo', labels: { app: 'echo' } },
      spec: {
        containers: [{ name: 'echo', image: 'switchyard/echo', ports: [{ containerPort: 8080 }] }],
      },
    },
  });
  await core.createNamespacedService({
    namespace: 'default',
    body: {
      metadata: { name: 'echo' },
      spec: { selector: { app: 'echo' }, ports: [{ port: 80, targetPort: 8080 }] },
    },
  });
  await core.createNamespacedPod({
    namespace: 'default',
    body: {
      metadata: { name: 'client' },
      spec: { containers: [{ name: 'toolbox', image: 'switchyard/toolbox' }] },
    },
  });
  await podReady(tb.kubeConfig, 'default', 'echo');
  await podReady(tb.kubeConfig, 'default', 'client');
}, 300_000);

afterAll(async () => {
  await tb?.down();
});

describe('the distribution installed by startTestbed({ components })', () => {
  it('runs every workload of the overlay ready: agent and proxy per node, 2 DNS, 2 ingress', async () => {
    const apps = tb.kubeConfig.makeApiClient(AppsV1Api);
    for (const name of ['switchyard-agent', 'switchyard-proxy']) {
      const ds = await apps.readNamespacedDaemonSet({ name, namespace: 'kube-system' });
      expect(ds.status?.numberReady).toBe(2);
      expect(ds.spec?.template.spec?.priorityClassName).toBe('system-node-critical');
    }
    const dns = await apps.readNamespacedDeployment({
      name: 'switchyard-dns',
      namespace: 'kube-system',
    });
    expect(dns.status?.readyReplicas).toBe(2);
    expect(dns.spec?.template.spec?.priorityClassName).toBe('system-cluster-critical');
    const ingress = await apps.readNamespacedDeployment({
      name: 'switchyard-ingress',
      namespace: 'switchyard-ingress',
    });
    expect(ingress.status?.readyReplicas).toBe(2);
    const svc = await core.readNamespacedService({ name: 'kube-dns', namespace: 'kube-system' });
    expect(svc.spec?.clusterIP).toBe('10.96.0.10');
  });

  it('gives a ClusterFirst pod 10.96.0.10 and the search path, and names resolve through it', async () => {
    const resolv = await inClient(['cat', '/etc/resolv.conf']);
    expect(resolv).toContain('nameserver 10.96.0.10');
    expect(resolv).toContain('search default.svc.cluster.local svc.cluster.local cluster.local');
    // No @server: dig asks the resolv.conf nameserver and applies its search list.
    const kubernetes = await inClient(['dig', '+search', '+short', 'kubernetes.default']);
    expect(kubernetes.trim()).toBe('10.96.0.1');
    const echo = await core.readNamespacedService({ name: 'echo', namespace: 'default' });
    expect((await inClient(['dig', '+search', '+short', 'echo'])).trim()).toBe(
      echo.spec?.clusterIP,
    );
  });

  it('reaches a Service by its short name through the proxy', async () => {
    const hostname = await eventually('echo through its Service', async () =>
      inClient(['curl', '-sf', '-m', '2', 'http://echo/hostname']),
    );
    expect(hostname).toBe('echo');
  });

  it('routes an Ingress of class switchyard through the controller on a node', async () => {
    const net = tb.kubeConfig.makeApiClient(NetworkingV1Api);
    await net.createNamespacedIngress({
      namespace: 'default',
      body: {
        metadata: { name: 'echo' },
        spec: {
          ingressClassName: 'switchyard',
          rules: [
            {
              host: 'echo.test',
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'Prefix',
                    backend: { service: { name: 'echo', port: { number: 80 } } },
                  },
                ],
              },
            },
          ],
        },
      },
    });
    const node = tb.nodes[1]!.internalIP;
    const hostname = await eventually('echo through the ingress', async () =>
      inClient(['curl', '-sf', '-m', '2', '-H', 'Host: echo.test', `http://${node}/hostname`]),
    );
    expect(hostname).toBe('echo');
  });
});
