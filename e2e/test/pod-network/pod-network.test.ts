// The Kubernetes network model on the testbed's default pod network: switchyard-agent installed
// from its manifest (DaemonSet, RBAC, ConfigMap) on three nodes, pods wired by our CNI shim,
// nodes joined by the VXLAN overlay. Pod to pod on one node and across nodes without NAT, node to
// pod, pod to the outside masqueraded to the node's address, hostPort, an agent restart under an
// open connection, and a removed node's routes withdrawn from the others.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { type Netns, createNetns, run, sweepStaleNetns } from '@switchyard/linux';
import { ECHO_IMAGE, type Testbed, TOOLBOX_IMAGE, startTestbed } from '@switchyard/testbed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, inCidr, podReady } from '../helpers.js';

const NAME = `pn${process.pid}`.slice(0, 12);
const UNDERLAY = '172.31.226.0/24';
/** The "internet" host: on the lab's underlay, outside every cluster range, no route to pods. */
const INTERNET_IP = '172.31.226.200';

let tb: Testbed;
let core: CoreV1Api;
let internet: Netns;
const children: ChildProcess[] = [];
/** Pod name -> IP. */
const ip: Record<string, string> = {};

function echoPod(name: string, node: string, hostPort?: number): V1Pod {
  return {
    metadata: { name, labels: { app: 'pn' } },
    spec: {
      nodeName: node,
      containers: [
        {
          name: 'echo',
          image: ECHO_IMAGE,
          ports: [{ containerPort: 8080, ...(hostPort ? { hostPort } : {}) }],
        },
      ],
    },
  };
}

function toolboxPod(name: string, node: string): V1Pod {
  return {
    metadata: { name },
    spec: { nodeName: node, containers: [{ name: 'tools', image: TOOLBOX_IMAGE }] },
  };
}

async function curl(pod: string, url: string): Promise<string> {
  const r = await tb.execInPod('default', pod, ['curl', '-sS', '-m', '5', url]);
  expect(r.exitCode, `${pod} -> ${url}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** curl from the "internet" host; the body. */
async function curlFromInternet(url: string, timeoutSeconds: number): Promise<string> {
  const r = await run([
    'ip',
    'netns',
    'exec',
    internet.name,
    'curl',
    '-sS',
    '-m',
    String(timeoutSeconds),
    url,
  ]);
  return r.stdout;
}

async function ping(pod: string, target: string): Promise<void> {
  const r = await tb.execInPod('default', pod, ['ping', '-c', '2', '-i', '0.3', '-W', '2', target]);
  expect(r.exitCode, `${pod} ping ${target}: ${r.stdout}${r.stderr}`).toBe(0);
}

async function agentPod(node: string): Promise<V1Pod | undefined> {
  const pods = await core.listNamespacedPod({
    namespace: 'kube-system',
    labelSelector: 'app=switchyard-agent',
    fieldSelector: `spec.nodeName=${node}`,
  });
  return pods.items.find((p) => !p.metadata?.deletionTimestamp);
}

beforeAll(async () => {
  await sweepStaleNetns();
  tb = await startTestbed({ name: NAME, nodes: 3, underlay: UNDERLAY });
  core = tb.kubeConfig.makeApiClient(CoreV1Api);
  const [n1, n2, n3] = tb.nodes.map((n) => n.name) as [string, string, string];
  const pods = [
    echoPod('web-a', n1),
    toolboxPod('client-a', n1),
    echoPod('web-b', n2),
    echoPod('web-hp', n2, 18080),
    toolboxPod('client-c', n3),
  ];
  for (const body of pods) await core.createNamespacedPod({ namespace: 'default', body });
  for (const p of pods) {
    const name = p.metadata!.name!;
    ip[name] = (await podReady(tb.kubeConfig, 'default', name)).status!.podIP!;
  }
  // The internet host hangs off the lab's bridge like a router's upstream; its server answers
  // with the address it sees.
  internet = await createNetns('inet');
  const lab = `syt-${NAME}-lab`;
  await run([
    'ip',
    '-n',
    lab,
    'link',
    'add',
    'inet0',
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    internet.name,
  ]);
  await run(['ip', '-n', lab, 'link', 'set', 'inet0', 'master', 'br0', 'up']);
  await run(['ip', '-n', internet.name, 'addr', 'add', `${INTERNET_IP}/24`, 'dev', 'eth0']);
  await run(['ip', '-n', internet.name, 'link', 'set', 'eth0', 'up']);
  await run(['ip', '-n', internet.name, 'link', 'set', 'lo', 'up']);
  const server = spawn(
    'ip',
    [
      'netns',
      'exec',
      internet.name,
      process.execPath,
      '-e',
      `require('node:http').createServer((q, s) => s.end(q.socket.remoteAddress)).listen(8080, '${INTERNET_IP}')`,
    ],
    { stdio: 'ignore' },
  );
  children.push(server);
  await eventually('the internet server', async () =>
    (await curlFromInternet(`http://${INTERNET_IP}:8080/`, 1)) === INTERNET_IP ? true : undefined,
  );
}, 300_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await tb?.down();
  await internet?.delete();
}, 120_000);

