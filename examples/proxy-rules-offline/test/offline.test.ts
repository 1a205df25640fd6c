import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeNotReadyError, compile, trace } from '@switchyard/proxy-rules';
import { ClusterFileError, modelFromYaml } from '../src/cluster-file.js';
import { UsageError, offline } from '../src/cli.js';

const CLUSTER = resolve(import.meta.dirname, '..', 'cluster.yaml');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sy-offline-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('proxy-rules-offline: the ruleset', () => {
  it('renders one nftables table with the services of cluster.yaml', async () => {
    const nft = await offline([CLUSTER]);
    const lines = nft.split('\n');
    // A full sync replaces the table atomically: add (so delete cannot fail), delete, add.
    expect(lines.slice(0, 3)).toEqual([
      'add table inet switchyard-proxy',
      'delete table inet switchyard-proxy',
      'add table inet switchyard-proxy',
    ]);
    // Every service address and NodePort is in a map, and every endpoint is a DNAT target. (How
    // the endpoint is picked is proxy-rules' business; the traces below check the outcome.)
    for (const key of [
      '10.96.0.10 . tcp . 80',
      '10.96.0.20 . tcp . 443',
      'tcp . 30080',
      'tcp . 30443',
    ]) {
      expect(nft).toContain(key);
    }
    for (const ep of ['10.244.1.5', '10.244.2.7', '10.244.2.9']) {
      expect(
        lines.some((l) => l.includes(ep) && /dnat|: /.test(l)),
        ep,
      ).toBe(true);
    }
    // shop/db has no EndpointSlice: its address leads to a reject.
    expect(nft).toMatch(/10\.96\.0\.30 \. tcp \. 5432 : goto reject/);
    // Pod traffic is told apart by the node's podCIDR (no --cluster-cidr given).
    expect(nft).toContain('10.244.1.0/24');
  });

  it('takes --cluster-cidr over the node podCIDR and lists skipped services as nft comments', async () => {
    const yaml = await file(
      'bad-svc.yaml',
      `kind: List
items:
  - kind: Node
    metadata: { name: n1 }
    status: { addresses: [{ type: InternalIP, address: 192.168.7.1 }] }
  - kind: Service
    metadata: { name: broken, namespace: default }
    spec: { clusterIP: 10.300.0.1, ports: [{ port: 80 }] }
  - kind: ConfigMap
    metadata: { name: ignored, namespace: default }
`,
    );
    const nft = await offline([yaml, '--cluster-cidr', '10.0.0.0/8']);
    expect(nft).toMatch(/^# skipped Service default\/broken: .*10\.300\.0\.1/m);
    expect(nft).toContain('10.0.0.0/8');
    expect(nft).not.toContain('10.300.0.1 .');
  });
});

describe('proxy-rules-offline: tracing a packet', () => {
  it('a pod reaching the ClusterIP lands on either endpoint with its address kept', async () => {
    const out = await offline([CLUSTER, '--trace', 'tcp', '10.244.1.3', '10.96.0.10:80']);
    expect(out).toContain('packet tcp 10.244.1.3 -> 10.96.0.10:80 from pod');
    expect(out).toContain('2 possible outcomes:');
    expect(out).toContain('1. endpoint 10.244.1.5:8080 (client address kept)');
    expect(out).toContain('2. endpoint 10.244.2.7:8080 (client address kept)');
  });

  it('an outside client of the NodePort is masqueraded', async () => {
    const model = modelFromYaml(await readFile(CLUSTER, 'utf8'));
    const t = trace(compile(model).ruleset, {
      protocol: 'tcp',
      source: '203.0.113.9',
      destination: '192.168.0.10',
      port: 30080,
      from: 'outside',
    });
    expect(
      t.outcomes.map((o) => o.kind === 'endpoint' && `${o.ip}:${o.port}/${o.masquerade}`),
    ).toEqual(['10.244.1.5:8080/true', '10.244.2.7:8080/true']);
  });

  it('externalTrafficPolicy Local without a local endpoint drops outside traffic, not pod traffic', async () => {
    const outside = await offline([
      CLUSTER,
      '--trace',
      'tcp',
      '203.0.113.9',
      '192.168.0.10:30443',
      '--from',
      'outside',
    ]);
    expect(outside).toContain('1. DROP (silently discarded)');
    const pod = await offline([CLUSTER, '--trace', 'tcp', '10.244.1.3', '192.168.0.10:30443']);
    expect(pod).toContain('1. endpoint 10.244.2.9:8443');
  });

  it('a service without endpoints is REJECTed at its ClusterIP', async () => {
    const out = await offline([CLUSTER, '--trace', 'TCP', '10.244.1.3', '10.96.0.30:5432']);
    expect(out).toContain('1. REJECT (the client sees connection refused)');
    expect(out).toContain('reject-chain: reject');
  });

  it('an address that is no service passes unchanged', async () => {
    const out = await offline([CLUSTER, '--trace', 'udp', '10.244.1.3', '10.244.2.7:53']);
    expect(out).toContain('1. not a service: delivered unchanged');
  });
});

describe('proxy-rules-offline: bad input', () => {
  it('rejects unreadable YAML, a file without its node, and a node without pod CIDRs', async () => {
    await expect(
      offline([await file('broken.yaml', 'kind: Service\n  bad: [\n')]),
    ).rejects.toBeInstanceOf(ClusterFileError);
    await expect(offline([await file('scalar.yaml', '42\n')])).rejects.toThrow(
      /must be a Kubernetes object/,
    );
    const twoNodes = 'kind: Node\nmetadata: { name: a }\n---\nkind: Node\nmetadata: { name: b }\n';
    expect(() => modelFromYaml(twoNodes)).toThrow(/holds 2 Nodes/);
    expect(() => modelFromYaml(twoNodes, { node: 'c' })).toThrow('no Node named c in the file');
    expect(() => modelFromYaml(twoNodes, { node: 'a' })).toThrow(NodeNotReadyError);
  });

  it('rejects bad command lines with a UsageError', async () => {
    for (const argv of [
      [],
      [CLUSTER, '--bogus'],
      [CLUSTER, '--trace', 'icmp', '10.0.0.1', '10.96.0.10:80'],
      [CLUSTER, '--trace', 'tcp', '10.0.0.1', '10.96.0.10'],
      [CLUSTER, '--trace', 'tcp', '10.0.0.1', '10.96.0.10:80', '--from', 'space'],
      [CLUSTER, '--node'],
    ]) {
      await expect(offline(argv), argv.join(' ')).rejects.toBeInstanceOf(UsageError);
    }
  });
});
