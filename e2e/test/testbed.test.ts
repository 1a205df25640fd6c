// The testbed end to end: a real control plane, two nodes, pods as namespaces wired by the
// reference bridge + host-local CNI through @switchyard/cni-spec, and a teardown that leaves nothing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  RbacAuthorizationV1Api,
  type V1Pod,
} from '@kubernetes/client-node';
import { runUnchecked } from '@switchyard/linux';
import { type Testbed, readState, restartApiserver, startTestbed } from '@switchyard/testbed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, inCidr, podReady, processesUsing } from './helpers.js';

const NAME = `tb${process.pid}`.slice(0, 12);
const UNDERLAY = '172.31.241.0/24';
const CLI = fileURLToPath(new URL('../../apps/switchyard/dist/main.js', import.meta.url));

let tb: Testbed;
let core: CoreV1Api;

beforeAll(async () => {
  // This suite is about the reference bridge itself (its conflist, host-local cache, no overlay).
  tb = await startTestbed({ name: NAME, nodes: 2, underlay: UNDERLAY, cni: 'reference-bridge' });
  core = tb.kubeConfig.makeApiClient(CoreV1Api);
});

afterAll(async () => {
  await tb?.down();
});

function echoPod(name: string, node: string, readinessPort: number | string = 'http'): V1Pod {
  return {
    metadata: { name, labels: { app: 'echo' } },
    spec: {
      nodeName: node,
      containers: [
        {
          name: 'echo',
          image: 'switchyard/echo',
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/hostname', port: readinessPort }, periodSeconds: 1 },
        },
      ],
    },
  };
}

function toolbox(name: string, node: string): V1Pod {
  return {
    metadata: { name },
    spec: { nodeName: node, containers: [{ name: 'toolbox', image: 'switchyard/toolbox' }] },
  };
}