describe('pod network (switchyard-agent from its manifest, VXLAN between nodes)', () => {
  it('every node is Ready through an agent pod of the DaemonSet, and pods get their node range', async () => {
    for (const n of tb.nodes) {
      const agent = await agentPod(n.name);
      expect(agent?.spec?.hostNetwork).toBe(true);
      expect(agent?.spec?.serviceAccountName).toBe('switchyard-agent');
      // The agent installed the shim into the node's CNI bin dir and wrote the conflist there.
      const dir = tb.nodeDir(n.name);
      expect(statSync(`${dir}/cni-bin/switchyard`).mode & 0o111).not.toBe(0);
      const conflist = JSON.parse(readFileSync(`${dir}/net.d/10-switchyard.conflist`, 'utf8')) as {
        plugins: { type: string; mtu: number }[];
      };
      expect(conflist.plugins[0]).toMatchObject({ type: 'switchyard', mtu: 1450 });
    }
    const cidrs = Object.fromEntries(
      (await core.listNode()).items.map((n) => [n.metadata!.name!, n.spec!.podCIDR!]),
    );
    expect(inCidr(ip['web-a']!, cidrs['node-1']!)).toBe(true);
    expect(inCidr(ip['web-b']!, cidrs['node-2']!)).toBe(true);
    expect(inCidr(ip['client-c']!, cidrs['node-3']!)).toBe(true);
  });

  it('pod to pod on one node: ping and TCP, the client address kept', async () => {
    await ping('client-a', ip['web-a']!);
    expect(await curl('client-a', `http://${ip['web-a']}:8080/clientip`)).toMatch(
      new RegExp(`^${ip['client-a']}:\\d+$`),
    );
  });

  it('pod to pod across nodes: ping and TCP, no NAT (the server sees the client pod IP)', async () => {
    await ping('client-a', ip['web-b']!);
    await ping('client-c', ip['web-a']!);
    expect(await curl('client-a', `http://${ip['web-b']}:8080/clientip`)).toMatch(
      new RegExp(`^${ip['client-a']}:\\d+$`),
    );
    expect(await curl('client-c', `http://${ip['web-b']}:8080/hostname`)).toBe('web-b');
    expect(await curl('client-c', `http://${ip['web-a']}:8080/clientip`)).toMatch(
      new RegExp(`^${ip['client-c']}:\\d+$`),
    );
  });

  it('node to pod, on its own node and on another node', async () => {
    for (const [node, pod] of [
      ['node-1', 'web-a'],
      ['node-3', 'web-b'],
    ] as const) {
      const r = await tb.execInNode(node, [
        'curl',
        '-sS',
        '-m',
        '5',
        `http://${ip[pod]}:8080/hostname`,
      ]);
      expect(r.stdout, r.stderr).toBe(pod);
    }
  });

  it('pod to an address outside the cluster is masqueraded to its node address', async () => {
    const [n1, , n3] = tb.nodes;
    expect(await curl('client-a', `http://${INTERNET_IP}:8080/`)).toBe(n1!.internalIP);
    expect(await curl('client-c', `http://${INTERNET_IP}:8080/`)).toBe(n3!.internalIP);
  });

  it('hostPort: the node address forwards to the pod, from outside and from a pod on another node', async () => {
    const n2 = tb.nodes[1]!;
    // From outside the cluster: DNAT only, the client address kept.
    expect(await curlFromInternet(`http://${n2.internalIP}:18080/clientip`, 5)).toMatch(
      new RegExp(`^${INTERNET_IP}:\\d+$`),
    );
    expect(await curl('client-c', `http://${n2.internalIP}:18080/hostname`)).toBe('web-hp');
  });

  it('an agent restart (its pod deleted, the DaemonSet makes a new one) keeps an open connection', async () => {
    // A TCP connection client-a (node-1) -> web-b (node-2) carrying a line every 100 ms; it must
    // never break while both nodes' agents are replaced.
    const netns = await tb.podNetns('default', 'client-a');
    const script = `
      const s = require('node:net').connect(8080, '${ip['web-b']}');
      let n = 0;
      s.on('data', (b) => { n += b.toString().split('\\n').length - 1; process.stdout.write('echoed ' + n + '\\n'); });
      s.on('connect', () => setInterval(() => s.write('tick\\n'), 100));
      s.on('error', (e) => { console.log('error ' + e.message); process.exit(1); });
      s.on('close', () => { console.log('closed'); process.exit(1); });`;
    const conn = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(conn);
    let out = '';
    conn.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    const echoed = (): number => Number(/echoed (\d+)\n$/.exec(out)?.[1] ?? 0);
    await eventually('echoes over the connection', async () => (echoed() >= 5 ? true : undefined));

    const old = await Promise.all(['node-1', 'node-2'].map(async (n) => (await agentPod(n))!));
    for (const p of old) {
      await core.deleteNamespacedPod({ name: p.metadata!.name!, namespace: 'kube-system' });
    }
    for (const [i, n] of ['node-1', 'node-2'].entries()) {
      await eventually(
        `a new agent on ${n} Ready`,
        async () => {
          const p = await agentPod(n);
          const ready = p?.status?.conditions?.some(
            (c) => c.type === 'Ready' && c.status === 'True',
          );
          return p && p.metadata!.uid !== old[i]!.metadata!.uid && ready ? true : undefined;
        },
        120_000,
      );
    }
    const before = echoed();
    await eventually('echoes after the restart', async () =>
      echoed() >= before + 10 ? true : undefined,
    );
    expect(out).not.toMatch(/error|closed/);
    expect(conn.exitCode).toBeNull();
    conn.kill('SIGKILL');
    // The restarted agents still serve new pods and the overlay.
    await ping('client-c', ip['web-a']!);
  }, 180_000);

  it('a removed node: the others withdraw its route', async () => {
    const node3 = await core.readNode({ name: 'node-3' });
    const cidr3 = node3.spec!.podCIDR!;
    for (const n of ['node-1', 'node-2']) {
      const r = await tb.execInNode(n, ['ip', 'route', 'show', cidr3]);
      expect(r.stdout).toContain('switchyard.1');
    }
    await core.deleteNode({ name: 'node-3' });
    for (const n of ['node-1', 'node-2']) {
      await eventually(`${cidr3} gone from ${n}`, async () => {
        const r = await tb.execInNode(n, ['ip', 'route', 'show', cidr3]);
        return r.stdout.trim() === '' ? true : undefined;
      });
      // The remaining peers keep theirs.
      const other = n === 'node-1' ? 'web-b' : 'web-a';
      const r = await tb.execInNode(n, [
        'curl',
        '-sS',
        '-m',
        '5',
        `http://${ip[other]}:8080/hostname`,
      ]);
      expect(r.stdout).toBe(other);
    }
  }, 120_000);
});
