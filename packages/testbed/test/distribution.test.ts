// The testbed overlay as the testbed renders it: real `kubectl kustomize` of deploy/overlays/testbed
// with the pinned kubectl, split into parts, with a testbed's cluster values set.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, findBinaries } from '../src/binaries.js';
import { type KubeObject, applyInput, renderTestbedDistribution } from '../src/distribution.js';
import { DistributionManifestError } from '../src/errors.js';

interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string }[];
  volumeMounts?: unknown[];
}
interface PodSpec {
  containers: Container[];
  volumes?: unknown[];
  priorityClassName?: string;
}
const podSpec = (o: KubeObject): PodSpec =>
  (o as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
const find = (objs: readonly KubeObject[] | undefined, kind: string, name: string): KubeObject => {
  const o = objs?.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
};
const values = { clusterCidr: '10.71.0.0/16', clusterDNS: '10.97.0.10', nodes: 1 };

describe('renderTestbedDistribution', () => {
  it('splits the overlay by component and sets the cluster values', async () => {
    const { kubectl } = await findBinaries();
    const parts = await renderTestbedDistribution(kubectl, values);
    expect([...parts.keys()].sort()).toEqual(['cni', 'dns', 'ingress', 'proxy']);
    const cm = find(parts.get('cni'), 'ConfigMap', 'switchyard-agent') as unknown as {
      data: Record<string, string>;
    };
    expect(cm.data['cluster-cidr']).toBe('10.71.0.0/16');
    const proxy = podSpec(find(parts.get('proxy'), 'DaemonSet', 'switchyard-proxy'));
    expect(proxy.containers[0]!.env).toContainEqual({
      name: 'CLUSTER_CIDR',
      value: '10.71.0.0/16',
    });
    const dns = find(parts.get('dns'), 'Service', 'kube-dns') as unknown as {
      spec: { clusterIP: string };
    };
    expect(dns.spec.clusterIP).toBe('10.97.0.10');
    // One node: one ingress replica (each holds the node's hostPorts 80/443).
    const ingress = find(parts.get('ingress'), 'Deployment', 'switchyard-ingress') as unknown as {
      spec: { replicas: number };
    };
    expect(ingress.spec.replicas).toBe(1);
    expect(parts.get('ingress')!.map((o) => o.kind)).toContain('GatewayClass');
  });

  it('runs the agent on testbed node paths instead of hostPath mounts, the rest as shipped', async () => {
    const { kubectl } = await findBinaries();
    const parts = await renderTestbedDistribution(kubectl, values);
    const agent = podSpec(find(parts.get('cni'), 'DaemonSet', 'switchyard-agent'));
    expect(agent.volumes).toBeUndefined();
    expect(agent.containers[0]!.volumeMounts).toBeUndefined();
    expect(agent.containers[0]!.args).toContain(
      '--cni-conf-dir=$(SWITCHYARD_TESTBED_NODE_DIR)/net.d',
    );
    expect(agent.priorityClassName).toBe('system-node-critical');
    // The shipped distribution mounts the node's dirs and uses the agent's default paths.
    const shipped = parseAllDocuments(readFileSync(`${REPO_ROOT}/deploy/switchyard.yaml`, 'utf8'))
      .map((d) => d.toJS() as KubeObject)
      .filter(Boolean);
    const kindAgent = podSpec(find(shipped, 'DaemonSet', 'switchyard-agent'));
    expect(kindAgent.volumes).toHaveLength(3);
    expect(kindAgent.containers[0]!.args!.join(' ')).not.toContain('SWITCHYARD_TESTBED_NODE_DIR');
    // Everything but the agent's DaemonSet and the cluster values is the distribution unchanged.
    const rendered = [...parts.values()].flat();
    expect(rendered).toHaveLength(shipped.length);
    const untouched = (o: KubeObject): boolean =>
      !['switchyard-agent', 'switchyard-proxy', 'kube-dns', 'switchyard-ingress'].includes(
        o.metadata.name,
      ) ||
      ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(
        o.kind,
      );
    expect(rendered.filter(untouched)).toEqual(expect.arrayContaining(shipped.filter(untouched)));
    expect(JSON.parse(applyInput(rendered)).items).toHaveLength(shipped.length);
  });

  it('refuses an overlay whose objects name no part, or that lacks what it sets', async () => {
    const { kubectl } = await findBinaries();
    const dir = await mkdtemp(join(tmpdir(), 'sy-overlay-'));
    try {
      const cm = (labels: string): string =>
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: kube-system\n${labels}`;
      const kustomization =
        'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [cm.yaml]\n';
      await writeFile(join(dir, 'kustomization.yaml'), kustomization);
      await writeFile(join(dir, 'cm.yaml'), cm(''));
      await expect(renderTestbedDistribution(kubectl, values, dir)).rejects.toThrow(
        DistributionManifestError,
      );
      await writeFile(join(dir, 'cm.yaml'), cm('  labels: { app.kubernetes.io/component: cni }\n'));
      await expect(renderTestbedDistribution(kubectl, values, dir)).rejects.toThrow(
        /no ConfigMap switchyard-agent in the cni part/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