describe('testbed', () => {
  it('brings up Ready nodes with podCIDRs, underlay InternalIPs and fresh leases', async () => {
    const nodes = (await core.listNode()).items;
    expect(nodes.map((n) => n.metadata?.name).sort()).toEqual(['node-1', 'node-2']);
    const cidrs = nodes.map((n) => n.spec?.podCIDR ?? '');
    expect(new Set(cidrs).size).toBe(2);
    for (const n of nodes) {
      expect(inCidr(n.spec!.podCIDR!.split('/')[0]!, '10.244.0.0/16')).toBe(true);
      expect(n.spec!.podCIDR!.endsWith('/24')).toBe(true);
      const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
      expect(ip && inCidr(ip, UNDERLAY)).toBe(true);
      expect(n.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(n.status?.nodeInfo?.kubeletVersion).toMatch(/^v1\.\d+\.\d+/);
    }
    const leases = await tb.kubeConfig
      .makeApiClient(CoordinationV1Api)
      .listNamespacedLease({ namespace: 'kube-node-lease' });
    for (const l of leases.items) {
      expect(Date.now() - new Date(l.spec!.renewTime!).getTime()).toBeLessThan(30_000);
    }
    expect(leases.items.map((l) => l.metadata?.name).sort()).toEqual(['node-1', 'node-2']);
  });

  it('schedules a Deployment across nodes and gives each pod an IP from its node range', async () => {
    const apps = tb.kubeConfig.makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'echo' },
        spec: {
          replicas: 4,
          selector: { matchLabels: { app: 'echo', via: 'deployment' } },
          template: {
            metadata: { labels: { app: 'echo', via: 'deployment' } },
            spec: { containers: echoPod('template', '').spec!.containers },
          },
        },
      },
    });
    const pods = await eventually('4 ready echo pods', async () => {
      const list = await core.listNamespacedPod({
        namespace: 'default',
        labelSelector: 'via=deployment',
      });
      const ready = list.items.filter((p) =>
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      return ready.length === 4 ? ready : undefined;
    });
    const nodes = new Map(
      (await core.listNode()).items.map((n) => [n.metadata!.name!, n.spec!.podCIDR!]),
    );
    for (const p of pods) {
      expect(inCidr(p.status!.podIP!, nodes.get(p.spec!.nodeName!)!)).toBe(true);
      expect(p.status?.podIPs).toEqual([{ ip: p.status!.podIP }]);
      expect(p.status?.hostIP).toBe(tb.nodes.find((n) => n.name === p.spec!.nodeName)!.internalIP);
    }
    expect(new Set(pods.map((p) => p.spec!.nodeName)).size).toBe(2);
    expect(new Set(pods.map((p) => p.status!.podIP)).size).toBe(4);
  });

  it('pods on one node reach each other; other nodes are not routed until an overlay exists', async () => {
    await core.createNamespacedPod({ namespace: 'default', body: toolbox('client', 'node-1') });
    await core.createNamespacedPod({ namespace: 'default', body: echoPod('echo-a', 'node-1') });
    await core.createNamespacedPod({ namespace: 'default', body: echoPod('echo-b', 'node-2') });
    await podReady(tb.kubeConfig, 'default', 'client');
    const a = await podReady(tb.kubeConfig, 'default', 'echo-a');
    const b = await podReady(tb.kubeConfig, 'default', 'echo-b');
    const same = await tb.execInPod('default', 'client', [
      'curl',
      '-sS',
      '-m',
      '3',
      `http://${a.status!.podIP}:8080/hostname`,
    ]);
    expect(same.stdout).toBe('echo-a');
    const json = await tb.execInPod('default', 'client', [
      'curl',
      '-sS',
      '-m',
      '3',
      `http://${a.status!.podIP}:8080/anything`,
    ]);
    const body = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(body).toMatchObject({
      path: '/anything',
      method: 'GET',
      namespace: 'default',
      pod: 'echo-a',
    });
    // The client's own address, seen by the server: no NAT between pods of one node.
    const clientIp = await tb.execInPod('default', 'client', [
      'curl',
      '-sS',
      '-m',
      '3',
      `http://${a.status!.podIP}:8080/clientip`,
    ]);
    const client = await core.readNamespacedPod({ name: 'client', namespace: 'default' });
    expect(clientIp.stdout.split(':')[0]).toBe(client.status!.podIP);
    // Raw TCP and UDP echo, from a Node script run inside the client pod.
    const script = `
      const net = require('net'), dgram = require('dgram');
      const s = net.connect(8080, '${a.status!.podIP}', () => s.write('tcp-bytes'));
      s.on('data', d => { console.log('tcp:' + d); s.destroy();
        const u = dgram.createSocket('udp4');
        u.on('message', m => { console.log('udp:' + m); u.close(); });
        u.send('hostname', 8080, '${a.status!.podIP}');
      });`;
    const echoed = await tb.execInPod('default', 'client', [process.execPath, '-e', script], {
      timeoutMs: 10_000,
    });
    expect(echoed.stdout).toBe('tcp:tcp-bytes\nudp:echo-a\n');
    const cross = await tb.execInPod('default', 'client', [
      'curl',
      '-sS',
      '-m',
      '2',
      `http://${b.status!.podIP}:8080/hostname`,
    ]);
    expect(cross.exitCode).not.toBe(0);
  });

  it('gives pods the cluster DNS settings and their own hosts file', async () => {
    const resolv = await tb.execInPod('default', 'client', ['cat', '/etc/resolv.conf']);
    expect(resolv.stdout).toContain('nameserver 10.96.0.10\n');
    expect(resolv.stdout).toMatch(
      /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local/m,
    );
    expect(resolv.stdout).toContain('options ndots:5');
    const hosts = await tb.execInPod('default', 'client', ['cat', '/etc/hosts']);
    const client = await core.readNamespacedPod({ name: 'client', namespace: 'default' });
    expect(hosts.stdout).toContain(`${client.status!.podIP}\tclient`);
  });

  it('pods reach the apiserver with a ServiceAccount token under real RBAC', async () => {
    const pod = await core.readNamespacedPod({ name: 'client', namespace: 'default' });
    const kubeconfig = `${tb.nodeDir('node-1')}/pods/${pod.metadata!.uid}/kubeconfig`;
    const list = ['kubectl', `--kubeconfig=${kubeconfig}`, 'get', 'pods', '-o', 'name'];
    const kubectl = [tb.kubectlPath, ...list.slice(1)];
    const denied = await tb.execInPod('default', 'client', kubectl);
    expect(denied.exitCode).not.toBe(0);
    expect(denied.stderr).toContain('system:serviceaccount:default:default');
    expect(denied.stderr).toContain('forbidden');
    const rbac = tb.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: 'default',
      body: {
        metadata: { name: 'pod-reader' },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: 'default',
      body: {
        metadata: { name: 'pod-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: 'default' }],
      },
    });
    const allowed = await eventually('RBAC to allow listing pods', async () => {
      const r = await tb.execInPod('default', 'client', kubectl);
      return r.exitCode === 0 ? r.stdout : undefined;
    });
    expect(allowed).toContain('pod/client');
  });

  it('fills EndpointSlices with the ready pods and marks the unready one', async () => {
    await core.createNamespacedPod({
      namespace: 'default',
      body: echoPod('echo-unready', 'node-2', 9999),
    });
    await core.createNamespacedService({
      namespace: 'default',
      body: {
        metadata: { name: 'echo' },
        spec: { selector: { app: 'echo' }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });
    const pods = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=echo' }))
      .items;
    const readyIPs = pods
      .filter((p) => p.metadata!.name !== 'echo-unready')
      .map((p) => p.status!.podIP!)
      .sort();
    const discovery = tb.kubeConfig.makeApiClient(DiscoveryV1Api);
    const endpoints = await eventually('EndpointSlices for every echo pod', async () => {
      const slices = await discovery.listNamespacedEndpointSlice({
        namespace: 'default',
        labelSelector: 'kubernetes.io/service-name=echo',
      });
      const eps = slices.items.flatMap((s) => s.endpoints);
      return eps.length === readyIPs.length + 1 ? eps : undefined;
    });
    const ready = endpoints
      .filter((e) => e.conditions?.ready)
      .flatMap((e) => e.addresses)
      .sort();
    expect(ready).toEqual(readyIPs);
    const unready = endpoints.filter((e) => !e.conditions?.ready);
    expect(unready.map((e) => e.targetRef?.name)).toEqual(['echo-unready']);
    expect(unready[0]!.nodeName).toBe('node-2');
    // The node runtime reports like kubelet: the failing probe and the started container.
    const events = await eventually('a readiness-probe event for echo-unready', async () => {
      const list = await core.listNamespacedEvent({
        namespace: 'default',
        fieldSelector: 'involvedObject.name=echo-unready',
      });
      return list.items.some((e) => e.reason === 'Unhealthy') ? list.items : undefined;
    });
    expect(events.find((e) => e.reason === 'Unhealthy')).toMatchObject({
      type: 'Warning',
      message: expect.stringContaining('Readiness probe failed'),
      source: { component: 'kubelet', host: 'node-2' },
    });
    expect(events.some((e) => e.reason === 'Started')).toBe(true);
  });

  it('deleting a pod stops it, runs CNI DEL (address and cache freed) and removes its namespace', async () => {
    const pod = await core.readNamespacedPod({ name: 'echo-a', namespace: 'default' });
    const ip = pod.status!.podIP!;
    const dir = tb.nodeDir('node-1');
    const netns = await tb.podNetns('default', 'echo-a');
    const ipamFile = `${dir}/ipam/testbed/${ip}`;
    const cached = (): string[] =>
      readdirSync(`${dir}/cni-cache/results`).filter((f) =>
        readFileSync(`${dir}/cni-cache/results/${f}`, 'utf8').includes(ip),
      );
    expect(existsSync(ipamFile)).toBe(true);
    expect(existsSync(`/run/netns/${netns}`)).toBe(true);
    expect(cached()).toHaveLength(1);
    await core.deleteNamespacedPod({ name: 'echo-a', namespace: 'default' });
    // The node runtime finishes the graceful deletion itself, after CNI DEL.
    await eventually('the pod object to be gone', async () => {
      try {
        await core.readNamespacedPod({ name: 'echo-a', namespace: 'default' });
        return undefined;
      } catch (e) {
        return (e as { code?: number }).code === 404 ? true : undefined;
      }
    });
    expect(existsSync(ipamFile)).toBe(false);
    expect(cached()).toHaveLength(0);
    expect(existsSync(`/run/netns/${netns}`)).toBe(false);
    expect(existsSync(`/etc/netns/${netns}`)).toBe(false);
    expect(existsSync(`${dir}/pods/${pod.metadata!.uid}`)).toBe(false);
  });

  it('the switchyard CLI runs kubectl, exec, logs and status against this testbed', async () => {
    // The container's command gets kubelet's $(VAR) expansion; its output goes to the log file.
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'talker' },
        spec: {
          nodeName: 'node-2',
          restartPolicy: 'Never',
          initContainers: [
            { name: 'first', image: 'switchyard/toolbox', command: ['echo', 'init ran'] },
          ],
          containers: [
            {
              name: 'say',
              image: 'switchyard/toolbox',
              command: ['echo', 'node dir $(SWITCHYARD_TESTBED_NODE_DIR)'],
            },
          ],
        },
      },
    });
    const talker = await eventually('pod talker to succeed', async () => {
      const p = await core.readNamespacedPod({ name: 'talker', namespace: 'default' });
      return p.status?.phase === 'Succeeded' ? p : undefined;
    });
    expect(talker.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
    expect(talker.status?.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
    const env = { ...process.env, SWITCHYARD_TESTBED: NAME };
    const cli = (...args: string[]): ReturnType<typeof spawnSync> =>
      spawnSync(process.execPath, [CLI, 'testbed', ...args], {
        env,
        encoding: 'utf8',
        timeout: 30_000,
      });
    const nodes = cli('kubectl', 'get', 'nodes', '-o', 'name');
    expect(nodes.status).toBe(0);
    expect(nodes.stdout).toBe('node/node-1\nnode/node-2\n');
    expect(cli('exec', '-n', 'default', 'client', '--', 'sh', '-c', 'exit 3').status).toBe(3);
    const addr = cli('exec', 'node/node-2', '--', 'ip', '-4', '-o', 'addr', 'show', 'eth0');
    expect(addr.status).toBe(0);
    expect(addr.stdout).toContain(tb.nodes[1]!.internalIP);
    expect(cli('exec', 'nosuchpod', '--', 'true').stderr).toContain('has no pod default/nosuchpod');
    const logs = cli('logs', 'talker');
    expect(logs.status).toBe(0);
    expect(logs.stdout).toBe(`node dir ${tb.nodeDir('node-2')}\n`);
    expect(cli('logs', 'talker', '-c', 'first').stdout).toBe('init ran\n');
    expect(cli('logs', 'talker', '-c', 'nope').stderr).toContain('has no container nope');
    const status = cli('status', '--name', NAME, '--json');
    expect(JSON.parse(status.stdout as string)).toMatchObject({ name: NAME, phase: 'ready' });
  });

  it('a crashed node runtime is restarted and rebuilds its pods', async () => {
    const state = (await readState(tb.layout.stateFile))!;
    const supervisor = state.processes.find((p) => p.role === 'node/node-2')!;
    const runtimes = async (): Promise<number[]> => {
      const pids = (await runUnchecked(['ip', 'netns', 'pids', tb.nodes[1]!.netns])).stdout;
      return pids
        .split('\n')
        .filter(Boolean)
        .map(Number)
        .filter((pid) => pid !== supervisor.pid)
        .filter((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node-runtime/main.js');
          } catch {
            return false;
          }
        });
    };
    const [child] = await runtimes();
    expect(child).toBeGreaterThan(0);
    const before = await core.readNamespacedPod({ name: 'echo-b', namespace: 'default' });
    const oldContainer = before.status!.containerStatuses![0]!.containerID;
    process.kill(child!, 'SIGKILL');
    const after = await eventually('echo-b to run again in a new container', async () => {
      const p = await core.readNamespacedPod({ name: 'echo-b', namespace: 'default' });
      const c = p.status?.containerStatuses?.[0];
      return c?.containerID !== oldContainer && c?.ready ? p : undefined;
    });
    const [newChild] = await runtimes();
    expect(newChild).toBeGreaterThan(0);
    expect(newChild).not.toBe(child);
    const ip = after.status!.podIP!;
    const r = await tb.execInNode('node-2', [
      'curl',
      '-sS',
      '-m',
      '3',
      `http://${ip}:8080/hostname`,
    ]);
    expect(r.stdout).toBe('echo-b');
    // Exactly one echo process: the old container was ended, not leaked.
    const inPod = (
      await runUnchecked(['ip', 'netns', 'pids', await tb.podNetns('default', 'echo-b')])
    ).stdout;
    expect(inPod.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('node runtimes keep serving pods across an apiserver restart', async () => {
    const { downMs } = await restartApiserver(tb);
    expect(downMs).toBeGreaterThan(0);
    // Both nodes' watches must have recovered: a pod on each comes up.
    for (const node of ['node-1', 'node-2']) {
      await core.createNamespacedPod({
        namespace: 'default',
        body: toolbox(`after-${node}`, node),
      });
    }
    for (const node of ['node-1', 'node-2'])
      await podReady(tb.kubeConfig, 'default', `after-${node}`);
  });

  it('teardown leaves no namespace, process, file or state behind', async () => {
    const prefix = tb.layout.netnsPrefix;
    const stateDir = tb.layout.stateDir;
    const relayPort = Number(new URL(tb.kubeConfig.getCurrentCluster()!.server).port);
    expect(readdirSync('/run/netns').filter((n) => n.startsWith(prefix)).length).toBeGreaterThan(3);
    const report = await tb.down();
    expect(report.stateDirRemoved).toBe(true);
    expect(readdirSync('/run/netns').filter((n) => n.startsWith(prefix))).toEqual([]);
    const etc = existsSync('/etc/netns') ? readdirSync('/etc/netns') : [];
    expect(etc.filter((n) => n.startsWith(prefix))).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
    expect(processesUsing(stateDir)).toEqual([]);
    const refused = await fetch(`https://127.0.0.1:${relayPort}/`).then(
      () => false,
      () => true,
    );
    expect(refused).toBe(true);
  });
});
