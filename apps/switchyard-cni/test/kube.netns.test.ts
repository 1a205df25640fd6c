// The agent in Kubernetes mode, as a plain process with a kubeconfig, against a real control plane
// (the testbed with `cni: 'external'`: it writes no conflist, so its nodes wait for ours). One agent
// per node learns the podCIDR from its Node, writes the conflist, annotates its Node and programs
// the VXLAN overlay; the testbed's node runtime then execs our shim for real pods.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inNetns, run } from '@switchyard/linux';
import { startTestbed, type Testbed } from '@switchyard/testbed';
import { AGENT_MAIN, SHIM, ensureBuilt, sleep } from './node-lab.js';

const NAME = `cn${process.pid}`.slice(0, 12);
let tb: Testbed;
let core: CoreV1Api;
let dir: string;
const agents: { child: ChildProcess; log: string[] }[] = [];

async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  ms = 120_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      // The agents' own words are what explains a timeout.
      const logs = agents.map((a, i) => `agent ${i}:\n${a.log.join('').slice(-3000)}`).join('\n');
      throw new Error(`timed out waiting for ${what}\n${logs}`);
    }
    await sleep(250);
  }
}

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'sy-cni-kube-'));
  tb = await startTestbed({
    name: NAME,
    nodes: 2,
    underlay: '172.31.229.0/24',
    clusterCidr: '10.86.0.0/16',
    cni: 'external',
    cniBinDirs: [join(dir, 'bin')],
  });
  core = tb.kubeConfig.makeApiClient(CoreV1Api);
  // The admin kubeconfig points at a relay in the root namespace; node namespaces reach the
  // apiserver on the lab's underlay address (the serving certificate names it).
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    readFileSync(tb.kubeconfigPath, 'utf8').replace(/server: .*/, `server: ${tb.apiserverLabUrl}`),
  );
  for (const node of tb.nodes) {
    const log: string[] = [];
    const child = inNetns(`/run/netns/${node.netns}`, () =>
      spawn(
        process.execPath,
        [
          AGENT_MAIN,
          '--node-name',
          node.name,
          '--kubeconfig',
          kubeconfig,
          '--cluster-cidr',
          '10.86.0.0/16',
          '--cni-conf-dir',
          join(tb.nodeDir(node.name), 'net.d'),
          '--cni-bin-dir',
          join(dir, 'bin'),
          '--install-shim',
          SHIM,
          '--ipam-data-dir',
          join(dir, node.name, 'ipam'),
          '--socket',
          join(dir, node.name, 'cni.sock'),
          '--health-port',
          '0',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    child.stdout!.on('data', (b: Buffer) => log.push(b.toString()));
    child.stderr!.on('data', (b: Buffer) => log.push(b.toString()));
    agents.push({ child, log });
  }
}, 240_000);

afterAll(async () => {
  for (const { child } of agents) child.kill('SIGKILL');
  await tb?.down();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('switchyard-agent with Kubernetes', () => {
  it('learns each podCIDR from its Node, annotates it, and the nodes turn Ready through our STATUS', async () => {
    for (const node of tb.nodes) {
      const podCidr = (await core.readNode({ name: node.name })).spec!.podCIDR!;
      const conflist = await eventually(
        `the conflist on ${node.name}`,
        async () =>
          JSON.parse(
            readFileSync(join(tb.nodeDir(node.name), 'net.d', '10-switchyard.conflist'), 'utf8'),
          ) as {
            plugins: { ipam: { ranges: { subnet: string }[][] }; mtu: number }[];
          },
      );
      expect(conflist.plugins[0]!.ipam.ranges).toEqual([[{ subnet: podCidr }]]);
      expect(conflist.plugins[0]!.mtu).toBe(1450); // underlay 1500 - VXLAN
      await eventually(`${node.name} annotated and Ready`, async () => {
        const n = await core.readNode({ name: node.name });
        const mac = n.metadata?.annotations?.['switchyard.dev/vtep-mac'];
        const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        return mac && ready ? true : undefined;
      });
    }
    // node-1 routes node-2's pod CIDR over the VXLAN device (flannel style, onlink via .0).
    const [n1, n2] = tb.nodes;
    const cidr2 = (await core.readNode({ name: n2!.name })).spec!.podCIDR!;
    const routes = await eventually('the overlay route', async () => {
      const { stdout } = await run(['ip', '-n', n1!.netns, 'route', 'show', cidr2]);
      return stdout.includes('switchyard.1') ? stdout : undefined;
    });
    expect(routes).toMatch(/onlink/);
  }, 240_000);

  it('gives pods on two nodes addresses from their podCIDRs; they ping each other across the overlay', async () => {
    const names = tb.nodes.map((n, i) => ({ pod: `p${i}`, node: n.name }));
    for (const { pod, node } of names) {
      await core.createNamespacedPod({
        namespace: 'default',
        body: {
          metadata: { name: pod },
          spec: { nodeName: node, containers: [{ name: 'c', image: 'switchyard/toolbox' }] },
        },
      });
    }
    const ips = await Promise.all(
      names.map(({ pod }) =>
        eventually(`${pod} running`, async () => {
          const p = await core.readNamespacedPod({ name: pod, namespace: 'default' });
          return p.status?.phase === 'Running' ? p.status.podIP : undefined;
        }),
      ),
    );
    for (const [i, { node }] of names.entries()) {
      const cidr = (await core.readNode({ name: node })).spec!.podCIDR!;
      expect(cidr.split('.').slice(0, 3)).toEqual(ips[i]!.split('.').slice(0, 3));
    }
    const r = await tb.execInPod('default', 'p0', ['ping', '-c', '2', '-W', '2', ips[1]!]);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  }, 240_000);
});
